// Crash safety: SIGKILL a writer at a random instant, 50 times, while a
// survivor process keeps validating its own sessions. Afterwards reap() frees
// what the dead left half-done, check() proves the table consistent (a user
// count may exceed the truth by at most one per kill, never fall below it)
// and the table keeps working for the survivors.
import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SessionCache } from '../lib/index.js';
import { uniqueName } from './helpers/tables.js';

const WRITER = fileURLToPath(new URL('./helpers/crash-writer.js', import.meta.url));
const KILLS = Number(process.env['GH_CRASH_KILLS'] ?? 50);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`the table stays consistent and usable after ${KILLS} SIGKILLs mid-write`, async (t) => {
  t.timeout(180_000);
  const table = uniqueName('crash');
  const cache = SessionCache.create(table, { capacity: 2048 });
  const survivor = Array.from({ length: 20 }, (_, i) => cache.create({ loginId: `survivor${i}`, lifetimeSeconds: 0, inactivitySeconds: 0 }));
  let lost = 0;
  let checks = 0;
  for (let k = 0; k < KILLS; k++) {
    const child: ChildProcess = fork(WRITER, [table], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await once(child, 'message');
    const runFor = 5 + Math.floor(Math.random() * 60);
    const until = Date.now() + runFor;
    while (Date.now() < until) {  // the survivor works while the writer writes
      for (const s of survivor) { checks++; if (!cache.validate(s.sessionId).valid) lost++; }
      await sleep(1);
    }
    child.kill('SIGKILL');
    const [, signal] = await once(child, 'exit');
    t.is(signal, 'SIGKILL');
  }
  t.is(lost, 0, 'a survivor session was lost');
  t.true(checks > KILLS);
  cache.reap({ max: 1_000_000 });
  const problem = cache.check(KILLS);
  t.is(problem, null, problem ?? '');
  // Still fully usable: create, validate, terminate, list.
  const s = cache.create({ loginId: 'after-crash' });
  t.true(cache.validate(s.sessionId).valid);
  t.is(cache.terminateAllSessions('after-crash'), 1);
  t.false(cache.validate(s.sessionId).valid);
  for (const x of survivor) t.true(cache.validate(x.sessionId).valid);
  t.true(cache.stats().createdTotal > 100);
  cache.close();
  SessionCache.unlink(table);
});

// Concurrency torture: actors in worker threads and in child processes share
// one table for GH_TORTURE_MS (default 10 s). See helpers/torture-actor.ts for
// what each actor checks; the parent relays "ended" reports between them and
// finally proves the table consistent.
import test from 'ava';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { SessionCache } from '../lib/index.js';
import { uniqueName } from './helpers/tables.js';
import type { ActorReport } from './helpers/torture-actor.js';

const ACTOR = fileURLToPath(new URL('./helpers/torture-actor.js', import.meta.url));
const DURATION = Number(process.env['GH_TORTURE_MS'] ?? 10_000);

interface Peer { send(m: unknown): void; done: Promise<ActorReport> }

function spawn(kind: 'thread' | 'process', config: object, relay: (from: Peer, ended: string[]) => void): Peer {
  let resolve!: (r: ActorReport) => void, reject!: (e: Error) => void;
  const done = new Promise<ActorReport>((res, rej) => { resolve = res; reject = rej; });
  let report: ActorReport | undefined;
  const onMessage = (m: { ended?: string[]; report?: ActorReport }): void => {
    if (m.ended) relay(peer, m.ended);
    if (m.report) report = m.report;
  };
  const onExit = (code: number | null): void => {
    if (report) resolve(report); else reject(new Error(`${kind} actor exited with ${code} before reporting`));
  };
  let peer: Peer;
  if (kind === 'thread') {
    const w = new Worker(ACTOR, { workerData: config });
    w.on('message', onMessage).on('error', reject).on('exit', onExit);
    peer = { send: (m) => { try { w.postMessage(m); } catch { /* exited */ } }, done };
  } else {
    const p = fork(ACTOR, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    p.on('message', onMessage).on('error', reject).on('exit', onExit);
    // An actor past its run may exit while a report is on its way to it: it
    // needs no more reports then, so a failed send (EPIPE) is not the test's failure.
    peer = { send: (m) => { if (p.connected) p.send(m as object, () => {}); }, done };
  }
  return peer;
}

test('threads and processes: no lost session, no validation after termination, counts consistent', async (t) => {
  t.timeout(DURATION + 60_000);
  const table = uniqueName('torture');
  const cache = SessionCache.create(table, { capacity: 4096 });
  const peers: Peer[] = [];
  const relay = (from: Peer, ended: string[]): void => { for (const p of peers) if (p !== from) p.send({ ended }); };
  const kinds = ['thread', 'thread', 'process', 'process'] as const;
  kinds.forEach((kind, id) => peers.push(spawn(kind, { table, id, durationMs: DURATION }, relay)));
  const reports = await Promise.all(peers.map((p) => p.done));
  for (const r of reports) t.log(JSON.stringify(r));
  const sum = (k: 'ops' | 'lost' | 'counts' | 'afterEnd' | 'crossChecks'): number => reports.reduce((a, r) => a + r[k], 0);
  t.deepEqual(reports.flatMap((r) => r.errors), []);
  t.true(sum('ops') > 10_000, `ops ${sum('ops')}`);
  t.true(sum('crossChecks') > 1_000, `cross checks ${sum('crossChecks')}`);
  t.is(sum('lost'), 0, 'a live session failed to validate');
  t.is(sum('afterEnd'), 0, 'a session validated after its end was reported');
  t.is(sum('counts'), 0, 'a user count disagreed with the sessions held');
  t.is(cache.check(0), null);
  cache.close();
  SessionCache.unlink(table);
});

// proxy-workers.test.ts -- `gatehouse serve` with two cluster workers sharing
// one session table: a session made through one worker is valid on the
// other, an end through either (or through the table from outside) holds on
// both, and a worker killed with SIGKILL is replaced while sessions live on.
// Which worker served a request is read from /proc (the process holding the
// server side of the connection), so the proxy exposes nothing for the test.
import test from 'ava';
import { SessionCache, TaskEngine, tasks } from '../lib/index.js';
import { startEcho, type EchoBackend, type EchoReply } from './helpers/backends.js';
import { eventually, launchGatehouse, type LaunchedGatehouse } from './helpers/proxy-launch.js';
import { childPids, procAvailable, requestWithPid, type PidReply } from './helpers/proxy-procs.js';

const PW = 'worker pass phrase';
const COOKIE = 'PD-H-SESSION-ID';
let gh: LaunchedGatehouse;
let app: EchoBackend;
let cache: SessionCache;
let engine: TaskEngine;
let workers: number[] = [];

test.before(async () => {
  app = await startEcho({ name: 'app' });
  gh = await launchGatehouse({
    workers: 2,
    users: ['wanda', 'walt', 'wes', 'wilma'].map((id) => ({ id, password: PW, groups: ['staff'] })),
    config: { junctions: { '/app': { servers: [app.url], c: ['iv_user'] } } },
  });
  cache = SessionCache.open(gh.tableName);
  engine = new TaskEngine(cache, { serverName: `default-webseald-pl${process.pid}`, sessionServerName: gh.serverName });
  workers = await eventually('two workers', () => { const p = childPids(gh.pid); return p.length === 2 ? p : undefined; });
});

test.after.always(async () => {
  cache?.close();
  await gh?.stop();
  await app?.close();
});

const echo = (r: PidReply): EchoReply => JSON.parse(r.body) as EchoReply;
const get = (path: string, sid?: string): Promise<PidReply> =>
  requestWithPid(gh.http!, path, childPids(gh.pid), sid === undefined ? {} : { headers: { cookie: `${COOKIE}=${sid}` } });

function sessionCookie(r: PidReply): string | undefined {
  for (const c of r.headers['set-cookie'] ?? []) {
    const m = new RegExp(`^${COOKIE}=([^;]+)`).exec(c);
    if (m) return m[1];
  }
  return undefined;
}

async function login(user: string): Promise<{ sid: string; pid: number }> {
  const r = await requestWithPid(gh.http!, '/pkmslogin.form', childPids(gh.pid), { form: { username: user, password: PW, 'login-form-type': 'pwd', url: '/app/' } });
  const sid = sessionCookie(r);
  if (r.status !== 302 || sid === undefined) throw new Error(`login of ${user} answered ${r.status}`);
  return { sid, pid: r.pid };
}

/**
 * Sends `send()` until every pid in `want` has answered one (at most `max`
 * tries, `pauseMs` apart); returns every reply.
 */
async function untilServedBy(want: readonly number[], send: () => Promise<PidReply>, max = 40, pauseMs = 0): Promise<PidReply[]> {
  const replies: PidReply[] = [];
  for (let i = 0; i < max && !want.every((p) => replies.some((r) => r.pid === p)); i++) {
    if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    replies.push(await send());
  }
  return replies;
}

test.serial('two worker processes share the listener and both serve connections', async (t) => {
  if (!procAvailable()) { t.pass('no /proc: cannot tell workers apart'); return; }
  t.is(workers.length, 2);
  t.false(workers.includes(gh.pid));
  const replies = await untilServedBy(workers, () => get('/app/'));
  for (const r of replies) {
    t.is(r.status, 200);
    t.regex(r.body, /action="\/pkmslogin\.form"/);
  }
  t.deepEqual([...new Set(replies.map((r) => r.pid))].sort((a, b) => a - b), workers);
});

test.serial('a session made through one worker is valid through the other', async (t) => {
  const { sid, pid: loginPid } = await login('wanda');
  t.true(workers.includes(loginPid));
  const other = workers.find((p) => p !== loginPid)!;
  const before = app.requests.length;
  const replies = await untilServedBy([other, loginPid], () => get('/app/who', sid));
  t.true(replies.some((r) => r.pid === other), 'the other worker served a request');
  for (const r of replies) {
    t.is(r.status, 200);
    t.is(echo(r).headers['iv-user'], 'wanda');
  }
  t.is(app.requests.length, before + replies.length);
});

test.serial('terminate all_sessions from outside holds on both workers at once', async (t) => {
  const a = await login('walt');
  const b = await login('walt');
  t.is((await get('/app/', a.sid)).status, 200);
  t.true(engine.run(tasks.terminateAllSessions('walt')).ok);
  const before = app.requests.length;
  // The cookie is sent again on every request (a browser would drop it after the first page).
  for (const sid of [a.sid, b.sid]) {
    const replies = await untilServedBy(workers, () => get('/app/', sid));
    t.deepEqual([...new Set(replies.map((r) => r.pid))].sort((x, y) => x - y), workers);
    for (const r of replies) {
      t.is(r.status, 200);
      t.regex(r.body, /data-reason="all_sessions_terminated"/);
    }
  }
  t.is(app.requests.length, before, 'no request reached the back-end');
});

test.serial('a logout through one worker ends the session on the other', async (t) => {
  const { sid } = await login('wes');
  // Log out on whichever worker takes the connection, then show that the other one refuses.
  const out = await get('/pkmslogout', sid);
  t.is(out.status, 200);
  const other = workers.find((p) => p !== out.pid)!;
  const replies = await untilServedBy([other], () => get('/app/', sid));
  t.true(replies.some((r) => r.pid === other));
  for (const r of replies) t.regex(r.body, /data-reason="logged_out"/);
});

test.serial('a worker killed with SIGKILL is replaced; sessions survive and requests keep succeeding', async (t) => {
  const { sid } = await login('wilma');
  const [victim, survivor] = workers as [number, number];
  process.kill(victim, 'SIGKILL');
  // Wait until the primary has seen the death (it stops handing connections to the dead worker).
  await eventually('the primary to notice', () => gh.entries().some((e) => e['msg'] === 'proxy worker died; starting another' && e['pid'] === victim) || undefined);
  const during = await get('/app/during', sid);
  t.is(during.status, 200);
  t.is(echo(during).headers['iv-user'], 'wilma');
  if (procAvailable()) t.is(during.pid, survivor);
  // A replacement appears and serves this same session (the table lives in shared memory, not in a worker).
  const replacement = await eventually('a replacement worker', () => childPids(gh.pid).find((p) => p !== survivor && p !== victim), 20_000);
  // It takes connections once it listens (a second or so after the fork): keep clicking meanwhile, up to ~20 s.
  const replies = await untilServedBy([replacement], () => get('/app/after', sid), 400, 50);
  t.true(replies.some((r) => r.pid === replacement), 'the replacement served a request');
  for (const r of replies) {
    t.is(r.status, 200);
    t.is(echo(r).headers['iv-user'], 'wilma');
  }
  t.is(cache.countSessions('wilma').count, 1);
  workers = childPids(gh.pid);
  t.is(workers.length, 2);
});

// restart.test.ts -- a restart of `gatehouse serve` keeps the live sessions:
// a real server (CLI child process) is stopped with SIGTERM, or its primary
// killed with SIGKILL while its workers serve requests, and started again on
// the same state folder. The same cookie still works, with the clocks it
// had; a terminated session stays terminated; a changed table size or
// `session.keep-on-restart: no` starts empty and the log says why; a second
// server on the same table is still refused; and a fleet host starts with
// an empty near-cache, so nothing ended while it was down is served.
import fs from 'node:fs';
import test from 'ava';
import { SessionCache, TaskEngine, tasks } from '../lib/index.js';
import { startEcho, type EchoBackend, type EchoReply } from './helpers/backends.js';
import { Browser, restartGatehouse, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { eventually } from './helpers/proxy-launch.js';
import { childPids } from './helpers/proxy-procs.js';
import { freePort, startRedis } from './helpers/redis.js';

const PW = 'restart pass phrase';
const users = ['alice', 'bob', 'carol'].map((id) => ({ id, password: PW, groups: ['staff'] }));
let app: EchoBackend;

test.before(async () => { app = await startEcho({ name: 'app' }); });
test.after.always(async () => { await app?.close(); });

async function serve(config: Record<string, unknown> = {}, workers = 0): Promise<RunningGatehouse> {
  const port = await freePort();
  return startGatehouse({
    users, workers,
    config: {
      admin: { enabled: 'no' },
      // A fixed port: the restarted server must be able to take the listener back.
      listen: { http: { host: '127.0.0.1', port } },
      junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
      ...config,
    },
  });
}

/** A browser on `gh` holding the cookies of `from` (the same user after the restart). */
function browserOn(gh: RunningGatehouse, from?: Browser): Browser {
  const b = new Browser(gh.http);
  if (from !== undefined) for (const [k, v] of from.cookies) b.cookies.set(k, v);
  return b;
}

async function loggedIn(gh: RunningGatehouse, user: string): Promise<Browser> {
  const b = browserOn(gh);
  const r = await b.login(user, PW, '/app/');
  if (r.status !== 302) throw new Error(`login of ${user} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return b;
}

/** The back-end answered as `user` (the session was accepted). */
async function servedAs(b: Browser, user: string): Promise<boolean> {
  const r = await b.fetch('/app/who');
  if (r.status !== 200 || !String(r.headers['content-type']).startsWith('application/json')) return false;  // a page of the proxy
  return (JSON.parse(r.body) as EchoReply).headers['iv-user'] === user;
}

/** The one live session of `user`, read from the table as any process on the host may. */
function sessionOf(gh: RunningGatehouse, user: string) {
  const cache = SessionCache.open(gh.tableName);
  try {
    const l = cache.listSessions(user);
    return l.total === 1 ? { ...l.sessions[0]! } : undefined;
  } finally {
    cache.close();
  }
}

const messages = (gh: RunningGatehouse): string[] => gh.entries().map((e) => String(e['msg']));

test.serial('SIGTERM, then start again: the same cookie works, and its lifetime and inactivity clocks went on', async (t) => {
  t.timeout(120_000);
  const first = await serve({ session: { timeout: 7200, 'inactive-timeout': 1800 } });
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    t.true(await servedAs(alice, 'alice'));
    const before = sessionOf(gh, 'alice');
    t.truthy(before);
    t.is((await gh.halt('SIGTERM')).code, 0);
    gh = await restartGatehouse(first);
    t.true(messages(gh).includes('session table kept: 1 live sessions'), messages(gh).join('\n'));
    const kept = sessionOf(gh, 'alice');
    // The same session, not a new one: its user session ID, creation time and timeouts are the ones it had.
    t.is(kept?.userSessionId, before!.userSessionId);
    t.is(kept?.createdAt, before!.createdAt);
    t.is(kept?.lastAccessAt, before!.lastAccessAt);
    t.is(kept?.lifetimeSeconds, 7200);
    t.is(kept?.inactivitySeconds, 1800);
    t.true(await servedAs(browserOn(gh, alice), 'alice'));
    t.is(sessionOf(gh, 'alice')?.createdAt, before!.createdAt);
  } finally {
    await gh.stop();
  }
});

test.serial('kill -9 of the primary (2 workers) while requests run: its workers exit, and the next start keeps the sessions', async (t) => {
  t.timeout(180_000);
  const first = await serve({}, 2);
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    const workers = await eventually('two workers', () => { const p = childPids(gh.pid); return p.length === 2 ? p : undefined; });
    // Requests and logins through both workers while the primary is killed.
    let running = true;
    const load = (async () => {
      let n = 0;
      while (running) {
        await Promise.all([
          browserOn(gh, alice).fetch('/app/x').catch(() => undefined),
          browserOn(gh).login(n % 2 ? 'bob' : 'carol', PW, '/app/').catch(() => undefined),
        ]);
        n++;
      }
      return n;
    })();
    await new Promise((r) => setTimeout(r, 700));
    t.is((await gh.halt('SIGKILL')).signal, 'SIGKILL');
    // Orphaned by the kill, each worker exits on its own (a zombie until init reaps it counts as gone).
    await eventually('the workers of the killed primary to exit', () => (workers.every(gone) ? true : undefined), 30_000);
    running = false;
    t.true(await load > 0);
    gh = await restartGatehouse(first);
    const kept = gh.entries().find((e) => String(e['msg']).startsWith('session table kept:'));
    t.regex(String(kept?.['msg']), /^session table kept: \d+ live sessions \(after an abrupt end of pid \d+: consistency check passed\)$/);
    t.true(await servedAs(browserOn(gh, alice), 'alice'));
    // The new workers serve it too, and the table is sound.
    for (let i = 0; i < 6; i++) t.true(await servedAs(browserOn(gh, alice), 'alice'));
    const cache = SessionCache.open(gh.tableName);
    t.is(cache.check(3), null);
    cache.close();
  } finally {
    await gh.stop();
  }
});

function gone(pid: number): boolean {
  try { return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'); } catch { return true; }
}

test.serial('a terminated session stays terminated across a restart, with its reason', async (t) => {
  t.timeout(120_000);
  const first = await serve();
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    const bob = await loggedIn(gh, 'bob');
    const cache = SessionCache.open(gh.tableName);
    const engine = new TaskEngine(cache, { serverName: String((gh.config['server'] as Record<string, unknown>)['pdadmin-server-name']), sessionServerName: gh.serverName });
    t.true(engine.run(tasks.terminateAllSessions('alice')).ok);
    cache.close();
    // A copy of the browser: the reason page clears the cookie, and the restarted server must see it.
    t.regex((await browserOn(gh, alice).fetch('/app/')).body, /data-reason="all_sessions_terminated"/);
    t.is((await gh.halt('SIGTERM')).code, 0);
    gh = await restartGatehouse(first);
    const before = app.requests.length;
    const page = await browserOn(gh, alice).fetch('/app/');
    t.is(page.status, 200);
    t.regex(page.body, /data-reason="all_sessions_terminated"/);
    t.is(app.requests.length, before, 'the back-end was not reached');
    t.true(await servedAs(browserOn(gh, bob), 'bob'));
  } finally {
    await gh.stop();
  }
});

test.serial('a changed max-entries starts an empty table, and the log says why', async (t) => {
  t.timeout(120_000);
  const first = await serve();
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    await loggedIn(gh, 'bob');
    t.is((await gh.halt('SIGTERM')).code, 0);
    gh = await restartGatehouse(first, (c) => ({ ...c, session: { 'max-entries': 8192 } }));
    const warn = gh.entries().find((e) => String(e['msg']).startsWith('session table kept:'));
    t.is(warn?.['level'], 40);
    t.is(warn?.['msg'], 'session table kept: no — capacity 4096 -> 8192 in config (session.max-entries); 2 live sessions dropped');
    const page = await browserOn(gh, alice).fetch('/app/');
    t.is(page.status, 200);
    t.regex(page.body, /action="\/pkmslogin\.form"/);
    t.false(await servedAs(browserOn(gh, alice), 'alice'));
    const cache = SessionCache.open(gh.tableName);
    t.is(cache.stats().capacity, 8192);
    cache.close();
  } finally {
    await gh.stop();
  }
});

test.serial('session.keep-on-restart: no starts every run with an empty table', async (t) => {
  t.timeout(120_000);
  const first = await serve();
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    t.is((await gh.halt('SIGTERM')).code, 0);
    gh = await restartGatehouse(first, (c) => ({ ...c, session: { 'keep-on-restart': 'no' } }));
    t.true(messages(gh).includes('session table kept: no — session.keep-on-restart is no; 1 live sessions dropped'), messages(gh).join('\n'));
    t.false(await servedAs(browserOn(gh, alice), 'alice'));
  } finally {
    await gh.stop();
  }
});

test.serial('a second serve on the same table is refused, also once a restart after kill -9 kept the sessions', async (t) => {
  t.timeout(120_000);
  const first = await serve();
  let gh = first;
  try {
    const alice = await loggedIn(gh, 'alice');
    t.is((await gh.halt('SIGKILL')).signal, 'SIGKILL');
    gh = await restartGatehouse(first);
    const err = await t.throwsAsync(restartGatehouse(first));
    t.regex(err!.message, new RegExp(`is in use by another Gatehouse \\(pid ${gh.pid};`));
    // The refused start changed nothing: the session from before the kill still works.
    t.true(await servedAs(browserOn(gh, alice), 'alice'));
  } finally {
    await gh.stop();
  }
});

test.serial('a fleet host (dsess-enabled) restarts with an empty near-cache: a logout while it was down holds', async (t) => {
  t.timeout(180_000);
  const redis = await startRedis();
  const fleet = (name: string) => serve({
    server: { 'pdadmin-server-name': `default-webseald-${name}` },
    session: { 'dsess-enabled': 'yes' },
    redis: { servers: [redis.url], 'key-prefix': `restart${process.pid}`, 'command-timeout-ms': 1000, 'connect-timeout-ms': 2000 },
  });
  const hostA = await fleet('hostA');
  let a = hostA;
  const b = await fleet('hostB');
  try {
    const alice = await loggedIn(a, 'alice');
    const carol = await loggedIn(a, 'carol');
    t.true(await servedAs(alice, 'alice'));
    t.is((await a.halt('SIGTERM')).code, 0);
    // While host A is down, alice logs out on host B.
    t.is((await browserOn(b, alice).fetch('/pkmslogout')).status, 200);
    a = await restartGatehouse(hostA);
    t.true(messages(a).some((m) => m.startsWith('session table kept: no — session.dsess-enabled')), messages(a).join('\n'));
    const before = app.requests.length;
    t.false(await servedAs(browserOn(a, alice), 'alice'));
    t.is(app.requests.length, before, 'the back-end was not reached');
    // Carol's session lives in Redis: host A takes it back on her next request.
    t.true(await servedAs(browserOn(a, carol), 'carol'));
  } finally {
    await a.stop();
    await b.stop();
    await redis.stop();
  }
});

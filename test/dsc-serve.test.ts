// A fleet of real `gatehouse serve` hosts (separate state, tables and
// processes) on one real redis-server: a login on one host is valid on the
// others, every admin command sent to any host ends sessions on all of them,
// and a Redis outage fails closed with the session-unavailable page.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';
let redis: RedisServer;
let app: EchoBackend;
let eai: EchoBackend;
const hosts: RunningGatehouse[] = [];

const users = [
  { id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] },
  ...['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivan'].map((id) => ({ id, password: PW, groups: ['staff'] })),
  { id: 'limited', password: PW, groups: ['staff'], maxConcurrentWebSessions: 1 },
  { id: 'single', password: PW, groups: ['staff'], maxConcurrentWebSessions: 'displace' as const },
  ...['pat1', 'pat2', 'victim', 'bystander'].map((id) => ({ id, password: PW, groups: ['staff'] })),
];

async function host(name: string, workers = 0): Promise<RunningGatehouse> {
  return startGatehouse({
    users,
    workers,
    config: {
      server: { 'pdadmin-server-name': `default-webseald-${name}` },
      session: { 'dsess-enabled': 'yes', 'dsess-last-access-update-interval': 1 },
      redis: { servers: [redis.url], 'key-prefix': `fleet${process.pid}`, 'command-timeout-ms': 1000, 'connect-timeout-ms': 2000 },
      'header-names': { credattr: { tagvalue_user_session_id: 'user-session-id' } },
      junctions: {
        '/app': { servers: [app.url], c: ['iv_user', 'iv_groups'] },
        '/eai': { servers: [eai.url], c: ['iv_user'], 'eai-trigger-urls': ['/eai/logout*'] },
      },
    },
  });
}

test.before(async () => {
  redis = await startRedis();
  app = await startEcho({ name: 'app' });
  eai = await startEcho({ name: 'eai', responseHeaders: { 'am-eai-server-task': 'terminate all_sessions hank' } });
  hosts.push(await host('hostA'), await host('hostB', 2), await host('hostC'));
});

test.after.always(async () => {
  for (const h of hosts) await h.stop();
  await app.close();
  await eai.close();
  await redis.stop();
});

/** A browser on host i that holds the same cookies as `from`. */
function on(i: number, from?: Browser): Browser {
  const b = new Browser(hosts[i]!.http);
  if (from !== undefined) for (const [k, v] of from.cookies) b.cookies.set(k, v);
  return b;
}

async function loggedIn(user: string, i = 0): Promise<Browser> {
  const b = on(i);
  const r = await b.login(user, PW, '/app/');
  if (r.status !== 302) throw new Error(`login of ${user} on host ${i}: ${r.status} ${r.body.slice(0, 200)}`);
  return b;
}

async function admin(i: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(`${hosts[i]!.admin}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Basic ${Buffer.from(`sec_master:${ADMIN_PW}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.body.text();
  return { status: r.statusCode, json: text ? JSON.parse(text) : undefined };
}

async function task(i: number, text: string) {
  return admin(i, 'POST', `/api/v1/servers/default-webseald-host${'ABC'[i]}/tasks`, { task: text });
}

/** Polls until the browser on host i gets the login page with the reason (or `status`). */
async function refused(b: Browser, reason: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  const seen: string[] = [];
  for (;;) {
    const cookie = b.cookieHeader();
    const r = await b.fetch('/app/x');
    seen.push(`${r.status}${cookie === undefined ? ' (no cookie)' : ''}${/data-reason="[^"]*"/.exec(r.body)?.[0] ?? ''}`);
    if (r.status === 200 && r.body.includes('pkmslogin.form')) {
      if (!r.body.includes(`data-reason="${reason}"`)) throw new Error(`login page without reason ${reason}: ${seen.join(', ')}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`still served: ${r.status} ${r.body.slice(0, 200)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

function echoed(body: string): Record<string, string> {
  return (JSON.parse(body) as { headers: Record<string, string> }).headers;
}

test.serial('a login on A is valid on B (two workers) and C, with the same identity and user session ID', async (t) => {
  const a = await loggedIn('alice', 0);
  const ra = await a.fetch('/app/who');
  t.is(ra.status, 200);
  const usid = echoed(ra.body)['user-session-id'];
  for (const i of [1, 1, 2]) {
    const r = await on(i, a).fetch('/app/who');
    t.is(r.status, 200, `host ${i}`);
    t.is(echoed(r.body)['iv-user'], 'alice');
    // base64(serving host's server-name)_<id>: the id is the fleet's, the same on every host.
    t.is(echoed(r.body)['user-session-id']!.split('_').slice(1).join('_'), usid!.split('_').slice(1).join('_'));
  }
});

test.serial('terminate all_sessions through C\'s admin API ends the session on A and B, with the reason', async (t) => {
  const a = await loggedIn('bob', 0);
  const b = on(1, a);
  t.is((await b.fetch('/app/x')).status, 200);
  const r = await admin(2, 'DELETE', '/api/v1/users/bob/sessions');
  t.is(r.status, 200);
  t.is(r.json.ended, 1);
  await refused(a, 'all_sessions_terminated');
  await refused(b, 'all_sessions_terminated');
});

test.serial('terminate session <user session ID from a back-end>, sent as a task to B, ends it everywhere', async (t) => {
  const a = await loggedIn('carol', 0);
  const usid = echoed((await a.fetch('/app/who')).body)['user-session-id']!;
  const onC = on(2, a);
  t.is((await onC.fetch('/app/x')).status, 200);
  const other = await loggedIn('carol', 2);
  const r = await task(1, `terminate session ${usid}`);
  t.true(r.json.ok, JSON.stringify(r.json));
  t.is(r.json.messages[0].id, 'GHWAT0001I');
  await refused(a, 'terminated');
  await refused(onC, 'terminated');
  t.is((await other.fetch('/app/x')).status, 200, 'carol\'s other session lives');
  t.is(JSON.parse((await other.fetch('/app/x')).body).server, 'app');
});

test.serial('logout on C ends the session on A; refresh and sign-out-everyone hold fleet-wide', async (t) => {
  const a = await loggedIn('dave', 0);
  const c = on(2, a);
  t.is((await c.fetch('/app/x')).status, 200);
  t.is((await c.fetch('/pkmslogout')).status, 200);
  await refused(on(0, a), 'logged_out');

  const e = await loggedIn('erin', 1);
  const r = await task(0, 'refresh all_sessions erin');
  t.is(r.json.messages[0].id, 'GHWAT0005I');
  t.is((await on(2, e).fetch('/app/x')).status, 200, 'a refreshed session lives on (credential reloaded)');

  const f = await loggedIn('frank', 2);
  const fOnA = on(0, f);
  const eOnB = on(1, e);
  const s = await admin(1, 'POST', '/api/v1/sign-out-everyone');
  t.is(s.status, 200, JSON.stringify(s.json));
  await refused(f, 'signed_out_everywhere');
  await refused(fOnA, 'signed_out_everywhere');
  await refused(eOnB, 'signed_out_everywhere');
});

test.serial('the concurrent-session limit counts sessions on every host; listings and replica sets show the fleet', async (t) => {
  await loggedIn('limited', 0);
  const second = await on(1).login('limited', PW, '/app/');
  t.is(second.status, 403, 'the second session, on another host, is refused by the fleet-wide limit');
  const list = await admin(2, 'GET', '/api/v1/users/limited/sessions');
  t.is(list.json.total, 1);
  const rs = await task(0, 'replica set show default');
  t.deepEqual(rs.json.results.map((l: string) => l.split(' ')[0]).sort(), ['default-webseald-hostA', 'default-webseald-hostB', 'default-webseald-hostC']);
  const pattern = await task(1, 'session list lim* 10 default');
  t.is(pattern.json.messages[0].id, 'GHWAT0007I');
  t.is(pattern.json.results.length, 1);
});

test.serial('dscadmin session terminate all_sessions <pattern> through A ends the matching users on B and C only', async (t) => {
  const p1 = await loggedIn('pat1', 1);
  const p2 = await loggedIn('pat2', 2);
  const other = await loggedIn('alice', 1);
  const r = await task(0, 'session terminate all_sessions pat* default');
  t.true(r.json.ok, JSON.stringify(r.json));
  t.is(r.json.messages[0].id, 'GHWAT0010I');
  t.deepEqual(r.json.results, ['terminated=1 user=pat1', 'terminated=1 user=pat2']);
  await refused(p1, 'all_sessions_terminated');
  await refused(p2, 'all_sessions_terminated');
  t.is((await other.fetch('/app/x')).status, 200);
});

test.serial('displacement (max-concurrent-web-sessions displace): a login on C, answered on the prompt, displaces the session made on A', async (t) => {
  const first = await loggedIn('single', 0);
  const second = on(2);
  // prompt-for-displacement defaults to yes: the second host asks; answering "terminate" displaces the first.
  const r = await second.login('single', PW, '/app/');
  t.is(r.status, 200);
  t.regex(r.body, /pkmsdisplace/);
  const d = await second.fetch('/pkmsdisplace', { method: 'POST', form: {}, headers: { origin: hosts[2]!.http } });
  t.is(d.status, 302, d.body.slice(0, 300));
  t.is((await second.fetch('/app/x')).status, 200);
  await refused(first, 'displaced');
});

test.serial('POST /isam/pdadmin on B (the door of gatehouse admin and the ivadminapi.h library) terminates fleet-wide', async (t) => {
  const a = await loggedIn('pat1', 0);
  const onC = on(2, a);
  t.is((await onC.fetch('/app/x')).status, 200);
  const r = await admin(1, 'POST', '/isam/pdadmin', { commands: ['server task default-webseald-hostB terminate all_sessions pat1'] });
  t.is(r.status, 200, JSON.stringify(r.json));
  t.regex(r.json.result, /GHWAT0002I 1 session\(s\) of user pat1 terminated/);
  await refused(a, 'all_sessions_terminated');
  await refused(onC, 'all_sessions_terminated');
});

test.serial('the EAI header on host A ends the user\'s sessions on every host', async (t) => {
  const b = await loggedIn('hank', 1);
  const onC = on(2, b);
  t.is((await onC.fetch('/app/x')).status, 200);
  const trigger = await on(0, b).fetch('/eai/logout');
  t.is(trigger.status, 200);
  t.is(trigger.headers['am-eai-server-task'], undefined, 'never relayed to the browser');
  await refused(b, 'all_sessions_terminated');
  await refused(onC, 'all_sessions_terminated');
});

test.serial('a host started after the login (a restart, a new replica) serves the session: it lives in Redis', async (t) => {
  const a = await loggedIn('ivan', 0);
  const d = await host('hostD');
  try {
    const b = new Browser(d.http);
    for (const [k, v] of a.cookies) b.cookies.set(k, v);
    const r = await b.fetch('/app/x');
    t.is(r.status, 200);
    t.is(echoed(r.body)['iv-user'], 'ivan');
  } finally {
    await d.stop();
  }
});

test.serial('a wrong Redis password or a missing password variable at start-up exits with a clear message, not a hang', async (t) => {
  const locked = await startRedis(['--requirepass', 'the-right-one']);
  const pwFile = path.join(locked.dir, 'redis-password');
  fs.writeFileSync(pwFile, 'a-wrong-one\n');
  try {
    const wrong = await t.throwsAsync(startGatehouse({
      users,
      config: {
        session: { 'dsess-enabled': 'yes' },
        redis: { servers: [locked.url], 'password-file': pwFile },
        junctions: { '/app': { servers: [app.url] } },
      },
    }));
    t.regex(wrong!.message, /Redis refused the credentials/);
    const missing = await t.throwsAsync(startGatehouse({
      users,
      config: {
        session: { 'dsess-enabled': 'yes' },
        redis: { servers: [locked.url], 'password-env': 'GH_TEST_NO_SUCH_VARIABLE' },
        junctions: { '/app': { servers: [app.url] } },
      },
    }));
    t.regex(missing!.message, /GH_TEST_NO_SUCH_VARIABLE is not set/);
  } finally {
    await locked.stop();
  }
});

test.serial('metrics: lookups in Redis by outcome, announcements applied and near-cache trust, on every host', async (t) => {
  for (const i of [0, 1]) {
    const r = await request(`${hosts[i]!.admin}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`sec_master:${ADMIN_PW}`).toString('base64')}` } });
    const text = await r.body.text();
    t.is(r.statusCode, 200);
    t.regex(text, /gatehouse_dsc_lookups_total\{outcome="valid"\} [1-9]/, `host ${i}`);
    t.regex(text, /gatehouse_dsc_lookups_total\{outcome="invalid"\} [1-9]/, `host ${i}`);
    t.regex(text, /gatehouse_dsc_invalidations_total\{kind="user"\} [1-9]/, `host ${i}`);
    t.regex(text, /gatehouse_dsc_near_cache_trusted 1/, `host ${i}`);
  }
});

test.serial('Redis stopped: requests and logins fail closed with the session-unavailable page; service resumes by itself', async (t) => {
  const a = await loggedIn('gina', 0);
  t.is((await on(1, a).fetch('/app/x')).status, 200);
  redis.signal('SIGKILL');
  let r = await on(1, a).fetch('/app/x');
  for (const end = Date.now() + 15_000; r.status !== 503 && Date.now() < end;) { await new Promise((res) => setTimeout(res, 20)); r = await on(1, a).fetch('/app/x'); }
  t.is(r.status, 503);
  t.regex(r.body, /Session service temporarily unavailable/);
  t.is((await on(2).login('gina', PW, '/app/')).status, 503, 'no login during the outage');
  // The admin plane cannot confirm that an administrator's account is not invalidated fleet-wide: it refuses.
  const who = await admin(2, 'GET', '/api/v1/whoami');
  t.is(who.status, 503);
  t.is(who.json.error.code, 'session_store_unavailable');
  await redis.start();
  // Redis came back empty: every session is gone, the login page says so, and logins work again.
  let back = await on(0, a).fetch('/app/x');
  for (const end = Date.now() + 20_000; !(back.status === 200 && back.body.includes('pkmslogin.form')) && Date.now() < end;) {
    await new Promise((res) => setTimeout(res, 20));
    back = await on(0, a).fetch('/app/x');
  }
  t.true(back.body.includes('pkmslogin.form'), `${back.status} ${back.body.slice(0, 200)}`);
  let again = await on(2).login('gina', PW, '/app/');
  for (const end = Date.now() + 15_000; again.status !== 302 && Date.now() < end;) {
    await new Promise((res) => setTimeout(res, 50));
    again = await on(2).login('gina', PW, '/app/');
  }
  t.is(again.status, 302);
});

// Login policy across a fleet: two real `gatehouse serve` hosts (A in one
// process, B with two workers; separate state, tables and registry files) on
// one real redis-server. An account invalidated through one host's admin
// plane cannot log in (or administer) through the other, until it is made
// valid again; failed logins spread over both hosts add up to one count, and
// a reached limit refuses logins on either host.
import test from 'ava';
import { request } from 'undici';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';
let redis: RedisServer;
let app: EchoBackend;
const hosts: RunningGatehouse[] = [];

const users = [
  { id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] },
  { id: 'ops', password: ADMIN_PW, groups: ['iv-admin'] },
  ...['guessed', 'inval', 'keeper'].map((id) => ({ id, password: PW, groups: ['staff'] })),
];

test.before(async () => {
  redis = await startRedis();
  app = await startEcho({ name: 'app' });
  for (const [name, workers] of [['lgA', 0], ['lgB', 2]] as const) {
    hosts.push(await startGatehouse({
      users,
      workers,
      config: {
        server: { 'pdadmin-server-name': `default-webseald-${name}` },
        session: { 'dsess-enabled': 'yes' },
        redis: { servers: [redis.url], 'key-prefix': `logins${process.pid}`, 'command-timeout-ms': 5000, 'connect-timeout-ms': 5000 },
        'failed-login': { 'max-login-failures': 5 },
        junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
      },
    }));
  }
});

test.after.always(async () => {
  for (const h of hosts) await h.stop();
  await app?.close();
  await redis?.stop();
});

function on(i: number): Browser {
  return new Browser(hosts[i]!.http);
}

async function admin(i: number, method: string, path: string, body?: unknown, user = 'sec_master'): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(`${hosts[i]!.admin}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Basic ${Buffer.from(`${user}:${ADMIN_PW}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.body.text();
  return { status: r.statusCode, json: text ? JSON.parse(text) : undefined };
}

/** What host i answers for the browser's session: 'served', or the login page's reason. */
async function answer(b: Browser, i: number): Promise<string> {
  const there = on(i);
  for (const [k, v] of b.cookies) there.cookies.set(k, v);
  const r = await there.fetch('/app/x');
  if (r.status === 200 && r.body.includes('"server":"app"')) return 'served';
  return /data-reason="([^"]*)"/.exec(r.body)?.[1] ?? `${r.status}`;
}

const DISABLED = /Your account has been disabled/;

test.serial('an account invalidated through A cannot log in through B (any worker) until it is made valid through B', async (t) => {
  const before = on(0);
  t.is((await before.login('inval', PW, '/app/')).status, 302);
  const inv = await admin(0, 'POST', '/api/v1/users/inval/invalidate', {});
  t.deepEqual(inv.json, { accountValid: false, ended: 1 });
  for (const i of [1, 1, 1, 0]) {
    const r = await on(i).login('inval', PW, '/app/');
    t.is(r.status, 403, `host ${'AB'[i]}`);
    t.regex(r.body, DISABLED);
  }
  t.is(await answer(before, 1), 'all_sessions_terminated');
  // B's registry file still holds the account valid: the fleet's invalidation is what refuses it, and B's listing shows it.
  const listed = await admin(1, 'GET', '/api/v1/users/inval/sessions');
  t.is(listed.status, 200);
  t.like(listed.json, { total: 0, accountValid: false, invalidated: { server: 'default-webseald-lgA', by: 'sec_master' } });
  t.false(Number.isNaN(Date.parse(listed.json.invalidated.at)));

  t.deepEqual((await admin(1, 'POST', '/api/v1/users/inval/validate')).json, { accountValid: true });
  for (const i of [0, 1]) t.is((await on(i).login('inval', PW, '/app/')).status, 302, `host ${'AB'[i]}`);
  const after = await admin(0, 'GET', '/api/v1/users/inval/sessions');
  t.like(after.json, { total: 2, accountValid: true });
  t.is(after.json.invalidated, undefined);
});

test.serial('invalidated without ending its sessions: they live on until refresh all_sessions, which ends them on every host', async (t) => {
  const b = on(1);
  t.is((await b.login('keeper', PW, '/app/')).status, 302);
  t.is(await answer(b, 0), 'served');
  t.deepEqual((await admin(0, 'POST', '/api/v1/users/keeper/invalidate', { endSessions: false })).json, { accountValid: false, ended: 0 });
  t.is(await answer(b, 0), 'served');
  t.is(await answer(b, 1), 'served');
  t.is((await admin(1, 'POST', '/api/v1/users/keeper/refresh')).status, 200);
  // B first: its registry file holds the account valid, so only the fleet's invalidation can end the session there.
  for (const i of [1, 0]) {
    let seen = await answer(b, i);
    for (const end = Date.now() + 15_000; seen === 'served' && Date.now() < end;) { await new Promise((r) => setTimeout(r, 20)); seen = await answer(b, i); }
    t.is(seen, 'terminated', `host ${'AB'[i]}`);
  }
  t.is((await admin(1, 'POST', '/api/v1/users/keeper/validate')).status, 200);
});

test.serial('an administrator invalidated through A is refused by B\'s admin plane too, until made valid', async (t) => {
  t.is((await admin(1, 'GET', '/api/v1/whoami', undefined, 'ops')).status, 200);
  t.is((await admin(0, 'POST', '/api/v1/users/ops/invalidate', {})).status, 200);
  const refused = await admin(1, 'GET', '/api/v1/whoami', undefined, 'ops');
  t.is(refused.status, 401);
  t.is(refused.json.error.code, 'unauthenticated');
  t.is((await admin(1, 'POST', '/api/v1/users/ops/validate')).status, 200);
  t.is((await admin(0, 'GET', '/api/v1/whoami', undefined, 'ops')).status, 200);
});

test.serial('failed logins count fleet-wide: five bad passwords split over A and B lock the name out on either host', async (t) => {
  for (let n = 0; n < 5; n++) {
    const r = await on(n % 2).login('guessed', `wrong-${n}`, '/app/');
    t.is(r.status, 401, `bad password ${n + 1} on host ${'AB'[n % 2]}`);
  }
  // Three failures on A and two on B: per host neither would refuse yet. Together they reach the limit.
  for (const i of [0, 1, 1]) {
    const r = await on(i).login('guessed', PW, '/app/');
    t.is(r.status, 429, `host ${'AB'[i]}: even the right password is refused`);
    t.truthy(r.headers['retry-after']);
  }
});

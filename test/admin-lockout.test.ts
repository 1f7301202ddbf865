// Lockout after repeated authentication failures: per (principal, source
// address) and per source address, 429 with Retry-After while locked (even
// for the right password), and the lock expiring -- with an injected clock,
// never by sleeping. Every failure and every refusal is audited.
import test from 'ava';
import http from 'node:http';
import { Lockout } from '../lib/admin/authn-lockout.js';
import { basic, startFixture, type Fixture } from './helpers/admin-fixture.js';

const T0 = Date.UTC(2025, 10, 23, 10, 0, 0);

async function setup(t: { teardown(fn: () => unknown): void }): Promise<{ f: Fixture; clock: { now: number } }> {
  const clock = { now: T0 };
  const f = await startFixture({
    tls: false,
    lockout: { maxFailures: 3, maxFailuresPerAddress: 8, windowSeconds: 60, lockoutSeconds: 120 },
    now: () => clock.now,
  });
  t.teardown(() => f.close());
  return { f, clock };
}

const whoami = (f: Fixture, auth: string) => f.call('GET', '/api/v1/whoami', { auth });

test('three bad passwords lock the pair out: 429 with Retry-After even for the right password, until it expires', async (t) => {
  const { f, clock } = await setup(t);
  for (let i = 0; i < 3; i++) t.is((await whoami(f, basic('sec_master', `guess${i}`))).status, 401);
  const locked = await whoami(f, basic('sec_master'));
  t.is(locked.status, 429);
  t.is(locked.json.error.code, 'locked_out');
  t.is(locked.json.messages[0].id, 'GHWAA0002E');
  t.is(locked.headers['retry-after'], '120');
  // Another principal from the same address is not locked by this pair.
  t.is((await whoami(f, basic('alice'))).status, 200);

  clock.now += 119_000;
  const still = await whoami(f, basic('sec_master'));
  t.is(still.status, 429);
  t.is(still.headers['retry-after'], '1');
  clock.now += 2_000;
  t.is((await whoami(f, basic('sec_master'))).status, 200);

  const audit = f.allAudit().filter((e) => e.initiator === 'sec_master');
  t.deepEqual(audit.map((e) => e.outcome), ['denied', 'denied', 'denied', 'denied', 'denied', 'allowed']);
  t.regex(audit[0].detail, /authentication failed: bad_password/);
  t.regex(audit[3].detail, /locked out/);
  t.true(audit.every((e) => !JSON.stringify(e).includes('guess')), 'no password in the audit');
});

test('failures older than the window do not count', async (t) => {
  const { f, clock } = await setup(t);
  for (let i = 0; i < 2; i++) t.is((await whoami(f, basic('sec_master', 'bad'))).status, 401);
  clock.now += 61_000;
  for (let i = 0; i < 2; i++) t.is((await whoami(f, basic('sec_master', 'bad'))).status, 401);
  t.is((await whoami(f, basic('sec_master'))).status, 200);
});

test('a success clears the pair\'s failures', async (t) => {
  const { f } = await setup(t);
  for (let i = 0; i < 2; i++) await whoami(f, basic('sec_master', 'bad'));
  t.is((await whoami(f, basic('sec_master'))).status, 200);
  for (let i = 0; i < 2; i++) t.is((await whoami(f, basic('sec_master', 'bad'))).status, 401);
  t.is((await whoami(f, basic('sec_master'))).status, 200);
});

test('spraying many user names locks the source address out for everyone', async (t) => {
  const { f, clock } = await setup(t);
  for (let i = 0; i < 8; i++) t.is((await whoami(f, basic(`user${i}`, 'x'))).status, 401);
  const r = await whoami(f, basic('alice'));
  t.is(r.status, 429);
  t.is(r.headers['retry-after'], '120');
  // A good login does not reset the address counter; time does.
  clock.now += 120_001;
  t.is((await whoami(f, basic('alice'))).status, 200);
});

test('bad tokens and /isam/pdadmin body credentials count the same way', async (t) => {
  const { f } = await setup(t);
  const token = f.token('sec_master');
  const wrong = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  for (let i = 0; i < 3; i++) t.is((await whoami(f, `Bearer ${wrong}`)).status, 401);
  t.is((await whoami(f, `Bearer ${token}`)).status, 429, 'the token ID is locked out');
  for (let i = 0; i < 3; i++) {
    const r = await f.call('POST', '/isam/pdadmin', { auth: null, body: { admin_id: 'lena', admin_pwd: 'no', commands: ['server list'] } });
    t.is(r.status, 401);
  }
  const r = await f.call('POST', '/isam/pdadmin', { auth: null, body: { admin_id: 'lena', admin_pwd: 'lena-pw-3', commands: ['server list'] } });
  t.is(r.status, 429);
});

/** GET /api/v1/whoami from a chosen loopback source address (any of 127.0.0.0/8 can be bound). */
function whoamiFrom(f: Fixture, localAddress: string, auth: string): Promise<{ status: number; retryAfter: string | undefined; json: any }> {
  return new Promise((resolve, reject) => {
    // node:http, not undici: its connect options do not pass localAddress on.
    const req = http.request(`${f.server.url}/api/v1/whoami`, { localAddress, agent: false, headers: { authorization: auth } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a guess spread over many source addresses locks the principal out, for a bounded, doubling delay', async (t) => {
  const clock = { now: T0 };
  const f = await startFixture({
    tls: false,
    // Per pair and per address: never reached here (each address fails once).
    lockout: { maxFailures: 5, maxFailuresPerAddress: 20, windowSeconds: 300, lockoutSeconds: 300, maxFailuresPerPrincipal: 4, principalDelaySeconds: 1, maxPrincipalDelaySeconds: 900 },
    now: () => clock.now,
  });
  t.teardown(() => f.close());
  let n = 0;
  const fresh = () => { n++; return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255) + 2}`; };
  for (let i = 0; i < 3; i++) t.is((await whoamiFrom(f, fresh(), basic('sec_master', `guess${i}`))).status, 401);
  // The fourth failure, from a fourth address, locks sec_master out everywhere: 1 s.
  t.is((await whoamiFrom(f, fresh(), basic('sec_master', 'guess3'))).status, 401);
  const locked = await whoamiFrom(f, fresh(), basic('sec_master'));
  t.is(locked.status, 429, 'the right password from yet another address is refused while locked');
  t.is(locked.json.error.code, 'locked_out');
  t.regex(locked.json.error.message, /Too many failed authentication attempts; try again later\. Retry after 1 s\./);
  t.is(locked.retryAfter, '1');
  t.is((await whoamiFrom(f, fresh(), basic('alice'))).status, 200, 'other principals are not affected');
  // Each further failure (once the delay is over) doubles the delay: 2, 4, 8 ... capped at 900 s.
  const delays: number[] = [];
  let previous = 1;
  for (let i = 0; i < 12; i++) {
    clock.now += previous * 1000;  // the delay is over; the count is kept (failures since the last success)
    const r = await whoamiFrom(f, fresh(), basic('sec_master', `again${i}`));
    t.is(r.status, 401);
    const after = await whoamiFrom(f, fresh(), basic('sec_master'));
    t.is(after.status, 429);
    previous = Number(after.retryAfter);
    delays.push(previous);
  }
  t.deepEqual(delays, [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
  // After the delay the real administrator gets in, and that success resets the count.
  clock.now += 900_000;
  t.is((await whoamiFrom(f, fresh(), basic('sec_master'))).status, 200);
  t.is((await whoamiFrom(f, fresh(), basic('sec_master', 'typo'))).status, 401);
  t.is((await whoamiFrom(f, fresh(), basic('sec_master'))).status, 200, 'one typo after a success locks nothing');
  // Idle for the window (300 s) after the last lockout: the count is forgotten as well.
  for (let i = 0; i < 4; i++) await whoamiFrom(f, fresh(), basic('sec_master', `later${i}`));
  t.is((await whoamiFrom(f, fresh(), basic('sec_master'))).status, 429);
  clock.now += 301_000;
  t.is((await whoamiFrom(f, fresh(), basic('sec_master', 'once more'))).status, 401);
  t.is((await whoamiFrom(f, fresh(), basic('sec_master'))).status, 200);
  const refusals = f.allAudit().filter((e) => e.initiator === 'sec_master' && /locked out/.test(e.detail ?? ''));
  t.is(refusals.length, 14, 'every refusal is audited');
  t.true(new Set(f.allAudit().map((e) => e.source)).size > 20, 'the attempts came from many source addresses');
});

test('Lockout: limits, windows and expiry with a fake clock', (t) => {
  let now = 1_000_000;
  const l = new Lockout({ maxFailures: 2, maxFailuresPerAddress: 5, windowSeconds: 10, lockoutSeconds: 30 }, () => now);
  t.deepEqual(l.check('10.0.0.1', 'bob'), { locked: false });
  t.deepEqual(l.fail('10.0.0.1', 'bob'), { locked: false });
  t.deepEqual(l.fail('10.0.0.1', 'bob'), { locked: true, retryAfterSeconds: 30 });
  t.deepEqual(l.check('10.0.0.2', 'bob'), { locked: false }, 'another address is not locked');
  t.deepEqual(l.check('10.0.0.1', 'carol'), { locked: false }, 'another principal is not locked');
  now += 29_500;
  t.deepEqual(l.check('10.0.0.1', 'bob'), { locked: true, retryAfterSeconds: 1 });
  now += 600;
  t.deepEqual(l.check('10.0.0.1', 'bob'), { locked: false });
  // Address-wide.
  for (const p of ['a', 'b', 'c', 'd']) l.fail('10.0.0.3', p);
  t.false(l.check('10.0.0.3').locked);
  t.true(l.fail('10.0.0.3', 'e').locked);
  t.true(l.check('10.0.0.3', 'anyone').locked);
  t.throws(() => new Lockout({ maxFailures: 0 }), { instanceOf: RangeError });
  // Per principal, from any address: 2 x maxFailures by default, then 1 s, doubling, capped.
  const p = new Lockout({ maxFailures: 2, maxFailuresPerAddress: 100, windowSeconds: 10, lockoutSeconds: 30, maxPrincipalDelaySeconds: 3 }, () => now);
  for (let i = 0; i < 3; i++) t.false(p.fail(`10.1.0.${i}`, 'zoe').locked);
  t.deepEqual(p.fail('10.1.0.9', 'zoe'), { locked: true, retryAfterSeconds: 1 });
  t.deepEqual(p.check('10.9.9.9', 'zoe'), { locked: true, retryAfterSeconds: 1 });
  t.false(p.check('10.9.9.9').locked, 'the address itself is not locked');
  now += 1_000;
  t.deepEqual(p.fail('10.1.1.1', 'zoe'), { locked: true, retryAfterSeconds: 2 });
  now += 2_000;
  t.deepEqual(p.fail('10.1.1.2', 'zoe'), { locked: true, retryAfterSeconds: 3 }, 'capped');
  now += 3_000;
  p.succeed('10.1.1.3', 'zoe');
  t.false(p.fail('10.1.1.4', 'zoe').locked, 'a success resets the principal count');
  now += 11_000;
  for (let i = 0; i < 3; i++) p.fail(`10.2.0.${i}`, 'yan');
  now += 11_000;  // idle for a window: forgotten
  t.false(p.fail('10.2.0.9', 'yan').locked);
});

// Lockout after repeated authentication failures: per (principal, source
// address) and per source address, 429 with Retry-After while locked (even
// for the right password), and the lock expiring -- with an injected clock,
// never by sleeping. Every failure and every refusal is audited.
import test from 'ava';
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
});

// SessionCache.adopt: a session made by another host is taken into this table
// under the same session ID, and from then on is an ordinary local session.
import test from 'ava';
import crypto from 'node:crypto';
import { SessionCache } from '../lib/session/cache.js';

function table(t: import('ava').ExecutionContext): SessionCache {
  const name = `gh-adopt-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const c = SessionCache.create(name, { capacity: 64 });
  t.teardown(() => { c.close(); SessionCache.unlink(name); });
  return c;
}

test('adopt: the same cookie validates on the adopting table, with the original times and attributes', (t) => {
  const a = table(t);
  const b = table(t);
  const made = a.create({ loginId: 'bob', attributes: { groups: ['staff'] }, now: 1_700_000_000_000, lifetimeSeconds: 0, inactivitySeconds: 0 });
  t.false(b.validate(made.sessionId).valid);
  const adopted = b.adopt({
    sessionId: made.sessionId, loginId: 'bob', attributes: { groups: ['staff'] }, lifetimeSeconds: 0, inactivitySeconds: 0,
    createdAt: made.createdAt, lastAccessAt: made.createdAt + 5, authMethod: 'forms', authLevel: 1,
  });
  t.is(adopted.sessionId, made.sessionId);
  t.not(adopted.userSessionId, made.userSessionId, 'the local user session ID is this table\'s own');
  const v = b.validate(made.sessionId, { touch: false });
  t.true(v.valid);
  if (v.valid) {
    t.is(v.session.loginId, 'bob');
    t.deepEqual(v.session.attributes, { groups: ['staff'] });
    t.is(v.session.createdAt, made.createdAt);
    t.is(v.session.authMethod, 'forms');
  }
  // Adopting a live ID again changes nothing.
  const again = b.adopt({ sessionId: made.sessionId, loginId: 'bob', createdAt: made.createdAt, lastAccessAt: made.createdAt });
  t.is(again.userSessionId, adopted.userSessionId);
  t.is(b.stats().live, 1);
});

test('adopt: an ended incarnation of the ID is replaced, and terminations hold on the adopted session', (t) => {
  const b = table(t);
  const sid = crypto.randomBytes(24).toString('base64url');
  const spec = { sessionId: sid, loginId: 'carol', createdAt: Date.now(), lastAccessAt: Date.now() };
  b.adopt(spec);
  t.true(b.logout(sid));
  t.deepEqual(b.validate(sid), { valid: false, reason: 'logged_out' });
  b.adopt(spec);
  t.true(b.validate(sid).valid, 'adopted again after the local entry ended');
  t.is(b.terminateAllSessions('carol'), 1);
  t.deepEqual(b.validate(sid), { valid: false, reason: 'all_sessions_terminated' });
  b.adopt(spec);
  b.signOutEveryone();
  t.deepEqual(b.validate(sid), { valid: false, reason: 'signed_out_everywhere' });
});

test('adopt: expired times are judged as such, and malformed input is refused', (t) => {
  const b = table(t);
  const sid = crypto.randomBytes(24).toString('base64url');
  const now = Date.now();
  b.adopt({ sessionId: sid, loginId: 'dave', lifetimeSeconds: 10, inactivitySeconds: 5, createdAt: now - 20_000, lastAccessAt: now - 1000 });
  t.deepEqual(b.validate(sid), { valid: false, reason: 'expired' });
  for (const bad of ['', 'short', 'A'.repeat(33), '!'.repeat(32), 'A'.repeat(32)])
    t.throws(() => b.adopt({ sessionId: bad, loginId: 'x', createdAt: now, lastAccessAt: now }), { code: 'ERR_GH_INVALID_ARGUMENT' }, bad);
  t.throws(() => b.adopt({ sessionId: sid, loginId: '\uD800', createdAt: now, lastAccessAt: now }), { code: 'ERR_GH_INVALID_ARGUMENT' });
});

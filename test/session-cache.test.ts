// Every operation of SessionCache and every reason a session can be invalid.
import test from 'ava';
import {
  SessionCache, InvalidArgumentError, SessionLimitError, TooLargeError, TableError, isSessionId,
} from '../lib/index.js';
import { uniqueName, withTable } from './helpers/tables.js';

const T0 = Date.now();

test('create returns a cookie and a distinct user session ID; validate returns the view', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const s = c.create({ loginId: 'dlucas', attributes: { groups: ['staff', 'dev'], tagvalue_dept: 'ops' }, authMethod: 'forms', authLevel: 1 });
    t.true(isSessionId(s.sessionId));
    t.regex(s.userSessionId, /^[A-Za-z0-9_-]{22}$/);
    t.false(s.sessionId.includes(s.userSessionId));
    const r = c.validate(s.sessionId);
    t.true(r.valid);
    if (!r.valid) return;
    t.is(r.session.loginId, 'dlucas');
    t.deepEqual(r.session.attributes, { groups: ['staff', 'dev'], tagvalue_dept: 'ops' });
    t.is(r.session.userSessionId, s.userSessionId);
    t.is(r.session.authMethod, 'forms');
    t.is(r.session.authLevel, 1);
    t.is(r.session.lifetimeSeconds, 3600);
    t.is(r.session.inactivitySeconds, 600);
  });
});

test('every login issues a new session ID', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const ids = new Set(Array.from({ length: 50 }, () => c.create({ loginId: 'same' }).sessionId));
    t.is(ids.size, 50);
  });
});

test('unknown and malformed cookies are invalid with reason unknown, never an exception', (t) => {
  withTable({ capacity: 64 }, (c) => {
    c.create({ loginId: 'a' });
    for (const bad of ['', 'x', 'A'.repeat(31), 'A'.repeat(33), 'A'.repeat(31) + '+', 'A'.repeat(16) + '\0' + 'A'.repeat(15),
      'é'.repeat(32), 'A'.repeat(100000), 'B'.repeat(32)]) {
      t.deepEqual(c.validate(bad), { valid: false, reason: 'unknown' }, JSON.stringify(bad.slice(0, 40)));
    }
    t.throws(() => c.validate(42 as unknown as string), { instanceOf: InvalidArgumentError });
  });
});

test('lifetime (timeout) and inactivity (inactive-timeout) expire sessions', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'a', lifetimeSeconds: 10, inactivitySeconds: 0, now: T0 });
    t.true(c.validate(a.sessionId, { now: T0 + 9_999 }).valid);
    t.deepEqual(c.validate(a.sessionId, { now: T0 + 10_000 }), { valid: false, reason: 'expired' });
    const b = c.create({ loginId: 'b', lifetimeSeconds: 0, inactivitySeconds: 5, now: T0 });
    t.true(c.validate(b.sessionId, { now: T0 + 4_000 }).valid);  // touches
    t.true(c.validate(b.sessionId, { now: T0 + 8_000, touch: false }).valid);
    t.deepEqual(c.validate(b.sessionId, { now: T0 + 9_500 }), { valid: false, reason: 'inactive' });
  });
});

test('touch advances last access without a full validation and refuses dead sessions', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'a', lifetimeSeconds: 0, inactivitySeconds: 5, now: T0 });
    t.true(c.touch(a.sessionId, T0 + 4_000));
    const v = c.validate(a.sessionId, { now: T0 + 8_000, touch: false });
    t.true(v.valid && v.session.lastAccessAt === T0 + 4_000);
    t.false(c.touch(a.sessionId, T0 + 20_000));  // inactive by then
    t.false(c.touch('A'.repeat(32)));
    t.throws(() => c.touch(7 as unknown as string), { instanceOf: InvalidArgumentError });
  });
});

test('logout and terminate session leave tombstones that say why', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'a' });
    const b = c.create({ loginId: 'b' });
    const d = c.create({ loginId: 'd' });
    t.true(c.logout(a.sessionId));
    t.false(c.logout(a.sessionId));
    t.false(c.logout('garbage'));
    t.deepEqual(c.validate(a.sessionId), { valid: false, reason: 'logged_out' });
    t.true(c.terminateSession(b.userSessionId));
    t.false(c.terminateSession(b.userSessionId));
    t.deepEqual(c.validate(b.sessionId), { valid: false, reason: 'terminated' });
    t.true(c.terminateSession(d.userSessionId, 'displaced'));
    t.deepEqual(c.validate(d.sessionId), { valid: false, reason: 'displaced' });
    t.false(c.terminateSession('A'.repeat(22)));
    t.throws(() => c.terminateSession(a.sessionId), { instanceOf: InvalidArgumentError });  // a cookie is not a user session ID
  });
});

test('terminate all_sessions ends every session of that user and no other, in one call', (t) => {
  withTable({ capacity: 256 }, (c) => {
    const mary = Array.from({ length: 20 }, () => c.create({ loginId: 'Mary Jones' }));
    const bob = c.create({ loginId: 'bob' });
    t.is(c.countSessions('Mary Jones').count, 20);
    t.is(c.terminateAllSessions('Mary Jones'), 20);
    for (const s of mary) t.deepEqual(c.validate(s.sessionId), { valid: false, reason: 'all_sessions_terminated' });
    t.true(c.validate(bob.sessionId).valid);
    t.is(c.countSessions('Mary Jones').count, 0);
    t.true(c.validate(c.create({ loginId: 'Mary Jones' }).sessionId).valid);
    t.is(c.terminateAllSessions('nobody'), 0);
  });
});

test('displacement of all sessions is reported as displaced', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'u' });
    c.terminateAllSessions('u', 'displaced');
    t.deepEqual(c.validate(a.sessionId), { valid: false, reason: 'displaced' });
  });
});

test('sign out everyone ends all sessions in O(1) and logins work afterwards', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const before = c.stats().epoch;
    const a = c.create({ loginId: 'a' });
    const b = c.create({ loginId: 'b', maxSessions: 1 });
    t.is(c.signOutEveryone(), before + 1);
    t.deepEqual(c.validate(a.sessionId), { valid: false, reason: 'signed_out_everywhere' });
    t.deepEqual(c.validate(b.sessionId), { valid: false, reason: 'signed_out_everywhere' });
    t.true(c.validate(c.create({ loginId: 'b', maxSessions: 1 }).sessionId).valid);
  });
});

test('the concurrent-session limit is enforced and freed by logout', (t) => {
  withTable({ capacity: 64 }, (c) => {
    c.create({ loginId: 'lim', maxSessions: 2 });
    const second = c.create({ loginId: 'lim', maxSessions: 2 });
    const err = t.throws(() => c.create({ loginId: 'lim', maxSessions: 2 }), { instanceOf: SessionLimitError });
    t.is(err?.code, 'ERR_GH_SESSION_LIMIT');
    t.deepEqual(c.countSessions('lim'), { count: 2, limit: 2 });
    c.logout(second.sessionId);
    t.notThrows(() => c.create({ loginId: 'lim', maxSessions: 2 }));
  });
});

test('refresh all_sessions flags each session of the user', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'r' });
    const other = c.create({ loginId: 'other' });
    const v0 = c.validate(a.sessionId);
    t.true(v0.valid && !v0.session.refreshNeeded);
    t.is(c.refreshAllSessions('r'), 1);
    const v1 = c.validate(a.sessionId);
    t.true(v1.valid && v1.session.refreshNeeded);
    const v2 = c.validate(other.sessionId);
    t.true(v2.valid && !v2.session.refreshNeeded);
  });
});

test('listing by login ID and by case-insensitive pattern reports the total', (t) => {
  withTable({ capacity: 64 }, (c) => {
    for (const l of ['Alice', 'alison', 'bob', 'alice', 'alice', 'Grüße']) c.create({ loginId: l });
    const mine = c.listSessions('alice');
    t.is(mine.total, 2);
    t.true(mine.sessions.every((s) => s.loginId === 'alice'));
    t.is(c.listByPattern('ALI*').total, 4);
    const capped = c.listByPattern('*', { max: 2 });
    t.is(capped.total, 6);
    t.is(capped.sessions.length, 2);
    t.is(c.listByPattern('gr*e').total, 1);
    t.is(c.listByPattern('nobody*').total, 0);
  });
});

test('a full table evicts the least recently used session', (t) => {
  withTable({ capacity: 32 }, (c) => {
    const s = Array.from({ length: 32 }, (_, i) => c.create({ loginId: `u${i}`, lifetimeSeconds: 0, inactivitySeconds: 0, now: T0 + i * 1000 }));
    s.forEach((x, i) => { if (i !== 7) c.validate(x.sessionId, { now: T0 + 100_000 }); });
    c.create({ loginId: 'newcomer', now: T0 + 200_000 });
    t.deepEqual(c.validate(s[7]!.sessionId, { now: T0 + 200_000 }), { valid: false, reason: 'evicted' });
    t.is(s.filter((x) => c.validate(x.sessionId, { now: T0 + 200_000 }).valid).length, 31);
    t.is(c.stats(T0 + 200_000).evictions, 1);
  });
});

test('reap turns expired sessions into tombstones and frees their counts', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'a', lifetimeSeconds: 1, now: T0 });
    t.is(c.reap({ now: T0 + 5000 }), 1);
    t.deepEqual(c.validate(a.sessionId, { now: T0 + 5000 }), { valid: false, reason: 'expired' });
    t.is(c.countSessions('a').count, 0);
    t.is(c.stats(T0 + 5000).ended.expired, 1);
    t.is(c.check(), null);
  });
});

test('stats count live sessions, users and ended sessions by reason', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const a = c.create({ loginId: 'a' });
    c.create({ loginId: 'b' });
    c.create({ loginId: 'b' });
    c.logout(a.sessionId);
    c.terminateAllSessions('b');
    const s = c.stats();
    t.is(s.capacity, 64);
    t.is(s.live, 0);
    t.is(s.createdTotal, 3);
    t.is(s.ended.logged_out, 1);
    t.is(s.ended.all_sessions_terminated, 2);
    t.is(s.slotBytes, 512);
    t.true(s.segmentBytes > s.capacity * s.slotBytes);  // plus header, index and user records
    t.true(s.users >= 2);
  });
});

test('bad input gets a clear error and leaves the table unchanged', (t) => {
  withTable({ capacity: 64, credentialBytes: 64 }, (c) => {
    const before = c.stats();
    const bad: Array<[unknown, RegExp]> = [
      ['', /must not be empty/],
      ['x'.repeat(257), /257 bytes of UTF-8; the limit is 256/],
      ['é'.repeat(129), /258 bytes/],
      ['a\uD800b', /lone surrogate/],
      ['evil\r\niv-user: root', /control characters/],
      ['nul\0byte', /control characters/],
      [42, /must be a string/],
    ];
    for (const [loginId, message] of bad) {
      t.throws(() => c.create({ loginId: loginId as string }), { instanceOf: InvalidArgumentError, message });
    }
    t.throws(() => c.create({ loginId: 'bob', attributes: { groups: ['x'.repeat(100)] } }), { instanceOf: TooLargeError });
    t.throws(() => c.create({ loginId: 'bob', attributes: { 'bad name': 'x' } }), { instanceOf: InvalidArgumentError });
    t.throws(() => c.create({ loginId: 'bob', lifetimeSeconds: -1 }), { instanceOf: InvalidArgumentError });
    t.throws(() => c.create({ loginId: 'bob', lifetimeSeconds: 1.5 }), { instanceOf: InvalidArgumentError });
    t.throws(() => c.create({ loginId: 'bob', authMethod: 'magic' as 'forms' }), { instanceOf: InvalidArgumentError });
    t.throws(() => c.terminateAllSessions('\uDC00'), { instanceOf: InvalidArgumentError });
    t.throws(() => c.listByPattern(''), { instanceOf: InvalidArgumentError });
    t.throws(() => c.validate('A'.repeat(32), { now: -5 }), { instanceOf: InvalidArgumentError });
    const after = c.stats();
    t.is(after.createdTotal, before.createdTotal);
    t.is(after.users, 0);
    t.is(c.check(), null);
  });
});

test('absurd capacities, bad names and missing tables are refused clearly', (t) => {
  t.throws(() => SessionCache.create(uniqueName('x'), { capacity: 0 }), { instanceOf: InvalidArgumentError, message: /at least 32/ });
  t.throws(() => SessionCache.create(uniqueName('x'), { capacity: 2 ** 40 }), { instanceOf: InvalidArgumentError });
  t.throws(() => SessionCache.create(uniqueName('x'), { capacity: 64, credentialBytes: 100 }), { instanceOf: InvalidArgumentError });
  t.throws(() => SessionCache.create('../etc/passwd', { capacity: 64 }), { instanceOf: InvalidArgumentError });
  const missing = t.throws(() => SessionCache.open(uniqueName('missing')), { instanceOf: TableError });
  t.is(missing?.code, 'ERR_GH_TABLE_NOT_FOUND');
  withTable({ capacity: 64 }, (_c, name) => {
    const exists = t.throws(() => SessionCache.create(name, { capacity: 64 }), { instanceOf: TableError });
    t.is(exists?.code, 'ERR_GH_TABLE_EXISTS');
  });
});

test('a closed cache refuses calls; two handles share one segment', (t) => {
  withTable({ capacity: 64 }, (c, name) => {
    const other = SessionCache.open(name);
    const s = c.create({ loginId: 'shared' });
    t.true(other.validate(s.sessionId).valid);
    other.close();
    t.true(other.closed);
    t.throws(() => other.validate(s.sessionId), { instanceOf: InvalidArgumentError, message: /closed/ });
    t.true(c.validate(s.sessionId).valid);  // closing one handle leaves the other working
  });
});

test('openOrCreate creates once and then opens', (t) => {
  const name = uniqueName('ooc');
  const a = SessionCache.openOrCreate(name, { capacity: 64 });
  const b = SessionCache.openOrCreate(name, { capacity: 64 });
  const s = a.create({ loginId: 'x' });
  t.true(b.validate(s.sessionId).valid);
  a.close();
  b.close();
  t.true(SessionCache.unlink(name));
  t.false(SessionCache.unlink(name));
});

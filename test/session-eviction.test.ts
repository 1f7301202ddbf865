// What a full table does to make room, seen through SessionCache: the evicted
// user is told why, one account cannot push everyone else out, a login
// refused by its limit evicts nobody, and evictions are counted and exported.
import test from 'ava';
import { Registry } from 'prom-client';
import { SessionCache, SessionLimitError } from '../lib/index.js';
import { createMetrics } from '../lib/metrics.js';
import { uniqueName, withTable } from './helpers/tables.js';

const T0 = Date.now();
const forever = { lifetimeSeconds: 0, inactivitySeconds: 0 };

/** Fills the table with one session per user; user i was last active at T0 + i s. */
function fill(c: SessionCache, n: number, prefix = 'u') {
  return Array.from({ length: n }, (_, i) => c.create({ loginId: `${prefix}${i}`, ...forever, now: T0 + i * 1000 }));
}

test("an evicted session's next request sees reason 'evicted', also after its slot was reused", (t) => {
  withTable({ capacity: 32 }, (c) => {
    const s = fill(c, 32);
    const later = T0 + 100_000;
    const newcomer = c.create({ loginId: 'newcomer', ...forever, now: later });  // evicts u0, the least recently used
    t.deepEqual(c.validate(s[0]!.sessionId, { now: later }), { valid: false, reason: 'evicted' });
    t.true(c.validate(newcomer.sessionId, { now: later }).valid, 'the slot holds the newcomer now');
    for (let i = 1; i < 10; i++) c.create({ loginId: `more${i}`, ...forever, now: later + i * 1000 });
    for (let i = 0; i < 10; i++) t.deepEqual(c.validate(s[i]!.sessionId, { now: later + 20_000 }), { valid: false, reason: 'evicted' });
    t.true(c.validate(s[10]!.sessionId, { now: later + 20_000 }).valid);
  });
});

test('one account logging in repeatedly on a full table does not push out the other users', (t) => {
  withTable({ capacity: 256 }, (c) => {
    const others = fill(c, 256);
    const later = T0 + 1_000_000;
    const mine = Array.from({ length: 100 }, (_, k) => c.create({ loginId: 'greedy', ...forever, now: later + k * 1000 }));
    const now = later + 200_000;
    // Its first two logins took others' least recently used sessions; from its
    // second session on, each new one replaced its own oldest.
    t.is(others.filter((o) => c.validate(o.sessionId, { now, touch: false }).valid).length, 254);
    t.is(c.countSessions('greedy').count, 2);
    t.true(c.validate(mine[99]!.sessionId, { now }).valid);
    t.deepEqual(c.validate(mine[50]!.sessionId, { now }), { valid: false, reason: 'evicted' });
    t.is(c.stats(now).evictions, 100);
  });
});

test('a login refused by maxSessions on a full table evicts nobody', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const others = fill(c, 63);
    c.create({ loginId: 'limited', maxSessions: 1, ...forever, now: T0 + 100_000 });
    t.throws(() => c.create({ loginId: 'limited', maxSessions: 1, ...forever, now: T0 + 200_000 }), { instanceOf: SessionLimitError });
    t.is(c.stats(T0 + 200_000).evictions, 0);
    t.is(others.filter((o) => c.validate(o.sessionId, { now: T0 + 200_000 }).valid).length, 63);
    t.is(c.check(), null);
  });
});

test('evictions are counted by stats() and exported as gatehouse_sessions_evicted_total', async (t) => {
  const name = uniqueName('metrics');
  const c = SessionCache.create(name, { capacity: 32 });
  t.teardown(() => { c.close(); SessionCache.unlink(name); });
  const registry = new Registry();
  createMetrics(registry, { only: 'admin', cache: c });
  fill(c, 32);
  t.regex(await registry.metrics(), /^gatehouse_sessions_evicted_total 0$/m);
  for (let i = 0; i < 3; i++) c.create({ loginId: `new${i}`, ...forever, now: T0 + 100_000 + i });
  const s = c.stats(T0 + 200_000);
  t.is(s.evictions, 3);
  t.is(s.ended.evicted, 3);
  const text = await registry.metrics();
  t.regex(text, /^gatehouse_sessions_evicted_total 3$/m);
  t.regex(text, /^gatehouse_sessions_ended_total\{reason="evicted"\} 3$/m);
  t.regex(await registry.metrics(), /^gatehouse_sessions_evicted_total 3$/m, 'a second scrape reads again, it does not add');
});

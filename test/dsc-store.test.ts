// The distributed session store against a real redis-server (standalone and a
// three-master Cluster): the one validity rule, the O(1) terminations, the
// fleet-wide session limit, account invalidation, announcements, and a store
// holding garbage.
import test from 'ava';
import crypto from 'node:crypto';
import { createClient } from 'redis';
import { FleetAccounts } from '../lib/dsc/accounts.js';
import { SessionStore, type NewFleetSession } from '../lib/dsc/store.js';
import type { RedisOptions } from '../lib/dsc/link.js';
import { startRedis, startRedisCluster, type RedisServer } from './helpers/redis.js';

function options(servers: string[], cluster = false): RedisOptions {
  return { servers, cluster, connectTimeoutMs: 2000, commandTimeoutMs: 2000 };
}

function sid(): string {
  return crypto.randomBytes(24).toString('base64url');
}
function usid(): string {
  return crypto.randomBytes(16).toString('base64url').slice(0, 22);
}

function spec(loginId: string, over: Partial<NewFleetSession> = {}): NewFleetSession {
  return {
    sessionId: sid(), loginId, attributes: { groups: ['staff'] }, lifetimeSeconds: 3600, inactivitySeconds: 600,
    authMethod: 'forms', authLevel: 1, flags: 0, userSessionId: usid(), host: 'host-a', maxSessions: 0, now: Date.now(), ...over,
  };
}

async function behaviours(t: import('ava').ExecutionContext, store: SessionStore, subscribeUrl: string | undefined): Promise<void> {
  const heard: string[] = [];
  let sub: ReturnType<typeof createClient> | undefined;
  if (subscribeUrl !== undefined) {
    sub = createClient({ url: subscribeUrl });
    await sub.connect();
    await sub.subscribe(store.keys.channel, (m) => heard.push(m));
  }
  const now = Date.now();
  const a = spec('bob');
  const b = spec('bob');
  const c = spec('Mary Jones');
  for (const s of [a, b, c]) t.true((await store.create(s)).created);

  const va = await store.lookup(a.sessionId, now);
  t.is(va.state, 'valid');
  if (va.state === 'valid') {
    t.is(va.session.loginId, 'bob');
    t.deepEqual(va.session.attributes, { groups: ['staff'] });
    t.is(va.session.userSessionId, a.userSessionId);
    t.false(va.session.refreshNeeded);
  }
  t.deepEqual(await store.lookup(sid(), now), { state: 'invalid', reason: 'unknown' });
  t.is(await store.count('bob', now), 2);

  // refresh all_sessions marks both of bob's sessions.
  t.is(await store.refreshAll('bob', now), 2);
  const vr = await store.lookup(b.sessionId, now);
  t.true(vr.state === 'valid' && vr.session.refreshNeeded);

  // terminate all_sessions: O(1); both gone with the reason; Mary untouched.
  t.is(await store.endAll('bob', 'all_sessions_terminated', now), 2);
  t.deepEqual(await store.lookup(a.sessionId, now), { state: 'invalid', reason: 'all_sessions_terminated' });
  t.deepEqual(await store.lookup(b.sessionId, now), { state: 'invalid', reason: 'all_sessions_terminated' });
  t.is((await store.lookup(c.sessionId, now)).state, 'valid');
  t.is(await store.count('bob', now), 0);

  // A login after the termination is not ended by it.
  const d = spec('bob');
  t.true((await store.create(d)).created);
  t.is((await store.lookup(d.sessionId, now)).state, 'valid');

  // terminate session by user session ID; a second time finds nothing live.
  t.deepEqual(await store.endByUserSessionId(d.userSessionId, 'terminated', now), { ended: true, loginId: 'bob' });
  t.deepEqual(await store.endByUserSessionId(d.userSessionId, 'terminated', now), { ended: false, loginId: 'bob' });
  t.deepEqual(await store.lookup(d.sessionId, now), { state: 'invalid', reason: 'terminated' });
  t.deepEqual(await store.endByUserSessionId(usid(), 'terminated', now), { ended: false });

  // logout by cookie.
  t.true(await store.endByCookie(c.sessionId, 'Mary Jones', 'logged_out', now));
  t.deepEqual(await store.lookup(c.sessionId, now), { state: 'invalid', reason: 'logged_out' });

  // The concurrent-session limit counts the user's sessions across the fleet.
  const e1 = spec('carol', { maxSessions: 2 });
  const e2 = spec('carol', { maxSessions: 2, host: 'host-b' });
  const e3 = spec('carol', { maxSessions: 2 });
  t.true((await store.create(e1)).created);
  t.true((await store.create(e2)).created);
  t.deepEqual(await store.create(e3), { created: false, count: 2, accountInvalid: false });
  t.deepEqual(await store.lookup(e3.sessionId, now), { state: 'invalid', reason: 'unknown' });

  // An account invalidated fleet-wide: the login script refuses it (one slot with the user's keys).
  const accounts = new FleetAccounts(store);
  await accounts.invalidate('gail', { at: now, server: 'host-a', by: 'sec_master' });
  const g = spec('gail');
  t.deepEqual(await store.create(g), { created: false, count: 0, accountInvalid: true });
  t.deepEqual(await store.lookup(g.sessionId, now), { state: 'invalid', reason: 'unknown' });
  t.true(await accounts.revalidate('gail'));
  t.true((await store.create(spec('gail'))).created);

  // Timeouts: lifetime and inactivity, judged at the given time.
  const f = spec('dave', { lifetimeSeconds: 10, inactivitySeconds: 5, now });
  t.true((await store.create(f)).created);
  t.deepEqual(await store.lookup(f.sessionId, now + 6_000), { state: 'invalid', reason: 'inactive' });
  t.true(await store.touch(f.sessionId, 'dave', now + 4_000));
  t.is((await store.lookup(f.sessionId, now + 6_000)).state, 'valid');
  t.deepEqual(await store.lookup(f.sessionId, now + 11_000), { state: 'invalid', reason: 'expired' });

  // sign out everyone: one INCR; every earlier session is dead, a later one lives.
  const before = spec('erin');
  t.true((await store.create(before)).created);
  const epoch = await store.signOutEveryone();
  t.true(epoch >= 1);
  t.deepEqual(await store.lookup(before.sessionId, now), { state: 'invalid', reason: 'signed_out_everywhere' });
  t.deepEqual(await store.lookup(e1.sessionId, now), { state: 'invalid', reason: 'signed_out_everywhere' });
  const after = spec('erin');
  t.true((await store.create(after)).created);
  t.is((await store.lookup(after.sessionId, now)).state, 'valid');

  // Listing sees the fleet's live sessions of a user; users() finds every user record.
  t.deepEqual((await store.sessionsOf('erin', now)).map((s) => s.userSessionId), [after.userSessionId]);
  const users = new Set<string>();
  for await (const u of store.users()) users.add(u);
  for (const u of ['bob', 'Mary Jones', 'carol', 'dave', 'erin']) t.true(users.has(u), u);

  // A one-time token is consumed once, on any host.
  const token = crypto.randomBytes(16).toString('base64url');
  t.true(await store.consumeOnce(token, 5000));
  t.false(await store.consumeOnce(token, 5000));

  // Hosts register with a heartbeat that lapses.
  await store.heartbeat('host-a', 'default', now - 1000, now, 10_000);
  await store.heartbeat('host-b', 'default', now - 1000, now - 20_000, 10_000);
  t.deepEqual((await store.hosts(now, 15_000)).map((h) => h.serverName), ['host-a']);

  if (sub !== undefined) {
    // Every ending change was announced by the script that made it.
    await new Promise((r) => setTimeout(r, 200));
    t.true(heard.includes('u\tbob'));
    t.true(heard.includes('u\tMary Jones'));
    t.true(heard.some((m) => m.startsWith('g\t')));
    await sub.close();
  }
}

test('store: sessions, terminations, limits and timeouts on a standalone server', async (t) => {
  const redis = await startRedis();
  const store = SessionStore.create(options([redis.url]), 'gh-test', 'test');
  try {
    await store.open();
    await behaviours(t, store, redis.url);
  } finally {
    await store.close();
    await redis.stop();
  }
});

test('store: the same behaviours on a three-master Redis Cluster', async (t) => {
  const cluster = await startRedisCluster();
  const store = SessionStore.create(options(cluster.urls, true), 'gh-test', 'test');
  try {
    await store.open();
    await behaviours(t, store, undefined);
  } finally {
    await store.close();
    await cluster.stop();
  }
});

test('store: a foreign layout, garbage values and a stopped server give clear errors, never a crash', async (t) => {
  const redis: RedisServer = await startRedis();
  try {
    await redis.cli('SET', 'other:{g}:layout', 'something-else-2');
    const foreign = SessionStore.create(options([redis.url]), 'other', 'test');
    await t.throwsAsync(foreign.open(), { code: 'ERR_GH_DSC_LAYOUT', message: /layout "something-else-2"/ });
    await foreign.close();

    const store = SessionStore.create(options([redis.url]), 'gh', 'test');
    await store.open();
    const s = spec('frank');
    await store.create(s);
    const fp = (await import('../lib/dsc/keys.js')).fingerprint(s.sessionId);
    // A cookie pointer holding garbage, then a session key of the wrong type.
    await redis.cli('SET', store.keys.cookiePointer(fp), 'not a tag!');
    await t.throwsAsync(store.lookup(s.sessionId, Date.now()), { code: 'ERR_GH_DSC_LAYOUT' });
    const tag = store.keys.user('frank').tag;
    await redis.cli('SET', store.keys.cookiePointer(fp), tag);
    await redis.cli('DEL', store.keys.session(tag, fp));
    await redis.cli('SET', store.keys.session(tag, fp), 'garbage');
    await t.throwsAsync(store.lookup(s.sessionId, Date.now()), { code: 'ERR_GH_DSC_LAYOUT' });
    await redis.cli('DEL', store.keys.session(tag, fp));
    await redis.cli('HSET', store.keys.session(tag, fp), 'u', 'frank', 'g', 'zero');
    await t.throwsAsync(store.lookup(s.sessionId, Date.now()), { code: 'ERR_GH_DSC_LAYOUT', message: /lacks a valid/ });
    // An account invalidation of the wrong type, or with a time that is not one.
    const accounts = new FleetAccounts(store);
    await redis.cli('SET', store.keys.user('frank').invalid, 'garbage');
    await t.throwsAsync(accounts.get('frank'), { code: 'ERR_GH_DSC_LAYOUT' });
    await redis.cli('DEL', store.keys.user('frank').invalid);
    await redis.cli('HSET', store.keys.user('frank').invalid, 't', 'yesterday');
    await t.throwsAsync(accounts.get('frank'), { code: 'ERR_GH_DSC_LAYOUT', message: /foreign value/ });

    // A stopped server: the command deadline turns into DscUnavailableError.
    redis.signal('SIGSTOP');
    await t.throwsAsync(store.lookup(sid(), Date.now()), { code: 'ERR_GH_DSC_UNAVAILABLE' });
    redis.signal('SIGCONT');
    await store.close();
  } finally {
    await redis.stop();
  }
});

test('store: a wrong password is a configuration error naming the cause', async (t) => {
  const redis = await startRedis(['--requirepass', 'right-password']);
  try {
    const store = SessionStore.create({ ...options([redis.url]), password: 'wrong' }, 'gh', 'test');
    const err = await t.throwsAsync(store.open());
    t.is((err as { code?: string }).code, 'ERR_GH_DSC_CONFIG');
    t.regex(err!.message, /credentials/);
    await store.close();
  } finally {
    await redis.stop();
  }
});

// login-guards.test.ts -- the proxy's login defences as units: the pending
// displacement login is unforgeable, expires, and is answered once; a
// cross-site form post is told from a same-site one and from a non-browser
// client; failed logins are limited per user and client, per client, and
// (when configured) per user.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import test from 'ava';
import { configSchema } from '../lib/config/schema.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { memoryCounters, type CounterFactory } from '../lib/proxy/counters.js';
import { crossSiteReason } from '../lib/proxy/cross-site.js';
import { LoginThrottle, type LoginAttempt } from '../lib/proxy/login-throttle.js';
import { CountedOneTimeTokens } from '../lib/proxy/one-time-tokens.js';
import { PendingLogins } from '../lib/proxy/pending-login.js';

const KEY = crypto.randomBytes(32);

test('a pending login opens until its lifetime ends, and not after', (t) => {
  const p = new PendingLogins(KEY, 60);
  const now = 1_000_000;
  const sealed = p.seal({ loginId: 'dave', url: '/app', method: 'forms' }, now);
  const opened = p.open(sealed, now + 59_999);
  t.is(opened?.loginId, 'dave');
  t.is(opened?.expires, now + 60_000);
  t.is(p.open(sealed, now + 60_000), undefined);
  t.is(p.open(sealed, now + 3_600_000), undefined);
});

test('each prompt gets its own nonce; a value sealed with another key does not open', (t) => {
  const p = new PendingLogins(KEY);
  const a = p.open(p.seal({ loginId: 'dave', url: '/', method: 'forms' }));
  const b = p.open(p.seal({ loginId: 'dave', url: '/', method: 'forms' }));
  t.truthy(a?.nonce);
  t.not(a?.nonce, b?.nonce);
  const other = new PendingLogins(crypto.randomBytes(32));
  t.is(p.open(other.seal({ loginId: 'dave', url: '/', method: 'forms' })), undefined);
});

test('a one-time token is consumed once; another token is independent', async (t) => {
  const tokens = new CountedOneTimeTokens(memoryCounters);
  t.true(await tokens.consume('n1', 60));
  t.false(await tokens.consume('n1', 60));
  t.false(await tokens.consume('n1', 60));
  t.true(await tokens.consume('n2', 60));
});

function request(headers: Record<string, string>): IncomingMessage {
  return { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) } as unknown as IncomingMessage;
}

test('cross-site form posts are refused; same-origin and header-less clients pass', (t) => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['no Origin, no Sec-Fetch-* (curl)', { host: 'gh.example' }, true],
    ['same origin', { host: 'gh.example', origin: 'https://gh.example' }, true],
    ['same origin with port', { host: 'gh.example:8443', origin: 'https://gh.example:8443' }, true],
    ['explicit default port in Host', { host: 'gh.example:443', origin: 'https://gh.example' }, true],
    ['host names are case-insensitive', { host: 'GH.example', origin: 'http://gh.EXAMPLE' }, true],
    ['Sec-Fetch-Site same-origin', { host: 'gh.example', 'sec-fetch-site': 'same-origin', origin: 'http://gh.example' }, true],
    ['Sec-Fetch-Site none (typed by the user)', { host: 'gh.example', 'sec-fetch-site': 'none' }, true],
    ['another origin', { host: 'gh.example', origin: 'https://evil.example' }, false],
    ['another port', { host: 'gh.example:8080', origin: 'http://gh.example:9090' }, false],
    ['a sibling subdomain', { host: 'gh.example', origin: 'https://x.gh.example' }, false],
    ['Origin: null', { host: 'gh.example', origin: 'null' }, false],
    ['Origin not a URL', { host: 'gh.example', origin: 'gh.example' }, false],
    ['Origin of another scheme', { host: 'gh.example', origin: 'file://gh.example' }, false],
    ['Origin without Host', { origin: 'https://gh.example' }, false],
    ['Sec-Fetch-Site cross-site', { host: 'gh.example', 'sec-fetch-site': 'cross-site' }, false],
    ['Sec-Fetch-Site cross-site with a matching Origin', { host: 'gh.example', 'sec-fetch-site': 'Cross-Site', origin: 'https://gh.example' }, false],
  ];
  for (const [name, headers, allowed] of cases) t.is(crossSiteReason(request(headers)) === undefined, allowed, name);
});

function throttle(overrides: Record<string, number>, counters: CounterFactory = memoryCounters): LoginThrottle {
  const config = configSchema.parse({ junctions: { '/': { servers: ['http://127.0.0.1:1'] } }, registry: { file: 'x' }, 'failed-login': overrides });
  return new LoginThrottle(config['failed-login'], counters);
}

async function fail(th: LoginThrottle, user: string, client: string): Promise<number | undefined> {
  const a = await th.begin(user, client);
  if (a.blocked) return a.retryAfterSeconds;
  await (a as LoginAttempt).failed();
  return undefined;
}

test('N failures of one user from one client block the next attempt, for disable-time-interval', async (t) => {
  const th = throttle({ 'max-login-failures': 3, 'max-login-failures-per-client': 100, 'disable-time-interval': 90 });
  for (let i = 0; i < 3; i++) t.is(await fail(th, 'alice', '10.0.0.1'), undefined, `failure ${i + 1} is counted, not refused`);
  const r = await th.begin('alice', '10.0.0.1');
  t.true(r.blocked);
  if (r.blocked) t.true(r.retryAfterSeconds > 80 && r.retryAfterSeconds <= 90, String(r.retryAfterSeconds));
  t.true((await th.begin('ALICE', '10.0.0.1')).blocked, 'user names are counted regardless of case');
  t.false((await th.begin('alice', '10.0.0.2')).blocked, 'another client is not blocked by this pair');
  t.false((await th.begin('bob', '10.0.0.1')).blocked, 'another user from this client is not blocked by this pair');
});

test('a success resets the user\'s count, not the client\'s', async (t) => {
  const th = throttle({ 'max-login-failures': 3, 'max-login-failures-per-client': 5 });
  await fail(th, 'alice', '10.0.0.3');
  await fail(th, 'alice', '10.0.0.3');
  const ok = await th.begin('alice', '10.0.0.3');
  t.false(ok.blocked);
  await (ok as LoginAttempt).succeeded();
  await fail(th, 'alice', '10.0.0.3');
  await fail(th, 'alice', '10.0.0.3');
  t.false((await th.begin('alice', '10.0.0.3')).blocked, 'two failures after the success: under 3');
  // The client's count kept the 4 failures (the success took its own attempt back): one more blocks the client.
  await fail(th, 'carol', '10.0.0.3');
  t.true((await th.begin('dora', '10.0.0.3')).blocked);
});

test('the per-client limit holds across different user names; refused attempts do not add to it', async (t) => {
  const th = throttle({ 'max-login-failures': 3, 'max-login-failures-per-client': 4 });
  for (const u of ['u1', 'u2', 'u3', 'u4']) t.is(await fail(th, u, '10.0.0.4'), undefined);
  t.truthy(await fail(th, 'u5', '10.0.0.4'), 'the fifth user name from this client is refused');
  t.false((await th.begin('u1', '10.0.0.5')).blocked, 'another client is free');

  const th2 = throttle({ 'max-login-failures': 2, 'max-login-failures-per-client': 3 });
  await fail(th2, 'x', '10.0.0.6');
  await fail(th2, 'x', '10.0.0.6');
  for (let i = 0; i < 10; i++) t.truthy(await fail(th2, 'x', '10.0.0.6'), 'x is blocked from this client');
  t.false((await th2.begin('y', '10.0.0.6')).blocked, 'the refused attempts for x did not count against the client');
});

test('max-login-failures-per-user limits a user name from every address; 0 turns a limit off', async (t) => {
  const th = throttle({ 'max-login-failures': 0, 'max-login-failures-per-client': 0, 'max-login-failures-per-user': 3 });
  for (const c of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) t.is(await fail(th, 'erin', c), undefined);
  t.true((await th.begin('erin', '10.1.0.9')).blocked);
  t.false((await th.begin('fred', '10.1.0.9')).blocked);
  const off = throttle({ 'max-login-failures': 0, 'max-login-failures-per-client': 0 });
  for (let i = 0; i < 50; i++) t.is(await fail(off, 'gus', '10.2.0.1'), undefined);
});

test('parallel attempts cannot slip under the limit', async (t) => {
  const th = throttle({ 'max-login-failures': 3, 'max-login-failures-per-client': 100 });
  const results = await Promise.all(Array.from({ length: 10 }, () => th.begin('hal', '10.3.0.1')));
  t.is(results.filter((r) => !r.blocked).length, 3);
});

test('a blocked client adds no key per made-up user name to the counter store', async (t) => {
  const made = new Map<string, RateLimiterMemory>();
  const counters: CounterFactory = (o) => { const l = new RateLimiterMemory({ ...o }); made.set(o.keyPrefix, l); return l; };
  const th = throttle({ 'max-login-failures': 3, 'max-login-failures-per-client': 2, 'max-login-failures-per-user': 10 }, counters);
  await fail(th, 'a', '10.4.0.1');
  await fail(th, 'b', '10.4.0.1');
  const keys = (): number => [...made.values()].reduce((n, l) => n + l.dump().storage.length, 0);
  const before = keys();
  for (let i = 0; i < 50; i++) t.truthy(await fail(th, `made-up-${i}`, '10.4.0.1'));
  t.is(keys(), before);
});

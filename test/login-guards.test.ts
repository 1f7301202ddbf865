// login-guards.test.ts -- the proxy's login defences as units: the pending
// displacement login is unforgeable, expires, and is answered once.
import crypto from 'node:crypto';
import test from 'ava';
import { memoryCounters } from '../lib/proxy/counters.js';
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

// API tokens: `gatehouse token create|list|revoke` (runTokenCommand) prints
// a token once and stores only its hash, never shows secrets in a listing,
// and revokes; TokenStore verifies in constant time and notices a changed
// file, so a running server takes new and revoked tokens without a restart.
import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hashSecret, readTokens, TokenStore, TOKEN_PATTERN } from '../lib/admin/authn-tokens.js';
import { runTokenCommand } from '../lib/cli/token.js';
import { startFixture } from './helpers/admin-fixture.js';

const run = promisify(execFile);
const TOKEN_CLI = new URL('../lib/cli/token.js', import.meta.url).href;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }, out, err };
}

function tempTokens(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-tokens-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'state', 'tokens.yaml');
}

test('create prints the token once; the file keeps only its SHA-256; list never shows a secret', async (t) => {
  const file = tempTokens(t);
  const c = io();
  t.is(await runTokenCommand(['create', 'backend-hr', '--scope', 'terminate,list', '--tokens', file, '--description', 'HR app'], c.io), 0);
  const token = c.out.join('').trim();
  const m = TOKEN_PATTERN.exec(token);
  t.truthy(m, token);
  const [record] = readTokens(file);
  t.like(record, { id: m![1], principal: 'backend-hr', scopes: ['terminate', 'list'], revoked: null, description: 'HR app' });
  t.is(record!.hash, hashSecret(m![2]!));
  const stored = fs.readFileSync(file, 'utf8');
  t.false(stored.includes(m![2]!), 'the secret is not in the file');
  t.is(fs.statSync(file).mode & 0o777, 0o600);

  for (const args of [['list'], ['list', '--json']]) {
    const l = io();
    t.is(await runTokenCommand([...args, '--tokens', file], l.io), 0);
    const text = l.out.join('');
    t.true(text.includes(m![1]!) && text.includes('backend-hr'));
    t.false(text.includes(m![2]!), 'no secret in a listing');
    t.false(text.includes(record!.hash), 'no hash in a listing');
  }
});

test('revoke marks the token revoked (the record stays); unknown IDs and bad usage fail clearly', async (t) => {
  const file = tempTokens(t);
  const c = io();
  await runTokenCommand(['create', 'sec_master', '--tokens', file], c.io);
  const token = c.out.join('').trim();
  const id = TOKEN_PATTERN.exec(token)![1]!;
  const r = io();
  t.is(await runTokenCommand(['revoke', id, '--tokens', file], r.io), 0);
  t.regex(r.out.join(''), new RegExp(`token ${id} \\(sec_master\\) revoked at `));
  t.truthy(readTokens(file)[0]!.revoked);
  t.is(await runTokenCommand(['revoke', 'ffffffffffffffff', '--tokens', file], io().io), 1);
  const bad = io();
  t.is(await runTokenCommand(['create', 'x', '--scope', 'everything', '--tokens', file], bad.io), 1);
  t.regex(bad.err.join(''), /unknown scope 'everything'/);
  t.is(await runTokenCommand(['frobnicate'], io().io), 2);
  t.is(await runTokenCommand(['create'], io().io), 2);
  t.is(await runTokenCommand(['--nope'], io().io), 2);
  t.is(readTokens(file).length, 1, 'failed commands wrote nothing');
});

test('eight processes creating tokens at once lose nothing (the file is locked around each change)', async (t) => {
  const file = tempTokens(t);
  const script = `import { runTokenCommand } from ${JSON.stringify(TOKEN_CLI)};
    process.exitCode = await runTokenCommand(['create', process.argv[1], '--tokens', ${JSON.stringify(file)}]);`;
  const outs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    run(process.execPath, ['--input-type=module', '-e', script, `p${i}`]).then((r) => r.stdout.trim())));
  t.is(new Set(outs).size, 8);
  t.true(outs.every((o) => TOKEN_PATTERN.test(o)));
  t.deepEqual(readTokens(file).map((r) => r.principal).sort(), Array.from({ length: 8 }, (_, i) => `p${i}`).sort());
});

test('TokenStore: good, revoked, unknown, tampered and malformed tokens; a malformed file is refused', async (t) => {
  const file = tempTokens(t);
  const c = io();
  await runTokenCommand(['create', 'svc', '--tokens', file], c.io);
  const token = c.out.join('').trim();
  const store = TokenStore.open(file);
  t.like(store.verify(token), { ok: true, record: { principal: 'svc' } });
  const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  t.like(store.verify(tampered), { ok: false, reason: 'unknown' });
  t.like(store.verify(`gh_0123456789abcdef_${'A'.repeat(43)}`), { ok: false, reason: 'unknown' });
  t.like(store.verify('gh_x'), { ok: false, reason: 'malformed' });
  await runTokenCommand(['revoke', TOKEN_PATTERN.exec(token)![1]!, '--tokens', file], io().io);
  t.like(store.verify(token), { ok: false, reason: 'revoked' }, 'the store re-reads a changed file');
  fs.writeFileSync(file, '{"version":1,"tokens":[{"id":"nothex"}]}');  // JSON is YAML too
  t.throws(() => TokenStore.open(file), { message: /tokens file .*tokens\.0/ });
  const errors: string[] = [];
  const kept = TokenStore.open(tempTokens(t), (e) => errors.push(e.message));
  t.like(kept.verify(token), { ok: false, reason: 'unknown' }, 'a missing file is an empty list');
});

test('a running server accepts a token created after it started, and refuses it once revoked', async (t) => {
  const f = await startFixture({ tls: false });
  t.teardown(() => f.close());
  const c = io();
  t.is(await runTokenCommand(['create', 'sec_master', '--scope', 'list', '--tokens', f.tokensFile], c.io), 0);
  const token = c.out.join('').trim();
  const me = await f.call('GET', '/api/v1/whoami', { auth: `Bearer ${token}` });
  t.is(me.status, 200);
  t.like(me.json, { principal: 'sec_master', method: 'token', permissions: { scopes: ['list'] } });
  await runTokenCommand(['revoke', token, '--tokens', f.tokensFile], io().io);
  t.is((await f.call('GET', '/api/v1/whoami', { auth: `Bearer ${token}` })).status, 401);
  // The secret is base64url and may itself hold '_': take it whole from the pattern, not by splitting.
  const secret = TOKEN_PATTERN.exec(token)![2]!;
  t.false(fs.readFileSync(f.auditFile, 'utf8').includes(secret), 'the secret never reaches the audit log');
});

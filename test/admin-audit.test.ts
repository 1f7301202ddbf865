// The audit log: durable before record() resolves, group commit, several
// processes appending to one file, rotation by rename + reopen(), redaction
// of user session IDs; and through the server, 100 concurrent admin
// requests while another thread keeps logging users in: every request
// answered, one parseable line each, none lost.
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { AuditLog, redactTask } from '../lib/audit/index.js';
import { SERVER, startFixture } from './helpers/admin-fixture.js';

const run = promisify(execFile);
const WRITER = fileURLToPath(new URL('./helpers/admin-audit-writer.js', import.meta.url));
const MAKER = fileURLToPath(new URL('./helpers/admin-session-maker.js', import.meta.url));

function tempFile(t: { teardown(fn: () => void): void }, name = 'audit.log'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-audit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));

const base = { initiator: 'sec_master', method: 'password', source: '127.0.0.1', server: 'default-webseald-h1' } as const;

test('record() resolves once the line is in the file; fields in a fixed order; mode 0600', async (t) => {
  const file = tempFile(t);
  const log = AuditLog.open(file, { now: () => Date.UTC(2025, 10, 23, 10, 43, 37) });
  await log.record({ ...base, route: 'POST /api/v1/servers/{server}/tasks', kind: 'terminate_all_sessions', task: 'terminate all_sessions bob', outcome: 'allowed', ended: 2 });
  const text = fs.readFileSync(file, 'utf8');
  t.is(text, `${JSON.stringify({
    time: '2025-11-23T10:43:37.000Z', initiator: 'sec_master', method: 'password', source: '127.0.0.1', server: 'default-webseald-h1',
    route: 'POST /api/v1/servers/{server}/tasks', kind: 'terminate_all_sessions', task: 'terminate all_sessions bob', outcome: 'allowed', ended: 2,
  })}\n`);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  await log.close();
  await t.throwsAsync(log.record({ ...base, outcome: 'allowed' }), { message: /closed/ });
});

test('group commit: 100 concurrent records take a few fdatasyncs, not 100', async (t) => {
  const file = tempFile(t);
  const log = AuditLog.open(file);
  await Promise.all(Array.from({ length: 100 }, (_, i) => log.record({ ...base, task: `terminate all_sessions u${i}`, outcome: 'allowed' })));
  t.is(log.stats.records, 100);
  t.true(log.stats.syncs <= 3, `${log.stats.syncs} syncs`);
  const got = lines(file);
  t.is(got.length, 100);
  t.deepEqual(new Set(got.map((e) => e.task)).size, 100);
  await log.close();
});

test('user session IDs are cut to 8 characters + … in every task spelling; other tasks are untouched', (t) => {
  const id = 'ZnVvM7dpT9LRWa-P86jQWQ';
  const whole = `aG9zdDEtZGVmYXVsdAA=_${id}`;
  t.is(redactTask(`terminate session ${id}`), 'terminate session ZnVvM7dp…');
  t.is(redactTask(`TERMINATE  Session ${whole}`), 'TERMINATE  Session aG9zdDEt…');
  t.is(redactTask(`server task default-webseald-h1 terminate session ${id}`), 'server task default-webseald-h1 terminate session ZnVvM7dp…');
  t.is(redactTask(`session terminate session ${id} default`), 'session terminate session ZnVvM7dp… default');
  t.is(redactTask('terminate session ZnVvM7dp…'), 'terminate session ZnVvM7dp…', 'idempotent');
  t.is(redactTask('terminate all_sessions "Mary Jones"'), 'terminate all_sessions "Mary Jones"');
});

test('the log redacts on its own, and caps long fields', async (t) => {
  const file = tempFile(t);
  const log = AuditLog.open(file);
  await log.record({ ...base, task: 'terminate session ZnVvM7dpT9LRWa-P86jQWQ', outcome: 'allowed', detail: 'd'.repeat(5000) });
  await log.close();
  const [e] = lines(file);
  t.is(e.task, 'terminate session ZnVvM7dp…');
  t.true(e.detail.length <= 1025);
});

test('rotation: rename the file, reopen(), and later lines go to a new file', async (t) => {
  const file = tempFile(t);
  const log = AuditLog.open(file);
  await log.record({ ...base, task: 'before', outcome: 'allowed' });
  const inFlight = log.record({ ...base, task: 'in flight', outcome: 'allowed' });
  fs.renameSync(file, `${file}.1`);
  await log.reopen();
  await inFlight;
  await log.record({ ...base, task: 'after', outcome: 'allowed' });
  await log.close();
  const old = lines(`${file}.1`).map((e) => e.task);
  const fresh = lines(file).map((e) => e.task);
  t.deepEqual(old.slice(0, 1), ['before']);
  t.deepEqual(fresh.slice(-1), ['after']);
  t.deepEqual([...old, ...fresh].sort(), ['after', 'before', 'in flight']);
});

test('four processes append to one file at once: every line whole, none lost', async (t) => {
  const file = tempFile(t);
  const writers = ['w1', 'w2', 'w3', 'w4'];
  await Promise.all(writers.map((w) => run(process.execPath, [WRITER, file, w, '300'])));
  const text = fs.readFileSync(file, 'utf8');
  const all = text.split('\n').filter((l) => l.length > 0);
  t.is(all.length, 1200);
  const parsed = all.map((l) => JSON.parse(l));
  for (const w of writers) {
    const mine = parsed.filter((e) => e.initiator === `junction:/${w}`).map((e) => e.ended).sort((a, b) => a - b);
    t.deepEqual(mine, Array.from({ length: 300 }, (_, i) => i), w);
  }
});

test('100 concurrent admin requests while users keep logging in: all answered, one audit line each', async (t) => {
  const f = await startFixture({ tls: false, capacity: 4096 });
  t.teardown(() => f.close());
  const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
  // Registry users: a login ID outside the registry with no session left is an unknown user (404).
  for (const u of users) await f.registry.createUser({ id: u, groups: [] });
  for (const u of users) f.cache.create({ loginId: u });
  f.newAudit();
  const maker = new Worker(MAKER, { workerData: { table: f.tableName, users, perUser: 20 } });
  const made = new Promise<number>((resolve, reject) => { maker.once('message', resolve); maker.once('error', reject); });
  const requests = Array.from({ length: 100 }, (_, i) => {
    const u = users[i % users.length]!;
    switch (i % 4) {
      case 0: return f.call('DELETE', `/api/v1/users/${u}/sessions`);
      case 1: return f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { body: { task: `terminate all_sessions ${u}` } });
      case 2: return f.call('GET', `/api/v1/users/${u}/sessions`);
      default: return f.call('POST', '/isam/pdadmin', { body: { commands: [`server task ${SERVER} refresh all_sessions ${u}`] } });
    }
  });
  const replies = await Promise.all(requests);
  t.is(await made, 50 * 20);
  t.deepEqual(replies.map((r) => r.status), Array<number>(100).fill(200));
  const all = f.newAudit();
  // Write-ahead: the 75 state-changing requests each left a started line before their outcome.
  t.is(all.filter((e) => e.outcome === 'started').length, 75);
  const audit = all.filter((e) => e.outcome !== 'started');
  t.is(audit.length, 100);
  t.true(audit.every((e) => e.outcome === 'allowed' && e.initiator === 'sec_master' && typeof e.time === 'string'));
  const kinds = audit.reduce<Record<string, number>>((m, e) => ({ ...m, [e.kind]: (m[e.kind] ?? 0) + 1 }), {});
  t.deepEqual(kinds, { terminate_all_sessions: 50, list_sessions: 25, refresh_all_sessions: 25 });
  t.is(f.cache.check(), null, 'the table is consistent');
});

test('the proxy, the audit log and the header parser import nothing from lib/admin', (t) => {
  const root = fileURLToPath(new URL('../../lib/', import.meta.url));  // the sources (dist/test -> lib)
  let files = 0;
  for (const dir of ['proxy', 'audit', 'http-auth']) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(root, dir, name), 'utf8');
      files++;
      t.notRegex(text, /from '\.\.\/admin\//, `lib/${dir}/${name}`);
    }
  }
  t.true(files > 20, `only ${files} files read`);
});

// Write-ahead: with the audit log unwritable (a full disk: /dev/full), an
// action that would change state does not run and the answer is 503; a
// denial is still a 403; a read-only action discloses nothing.
const stopsEveryAction = test.macro(async (t, unwritable: (t: import('ava').ExecutionContext) => string | { file: string; after: () => void }) => {
  const u = unwritable(t);
  const file = typeof u === 'string' ? u : u.file;
  const f = await startFixture({ tls: false, extra: { auditFile: file } });
  t.teardown(() => f.close());
  if (typeof u !== 'string') u.after();
  const victim = f.cache.create({ loginId: 'victim' });
  const other = f.cache.create({ loginId: 'norbert' });
  const epoch = f.cache.stats().epoch;
  const attempts: Array<[string, () => ReturnType<typeof f.call>]> = [
    ['DELETE /users/{id}/sessions', () => f.call('DELETE', '/api/v1/users/victim/sessions')],
    ['DELETE /sessions/{id}', () => f.call('DELETE', `/api/v1/sessions/${victim.userSessionId}`)],
    ['POST /users/{id}/refresh', () => f.call('POST', '/api/v1/users/victim/refresh')],
    ['POST /users/{id}/invalidate', () => f.call('POST', '/api/v1/users/victim/invalidate', { body: { endSessions: true } })],
    ['POST /sign-out-everyone', () => f.call('POST', '/api/v1/sign-out-everyone')],
    ['task terminate all_sessions', () => f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { body: { task: 'terminate all_sessions victim' } })],
    ['task signout all_sessions', () => f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { body: { task: 'signout all_sessions' } })],
    ['task session terminate all_sessions *', () => f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { body: { task: 'session terminate all_sessions * default' } })],
    ['pdadmin signout all_sessions', () => f.call('POST', '/isam/pdadmin', { body: { commands: [`server task ${SERVER} signout all_sessions`] } })],
    ['pdadmin terminate + list', () => f.call('POST', '/isam/pdadmin', { body: { commands: [`server task ${SERVER} list sessions victim`, `server task ${SERVER} terminate all_sessions victim`] } })],
    ['GET /users/{id}/sessions', () => f.call('GET', '/api/v1/users/victim/sessions')],
  ];
  for (const [what, call] of attempts) {
    const r = await call();
    t.is(r.status, 503, `${what}: ${r.text}`);
    t.is(r.json.error.code, 'audit_unavailable', what);
    t.regex(r.json.error.message, /audit log cannot be written, so the request was not carried out and nothing changed/, what);
    t.false(r.text.includes(victim.userSessionId), `${what}: nothing disclosed`);
  }
  for (const s of [victim, other]) {
    const v = f.cache.validate(s.sessionId, { touch: false });
    t.true(v.valid, 'no session ended');
    if (v.valid) t.false(v.session.refreshNeeded, 'no session marked for refresh');
  }
  t.is(f.cache.stats().epoch, epoch, 'nobody was signed out');
  t.true(f.registry.lookup('victim')!.accountValid, 'the account was not invalidated');
  // A denial is still a denial, through every door, whatever the log.
  for (const r of [
    await f.call('POST', '/api/v1/sign-out-everyone', { auth: 'alice' }),
    await f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { auth: 'alice', body: { task: 'session terminate all_sessions * default' } }),
    await f.call('POST', '/isam/pdadmin', { auth: 'alice', body: { commands: [`server task ${SERVER} signout all_sessions`] } }),
  ]) {
    t.is(r.status, 403, r.text);
    t.is(r.json.error.code, 'forbidden');
  }
  t.true(f.cache.validate(victim.sessionId, { touch: false }).valid);
});

test('an unwritable audit log (full disk: /dev/full) stops every action before it runs: 503, sessions untouched; a denial stays 403', stopsEveryAction, () => '/dev/full');

test('an audit file made read-only while the server runs (chattr +i: even root cannot write) stops every action the same way', stopsEveryAction, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-audit-ro-'));
  const file = path.join(dir, 'audit.log');
  fs.writeFileSync(file, '');
  return {
    file,
    after: () => {
      execFileSync('chattr', ['+i', file]);
      t.teardown(() => { execFileSync('chattr', ['-i', file]); fs.rmSync(dir, { recursive: true, force: true }); });
    },
  };
});

test('write-ahead: a state-changing action leaves a durable started line before its outcome line', async (t) => {
  const f = await startFixture({ tls: false });
  t.teardown(() => f.close());
  f.cache.create({ loginId: 'victim' });
  f.newAudit();
  t.is((await f.call('DELETE', '/api/v1/users/victim/sessions')).status, 200);
  t.is((await f.call('GET', '/api/v1/users/victim/sessions')).status, 200);
  const lines = f.newAudit();
  t.deepEqual(lines.map((e) => [e.kind, e.outcome]), [
    ['terminate_all_sessions', 'started'], ['terminate_all_sessions', 'allowed'], ['list_sessions', 'allowed'],
  ]);
  t.is(lines[0].ended, undefined);
  t.is(lines[1].ended, 1);
});

test('recordSync() writes durably or throws (full disk)', (t) => {
  const file = tempFile(t);
  const log = AuditLog.open(file);
  log.recordSync({ ...base, task: 'terminate all_sessions bob', outcome: 'started' });
  t.is(lines(file)[0].outcome, 'started');
  const full = AuditLog.open('/dev/full');
  t.throws(() => full.recordSync({ ...base, outcome: 'started' }), { code: 'ENOSPC' });
});

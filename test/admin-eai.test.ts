// The EAI door of the admin plane (am-eai-server-task from a back-end):
// a pattern termination can never be granted to a junction, and the task
// runs only once its audit line is durable (write-ahead through the
// proxy's audit callback): with the audit log on a full disk it does not run.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AuditLog } from '../lib/audit/index.js';
import type { JunctionConfig } from '../lib/config/schema.js';
import { EaiTrigger, type EaiRecord } from '../lib/proxy/eai.js';
import { SessionCache, TaskEngine } from '../lib/index.js';
import { uniqueName } from './helpers/tables.js';

function setup(t: { teardown(fn: () => void): void }, auditFile: string) {
  const name = uniqueName('eai');
  const cache = SessionCache.create(name, { capacity: 64 });
  t.teardown(() => { cache.close(); SessionCache.unlink(name); });
  const engine = new TaskEngine(cache, { serverName: 'default-webseald-eai1', sessionServerName: 'eai1-default' });
  const log = AuditLog.open(auditFile);
  const records: EaiRecord[] = [];
  // What lib/server/proxy-process.ts does: the started line synchronously and durably, or throw.
  const record = (r: EaiRecord) => {
    records.push(r);
    const line = { initiator: `junction:${r.junction}`, method: 'eai', source: r.clientAddress, server: 'default-webseald-eai1', task: r.task, outcome: r.outcome };
    if (r.outcome === 'started') log.recordSync(line);
  };
  const junction = { 'eai-trigger-urls': ['/app/logout'], 'eai-tasks': ['terminate session', 'terminate all_sessions', 'refresh all_sessions'] } as unknown as JunctionConfig;
  const trigger = new EaiTrigger('/app', junction, engine, pino({ level: 'silent' }), record);
  return { cache, trigger, records };
}

test('a pattern termination through am-eai-server-task is refused in every spelling; sessions untouched', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-eai-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { cache, trigger, records } = setup(t, path.join(dir, 'audit.log'));
  const sessions = [cache.create({ loginId: 'bob' }), cache.create({ loginId: 'carol' })];
  for (const task of ['session terminate all_sessions * default', 'session terminate all_sessions ** default', 'server task default-webseald-eai1 session terminate all_sessions b* default', 'signout all_sessions']) {
    t.is(trigger.handle('/app/logout', '/app/logout', { 'am-eai-server-task': task }, '127.0.0.1'), undefined, task);
  }
  for (const s of sessions) t.true(cache.validate(s.sessionId, { touch: false }).valid);
  t.deepEqual(records.map((r) => r.outcome), ['denied', 'denied', 'denied', 'denied']);
});

test('with the audit log on a full disk an EAI task does not run', (t) => {
  const { cache, trigger, records } = setup(t, '/dev/full');
  const s = cache.create({ loginId: 'bob' });
  const headers: Record<string, string | string[]> = { 'am-eai-server-task': 'terminate all_sessions bob' };
  t.is(trigger.handle('/app/logout', '/app/logout', headers, '127.0.0.1'), undefined);
  t.is(headers['am-eai-server-task'], undefined, 'the header is still stripped');
  t.true(cache.validate(s.sessionId, { touch: false }).valid, 'the session was not ended');
  t.deepEqual(records.map((r) => r.outcome), ['started']);
});

test('with a writable audit log the EAI task runs after its started line', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-eai-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'audit.log');
  const { cache, trigger, records } = setup(t, file);
  const s = cache.create({ loginId: 'bob' });
  t.true(trigger.handle('/app/logout', '/app/logout', { 'am-eai-server-task': 'terminate all_sessions bob' }, '127.0.0.1')?.ok);
  t.false(cache.validate(s.sessionId, { touch: false }).valid);
  t.deepEqual(records.map((r) => r.outcome), ['started', 'allowed']);
  t.is(JSON.parse(fs.readFileSync(file, 'utf8').trim()).outcome, 'started');
});

// Every task through the native engine, from TypeScript, against a real table.
import test from 'ava';
import { SessionCache, TaskEngine, tasks, dsc, type TaskResponse } from '../lib/index.js';
import { withTable } from './helpers/tables.js';

const ID = { serverName: 'default-webseald-h1', sessionServerName: 'h1-default', replicaSet: 'default' };
const ids = (r: TaskResponse): string[] => r.messages.map((m) => m.id);
const engine = (c: SessionCache): TaskEngine => new TaskEngine(c, ID);

test('terminate all_sessions for users with spaces, quotes and non-ASCII names', (t) => {
  withTable({ capacity: 256 }, (c) => {
    const e = engine(c);
    for (const user of ['Mary Jones', 'Mary "MJ" Jones', 'DOMAIN\\mary', 'Grüße Jürgen', '山田 太郎', 'pattern']) {
      const s = [c.create({ loginId: user }), c.create({ loginId: user })];
      const bystander = c.create({ loginId: `${user}-other` });
      const r = e.run(tasks.terminateAllSessions(user));
      t.true(r.ok, user);
      t.deepEqual(ids(r), ['GHWAT0002I'], user);
      t.regex(r.messages[0]!.text, /^2 session\(s\) of user/);
      for (const x of s) t.deepEqual(c.validate(x.sessionId), { valid: false, reason: 'all_sessions_terminated' });
      t.true(c.validate(bystander.sessionId).valid);
    }
  });
});

test('terminate session takes the bare ID or the whole user session ID string from a listing', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const e = engine(c);
    const a = c.create({ loginId: 'a' });
    const b = c.create({ loginId: 'b' });
    t.deepEqual(ids(e.run(tasks.terminateSession(a.userSessionId))), ['GHWAT0001I']);
    t.deepEqual(c.validate(a.sessionId), { valid: false, reason: 'terminated' });
    const line = e.run(tasks.listSessions('b')).results[0]!;
    const whole = line.split(' ')[0]!;
    t.is(Buffer.from(whole.split('_')[0]!, 'base64').toString('latin1'), 'h1-default\0');
    t.true(e.run(tasks.terminateSession(whole)).ok);
    t.deepEqual(c.validate(b.sessionId), { valid: false, reason: 'terminated' });
  });
});

test('unknown users and sessions are warnings; a foreign server name is an error', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const e = engine(c);
    const r1 = e.run(tasks.terminateAllSessions('nobody'));
    t.true(r1.ok);
    t.deepEqual(ids(r1), ['GHWAT0003W']);
    const r2 = e.run(tasks.terminateSession('AAAAAAAAAAAAAAAAAAAAAA'));
    t.is(r2.messages[0]!.severity, 'warning');
    const s = c.create({ loginId: 'x' });
    const foreign = Buffer.from('other-host\0').toString('base64') + '_' + s.userSessionId;
    const r3 = e.run(tasks.terminateSession(foreign));
    t.false(r3.ok);
    t.true(c.validate(s.sessionId).valid);
    const r4 = e.run(tasks.signOutEveryone(), 'default-webseald-elsewhere');
    t.false(r4.ok);
    t.deepEqual(ids(r4), ['GHWAT0051E']);
    t.true(c.validate(s.sessionId).valid);
  });
});

test('refresh all_sessions and signout all_sessions act on the table', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const e = engine(c);
    const s = c.create({ loginId: 'r' });
    t.true(e.run(tasks.refreshAllSessions('r')).ok);
    const v = c.validate(s.sessionId);
    t.true(v.valid && v.session.refreshNeeded);
    t.true(e.performTask('default-webseald-h1', tasks.refreshAllSessions('r')).ok);
    const r = e.run('server task default-webseald-h1 signout all_sessions');
    t.true(r.ok);
    t.deepEqual(c.validate(s.sessionId), { valid: false, reason: 'signed_out_everywhere' });
  });
});

test('listings report sessions, and the total when capped', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const e = engine(c);
    for (let i = 0; i < 5; i++) c.create({ loginId: `sec_m${i}` });
    c.create({ loginId: 'other' });
    const all = e.run(tasks.listSessionsByPattern('SEC_M*', 2));
    t.true(all.ok);
    t.is(all.results.filter((l) => l.includes(' user=')).length, 2);
    t.true(all.results.some((l) => /total=5 listed=2/.test(l)));
    const dscList = e.run(dsc.listSessions('*', 100, 'default'));
    t.is(dscList.results.filter((l) => l.includes(' user=')).length, 6);
  });
});

test('dscadmin commands: wildcard terminate, replica sets, unknown replica set', (t) => {
  withTable({ capacity: 256 }, (c) => {
    const e = engine(c);
    const victims = Array.from({ length: 20 }, (_, i) => c.create({ loginId: `sec_m${i}` }));
    const keep = c.create({ loginId: 'alice' });
    t.true(e.run(dsc.terminateAllSessions('sec_m*', 'default')).ok);
    for (const v of victims) t.false(c.validate(v.sessionId).valid);
    t.true(c.validate(keep.sessionId).valid);
    t.true(e.run(dsc.replicaSetList()).results.includes('default'));
    t.true(e.run(dsc.replicaSetShow('default')).ok);
    t.false(e.run(dsc.replicaSetShow('ibm.com')).ok);
    t.false(e.run(dsc.terminateAllSessions('*', 'ibm.com')).ok);
    t.true(c.validate(keep.sessionId).valid);
  });
});

test('help, the task list, and malformed task strings', (t) => {
  withTable({ capacity: 64 }, (c) => {
    const e = engine(c);
    t.true(e.run(tasks.help()).results.length >= 12);
    t.true(e.run(tasks.help('terminate all_sessions')).results.some((l) => l.includes('terminate all_sessions <user_id>')));
    t.true(TaskEngine.taskList().includes('terminate all_sessions <user_id>'));
    for (const [text, id] of [['frobnicate', 'GHWAT0101E'], ['terminate all_sessions "x', 'GHWAT0104E'], ['signout all_sessions now', 'GHWAT0107E']] as const) {
      const r = e.run(text);
      t.false(r.ok);
      t.is(r.messages[0]!.id, id);
      t.is(r.messages[0]!.severity, 'error');
    }
    t.throws(() => e.run(42 as unknown as string), { code: 'ERR_GH_INVALID_ARGUMENT' });
    t.throws(() => new TaskEngine(c, { serverName: 'bad name!' }), { code: 'ERR_GH_INVALID_ARGUMENT' });
  });
});

// Ill-formed UTF-16 (unpaired surrogates) never reaches the table as some
// other string. Task strings get GHWAT0105E from every front door (the
// engine, parseTask, the admin API); every other string argument is refused
// with ERR_GH_INVALID_ARGUMENT, by the TypeScript checks and by the addon
// itself; cookies with non-ASCII characters are malformed. A user literally
// named "\uFFFD" -- what Node-API's conversion used to turn "\uD800" into --
// keeps its sessions throughout.
import test from 'ava';
import { SessionCache, TaskEngine, parseTask, tasks, InvalidArgumentError, type CreatedSession } from '../lib/index.js';
import { native } from '../lib/native.js';
import { nativeHandleOf } from '../lib/session/cache.js';
import { SERVER, startFixture, type Fixture } from './helpers/admin-fixture.js';
import { uniqueName } from './helpers/tables.js';

const REPLACEMENT = '\uFFFD';

// [what, task, the unpaired surrogate it holds (first one), its UTF-8 byte offset]
const TASKS: Array<[string, string, string, number]> = [
  ['lone high, quoted', 'terminate all_sessions "\uD800"', 'D800', 24],
  ['lone low, quoted', 'terminate all_sessions "\uDC00"', 'DC00', 24],
  ['lone high, unquoted', 'terminate all_sessions \uD800', 'D800', 23],
  ['lone low, unquoted', 'terminate all_sessions \uDFFF', 'DFFF', 23],
  ['reversed pair', 'terminate all_sessions "\uDE00\uD83D"', 'DE00', 24],
  ['surrogate at the start of the task', '\uD800terminate all_sessions x', 'D800', 0],
  ['surrogate at the end of a token', 'terminate all_sessions ab\uDBFF', 'DBFF', 25],
  ['surrogate in the middle of a token', 'refresh all_sessions "a\uD800b"', 'D800', 23],
  ['surrogate at the end of the task', 'list sessions pattern *x* 10 \uD800', 'D800', 29],
  ['after a valid pair (😀 is 4 bytes)', 'terminate all_sessions "\uD83D\uDE00\uD800"', 'D800', 28],
  ['in a keyword', 'termin\uDC00ate all_sessions x', 'DC00', 6],
  ['in the server task prefix', `server task ${SERVER}\uD800 terminate all_sessions x`, 'D800', 12 + SERVER.length],
  ['in a dscadmin pattern', 'session terminate all_sessions \uD800* default', 'D800', 31],
];

function withVictims(fn: (c: SessionCache, replacementUser: CreatedSession[]) => void): void {
  const name = uniqueName('surrogate');
  const c = SessionCache.create(name, { capacity: 64 });
  try {
    const victims = [c.create({ loginId: REPLACEMENT }), c.create({ loginId: REPLACEMENT })];
    fn(c, victims);
  } finally {
    c.close();
    SessionCache.unlink(name);
  }
}

function stillValid(t: any, c: SessionCache, victims: CreatedSession[], what: string): void {
  for (const s of victims) t.true(c.validate(s.sessionId, { touch: false }).valid, `${what}: the \\uFFFD user lost a session`);
  t.is(c.countSessions(REPLACEMENT).count, victims.length, what);
}

test('a well-formed surrogate pair is a normal character in a task (control case)', (t) => {
  withVictims((c) => {
    const e = new TaskEngine(c, { serverName: SERVER, sessionServerName: 'adm1-default' });
    c.create({ loginId: '\uD83D\uDE00' });
    const r = e.run('terminate all_sessions "\uD83D\uDE00"');
    t.true(r.ok, JSON.stringify(r));
    t.is(c.countSessions('\uD83D\uDE00').count, 0);
  });
});

for (const [what, task, unit, offset] of TASKS) {
  test(`TaskEngine.run answers GHWAT0105E: ${what}`, (t) => {
    withVictims((c, victims) => {
      const e = new TaskEngine(c, { serverName: SERVER, sessionServerName: 'adm1-default' });
      const r = e.run(task);
      t.false(r.ok);
      t.is(r.messages.length, 1);
      t.is(r.messages[0]!.id, 'GHWAT0105E');
      t.is(r.messages[0]!.code, 0x47540105);
      t.regex(r.messages[0]!.text, new RegExp(`unpaired UTF-16 surrogate U\\+${unit} .*\\(at byte ${offset}\\)`));
      t.is(e.performTask(SERVER, task).messages[0]!.id, 'GHWAT0105E');
      stillValid(t, c, victims, what);
    });
  });

  test(`parseTask answers GHWAT0105E: ${what}`, (t) => {
    const p = parseTask(task);
    t.false(p.ok);
    if (p.ok) return;
    t.is(p.error.messageId, 'GHWAT0105E');
    t.is(p.error.offset, offset);
    t.regex(p.error.text, new RegExp(`U\\+${unit}`));
  });
}

test('the task engine refuses a server name or replica set with a lone surrogate', (t) => {
  withVictims((c, victims) => {
    const e = new TaskEngine(c, { serverName: SERVER, sessionServerName: 'adm1-default' });
    t.throws(() => e.run('help', `${SERVER}\uD800`), { instanceOf: InvalidArgumentError });
    t.throws(() => new TaskEngine(c, { serverName: SERVER, sessionServerName: 'adm1-default', replicaSet: 'r\uDC00' }),
      { instanceOf: InvalidArgumentError });
    // Past the TypeScript checks, the addon refuses them too.
    const h = nativeHandleOf(c);
    for (const args of [[`s\uD800`, 'adm1-default', 'default', ''], [SERVER, 'adm1-default', 'd\uD800', ''], [SERVER, 'adm1-default', 'default', '\uDC00']]) {
      const err = t.throws(() => native.performTask(h, args[0]!, args[1]!, args[2]!, args[3]!, 'help'));
      t.is((err as any)?.code, 'GH_E_INVALID_ARGUMENT');
    }
    stillValid(t, c, victims, 'identity');
  });
});

const LONE = ['\uD800', '\uDC00', '\uDE00\uD83D', 'a\uD800', '\uDFFFb', 'x\uD800y'];

test('SessionCache refuses login IDs and patterns with a lone surrogate (InvalidArgumentError)', (t) => {
  withVictims((c, victims) => {
    for (const s of LONE) {
      const calls: Array<[string, () => unknown]> = [
        ['create', () => c.create({ loginId: s })],
        ['terminateAllSessions', () => c.terminateAllSessions(s)],
        ['refreshAllSessions', () => c.refreshAllSessions(s)],
        ['countSessions', () => c.countSessions(s)],
        ['listSessions', () => c.listSessions(s)],
        ['listByPattern', () => c.listByPattern(s)],
        ['tasks.terminateAllSessions', () => tasks.terminateAllSessions(s)],
      ];
      for (const [what, call] of calls) {
        const err = t.throws(call, { instanceOf: InvalidArgumentError }, `${what}(${JSON.stringify(s)})`);
        t.is(err?.code, 'ERR_GH_INVALID_ARGUMENT');
      }
    }
    stillValid(t, c, victims, 'SessionCache');
  });
});

test('the addon itself refuses every string argument with a lone surrogate, whatever the caller checked', (t) => {
  withVictims((c, victims) => {
    const h = nativeHandleOf(c);
    for (const s of LONE) {
      const calls: Array<[string, () => unknown]> = [
        ['createSession', () => native.createSession(h, s, null, 60, 60, 0, 0, 1, 1, 0)],
        ['terminateAll', () => native.terminateAll(h, s, 6)],
        ['refreshAll', () => native.refreshAll(h, s)],
        ['userCount', () => native.userCount(h, s)],
        ['list by user', () => native.list(h, 0, s, 0, 10)],
        ['list by pattern', () => native.list(h, 1, s, 0, 10)],
        ['terminate', () => native.terminate(h, s, 5)],
        ['open', () => native.open(`gh${s}`)],
        ['create table', () => native.create(`gh${s}`, 64, 0)],
        ['unlink', () => native.unlink(`gh${s}`)],
      ];
      for (const [what, call] of calls) {
        const err = t.throws(call, undefined, `${what}(${JSON.stringify(s)})`);
        t.is((err as any)?.code, 'GH_E_INVALID_ARGUMENT', what);
        t.regex(err?.message ?? '', /not well-formed UTF-16: unpaired surrogate/, what);
      }
    }
    stillValid(t, c, victims, 'addon');
  });
});

test('a cookie with non-ASCII characters is malformed, not read by its low bytes', (t) => {
  withVictims((c) => {
    const s = c.create({ loginId: 'cookie-owner' });
    // Same low byte as the real first character, high byte set: latin1 conversion would drop it.
    const twin = String.fromCharCode(0x100 + s.sessionId.charCodeAt(0)) + s.sessionId.slice(1);
    const lone = `\uD800${s.sessionId.slice(1)}`;
    for (const bad of [twin, lone]) {
      t.deepEqual(c.validate(bad), { valid: false, reason: 'unknown' });
      t.false(c.touch(bad));
      t.false(c.logout(bad));
    }
    t.true(c.validate(s.sessionId).valid, 'the real cookie still validates');
  });
});

test.serial('the admin API answers GHWAT0105E for a task with a lone surrogate; the \\uFFFD user keeps its sessions', async (t) => {
  const f: Fixture = await startFixture({ tls: false });
  try {
    const victims = [f.cache.create({ loginId: REPLACEMENT }), f.cache.create({ loginId: REPLACEMENT })];
    for (const [what, task, unit] of TASKS.slice(0, 5)) {
      const r = await f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { body: { task } });
      t.is(r.status, 400, `${what}: ${r.text}`);
      t.is(r.json.error.code, 'bad_task');
      t.is(r.json.messages?.[0]?.id, 'GHWAT0105E', what);
      t.regex(r.json.error.message, new RegExp(`U\\+${unit}`));
      const p = await f.call('POST', '/isam/pdadmin', { body: { commands: [`server task ${SERVER} ${task}`] } });
      t.is(p.status, 400, `${what}: ${p.text}`);
      t.is(p.json.messages?.[0]?.id, 'GHWAT0105E', what);
    }
    // The same user ID as JSON escapes in a REST path cannot be sent: percent-encoding a lone
    // surrogate is not UTF-8, which the router refuses before any lookup.
    const rest = await f.call('DELETE', '/api/v1/users/%ED%A0%80/sessions');
    t.is(rest.status, 400, rest.text);
    stillValid(t, f.cache, victims, 'admin API');
  } finally {
    await f.close();
  }
});

// Typed task builders against the native grammar: every builder's string
// parses back to the builder's command, for hand-picked and generated input.
import test from 'ava';
import fc from 'fast-check';
import { tasks, dsc, parseTask, InvalidArgumentError, type Task, type TaskCommand, type TaskParseErrorId } from '../lib/index.js';

function roundTrip(t: { is: (a: unknown, b: unknown) => void; deepEqual: (a: unknown, b: unknown) => void }, task: Task): void {
  const parsed = parseTask(task.text);
  t.is(parsed.ok, true);
  if (!parsed.ok) return;
  t.deepEqual(parsed.command, task.command);
  t.is(parsed.canonical, task.text);
}

test('builders produce the reference syntax, quoting only where needed', (t) => {
  t.is(tasks.terminateAllSessions('dlucas').text, 'terminate all_sessions dlucas');
  t.is(tasks.terminateAllSessions('Mary Jones').text, 'terminate all_sessions "Mary Jones"');
  t.is(tasks.refreshAllSessions('test_user').text, 'refresh all_sessions test_user');
  t.is(tasks.terminateAllSessions('Mary "MJ" Jones').text, 'terminate all_sessions "Mary \\"MJ\\" Jones"');
  t.is(tasks.terminateAllSessions('DOMAIN\\mary').text, 'terminate all_sessions DOMAIN\\mary');
  t.is(tasks.terminateAllSessions('a "b\\c"').text, 'terminate all_sessions "a \\"b\\\\c\\""');
  t.is(tasks.listSessions('pattern').text, 'list sessions "pattern"');
  t.is(tasks.listSessionsByPattern('sec_m*').text, 'list sessions pattern sec_m* 100');
  t.is(tasks.terminateSession('ZGVmYXVsdA==_abc').text, 'terminate session ZGVmYXVsdA==_abc');
  t.is(tasks.signOutEveryone().text, 'signout all_sessions');
  t.is(tasks.help().text, 'help');
  t.is(tasks.help('terminate all_sessions').text, 'help terminate all_sessions');
  t.is(dsc.terminateAllSessions('sec_m*', 'ibm.com').text, 'session terminate all_sessions sec_m* ibm.com');
  t.is(dsc.listSessions('*ons*', 100, 'ibm.com').text, 'session list *ons* 100 ibm.com');
  t.is(dsc.terminateSession('678', 'ibm.com').text, 'session terminate session 678 ibm.com');
  t.is(dsc.replicaSetList().text, 'replica set list');
  t.is(dsc.replicaSetShow('ibm.com').text, 'replica set show ibm.com');
  t.is(String(tasks.terminateAllSessions('x')), 'terminate all_sessions x');
});

test('every builder reads back to its command through the native parser', (t) => {
  for (const task of [
    tasks.terminateSession('ZGVmYXVsdC13ZWJzZWFsZC1ob3N0AA==_abc:'), tasks.terminateSession('dSIY18Wtq-383jiWkJpjKw'),
    tasks.terminateAllSessions('Grüße Jürgen'), tasks.refreshAllSessions('山田 太郎'), tasks.listSessions('PATTERN'),
    tasks.listSessionsByPattern('*', 1), tasks.signOutEveryone(), tasks.help('refresh'),
    dsc.terminateSession('678', 'ibm.com'), dsc.terminateAllSessions('a b*', 'r s'), dsc.listSessions('*', 100000, 'x'),
    dsc.replicaSetList(), dsc.replicaSetShow('default'),
  ]) roundTrip(t, task);
});

test('the native parser splits a whole user session ID string', (t) => {
  const p = parseTask('server task default-webseald-h1 terminate session ZGVmYXVsdC13ZWJzZWFsZC1ob3N0AA==_abc:');
  t.true(p.ok);
  if (!p.ok) return;
  t.is(p.serverName, 'default-webseald-h1');
  t.is(p.sessionServerName, 'default-webseald-host');
});

test('bad arguments get a clear error before any string is built', (t) => {
  for (const bad of ['', 'x'.repeat(257), 'tab\there', 'nl\nhere', 'lone\uD800', 'nul\0']) {
    t.throws(() => tasks.terminateAllSessions(bad), { instanceOf: InvalidArgumentError });
  }
  t.throws(() => tasks.terminateSession('has space'), { instanceOf: InvalidArgumentError });
  t.throws(() => tasks.terminateSession('quo"te'), { instanceOf: InvalidArgumentError });
  t.throws(() => tasks.listSessionsByPattern('*', 0), { instanceOf: InvalidArgumentError });
  t.throws(() => tasks.listSessionsByPattern('*', 100001), { instanceOf: InvalidArgumentError });
  t.throws(() => dsc.replicaSetShow(''), { instanceOf: InvalidArgumentError });
});

test('malformed task strings are typed errors with message IDs, never exceptions', (t) => {
  const cases: Array<[string, TaskParseErrorId]> = [
    ['frobnicate everything', 'GHWAT0101E'],
    ['terminate all_sessions', 'GHWAT0102E'],
    ['terminate all_sessions "unbalanced', 'GHWAT0104E'],
    ['terminate all_sessions bad\u0001char', 'GHWAT0105E'],
    ['terminate all_sessions ' + 'x '.repeat(300), 'GHWAT0106E'],
    ['signout all_sessions now', 'GHWAT0107E'],
    ['list sessions pattern * 0', 'GHWAT0103E'],
  ];
  for (const [text, id] of cases) {
    const p = parseTask(text);
    t.false(p.ok, text);
    if (!p.ok) t.is(p.error.messageId, id, text);
  }
  const huge = parseTask('terminate all_sessions ' + 'y'.repeat(1 << 20));
  t.false(huge.ok);
  t.throws(() => parseTask(42 as unknown as string), { instanceOf: InvalidArgumentError });
});

// Generated arguments: any well-formed string without control characters
// (spaces, quotes, backslashes, keywords and non-ASCII included).
// Mostly drawn from the characters the quoting rules care about, so that
// spaces, quotes, backslashes and keywords meet often; plus arbitrary text.
const tricky = fc.array(fc.constantFrom(' ', '"', '\\', '*', 'a', 'Z', '_', 'é', '山', '😀', 'pattern', 'help', 'session'),
  { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));
const arbitrary = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ''));
const text = fc.oneof({ weight: 3, arbitrary: tricky }, { weight: 1, arbitrary })
  .filter((s) => s.length > 0 && s.isWellFormed() && Buffer.byteLength(s) <= 256);
const sessionToken = fc.stringMatching(/^[!#-[\]-~]{1,60}$/);
const max = fc.integer({ min: 1, max: 100_000 });
const command: fc.Arbitrary<Task<TaskCommand>> = fc.oneof(
  sessionToken.map((id) => tasks.terminateSession(id) as Task),
  text.map((u) => tasks.terminateAllSessions(u) as Task),
  text.map((u) => tasks.refreshAllSessions(u) as Task),
  text.map((u) => tasks.listSessions(u) as Task),
  fc.tuple(text, max).map(([p, m]) => tasks.listSessionsByPattern(p, m) as Task),
  fc.array(text.filter((w) => !w.includes(' ')), { maxLength: 3 }).map((ws) => tasks.help(ws.join(' ')) as Task),
  fc.tuple(sessionToken, text).map(([id, r]) => dsc.terminateSession(id, r) as Task),
  fc.tuple(text, text).map(([p, r]) => dsc.terminateAllSessions(p, r) as Task),
  fc.tuple(text, max, text).map(([p, m, r]) => dsc.listSessions(p, m, r) as Task),
  text.map((r) => dsc.replicaSetShow(r) as Task),
  fc.constant(tasks.signOutEveryone() as Task),
  fc.constant(dsc.replicaSetList() as Task),
);

test('property: builder -> string -> native parser -> the same command (5,000 cases)', (t) => {
  fc.assert(fc.property(command, (task) => {
    const parsed = parseTask(task.text);
    if (!parsed.ok) throw new Error(`${JSON.stringify(task.text)} failed to parse: ${parsed.error.messageId} ${parsed.error.text}`);
    // A bare ID that happens to look like base64(server)_id is split by the
    // parser; the token as written must still be what comes back.
    const expected = task.command;
    const actual = parsed.command;
    if (JSON.stringify(actual) !== JSON.stringify(expected) || parsed.canonical !== task.text)
      throw new Error(`${JSON.stringify(task.text)}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
  }), { numRuns: 5000 });
  t.pass();
});

// `gatehouse admin` driven through stdin/stdout streams against the real
// admin server (helpers/admin-fixture.ts): an interactive session script
// (login, server commands, dscadmin mode, history, errors, exit) and the
// one-shot form with exit statuses and --json, each checked against the
// table behind the server.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { runAdminCommand } from '../lib/cli/admin.js';
import { maskPassword } from '../lib/cli/admin-shell.js';
import { splitWords } from '../lib/cli/admin-words.js';
import { PASSWORDS, SERVER as TEST_SERVER, startFixture, type Fixture } from './helpers/admin-fixture.js';

/** The fixture, its certificate in a file for --ca, and a token for backend-hr. */
interface AdminFixture extends Fixture { caFile: string; tokenValue: string }

async function fixture(t: { teardown(fn: () => unknown): void }): Promise<AdminFixture> {
  const f = await startFixture();
  t.teardown(() => f.close());
  const caFile = path.join(f.dir, 'admin-ca.pem');
  fs.writeFileSync(caFile, f.server.caCertificatePem!);
  return Object.assign(f, { caFile, tokenValue: f.token('backend-hr') });
}

interface Run { code: number; out: string; err: string }

/** Runs the command with `input` on stdin and the given environment (never process.env). */
async function admin(argv: string[], input: string, env: Record<string, string> = {}): Promise<Run> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => { out += c.toString(); });
  stderr.on('data', (c: Buffer) => { err += c.toString(); });
  stdin.end(input);
  const code = await runAdminCommand(argv, { stdin, stdout, stderr, env });
  return { code, out, err };
}

const base = (f: AdminFixture): string[] => ['--url', f.server.url, '--ca', f.caFile];
const asAdmin = { GATEHOUSE_ADMIN_PASSWORD: PASSWORDS.sec_master! };

test('interactive session: login, server commands, dscadmin mode, history, errors, exit', async (t) => {
  const f = await fixture(t);
  const bob = [f.cache.create({ loginId: 'bob' }), f.cache.create({ loginId: 'bob' })];
  const mary = f.cache.create({ loginId: 'Mary Jones' });
  const carol = f.cache.create({ loginId: 'carol' });
  const dave = f.cache.create({ loginId: 'dave' });
  const script = [
    'server list',                                                   // not logged in yet
    `login -a sec_master -p "${PASSWORDS.sec_master!}"`,
    'server list',
    `server listtasks ${TEST_SERVER}`,
    `server task ${TEST_SERVER} terminate all_sessions bob`,
    `server task ${TEST_SERVER} terminate all_sessions "Mary Jones"`,
    `server task ${TEST_SERVER} bogus words`,
    'bogus command',
    'dscadmin',
    'replicas',
    'list sessions default c* 10',
    'terminate all_sessions carol',
    `session terminate session ${dave.userSessionId} default`,
    'exit',
    'history',
    'logout',
    'server list',
    'quit',
    'server list',                                                    // after quit: never read
  ].join('\n');
  const r = await admin([...base(f), '-i'], `${script}\n`);
  t.is(r.code, 0);
  // The prompts, in order.
  // The prompts, in order, each with the command echoed (stdin is not a terminal).
  const prompts = r.out.split('\n').map((l) => /^(pdadmin(?: \S+)?|dscadmin)> (.*)$/.exec(l)).filter((m) => m !== null).map((m) => `${m[1]}: ${m[2]}`);
  t.deepEqual(prompts, [
    'pdadmin: server list', 'pdadmin: login -a sec_master -p ********', 'pdadmin sec_master: server list',
    `pdadmin sec_master: server listtasks ${TEST_SERVER}`, `pdadmin sec_master: server task ${TEST_SERVER} terminate all_sessions bob`,
    `pdadmin sec_master: server task ${TEST_SERVER} terminate all_sessions "Mary Jones"`, `pdadmin sec_master: server task ${TEST_SERVER} bogus words`,
    'pdadmin sec_master: bogus command', 'pdadmin sec_master: dscadmin', 'dscadmin: replicas', 'dscadmin: list sessions default c* 10',
    'dscadmin: terminate all_sessions carol', `dscadmin: session terminate session ${dave.userSessionId} default`, 'dscadmin: exit',
    'pdadmin sec_master: history', 'pdadmin sec_master: logout', 'pdadmin: server list', 'pdadmin: quit',
  ]);
  // Server effects.
  for (const s of bob) t.deepEqual(f.cache.validate(s.sessionId), { valid: false, reason: 'all_sessions_terminated' });
  t.false(f.cache.validate(mary.sessionId).valid);
  t.false(f.cache.validate(carol.sessionId).valid);
  t.deepEqual(f.cache.validate(dave.sessionId), { valid: false, reason: 'terminated' });
  // Output.
  t.true(r.out.includes(`${TEST_SERVER}\n`));
  t.true(r.out.includes('terminate all_sessions <user_id>\n'));
  t.true(r.out.includes('GHWAT0002I 2 session(s) of user bob terminated.'));
  t.true(r.out.includes('GHWAT0002I 1 session(s) of user "Mary Jones" terminated.'));
  t.true(r.out.includes('\ndefault\nGHWAT0013I'));
  t.regex(r.out, /_[A-Za-z0-9_-]{22} created=\S+ last_access=\S+ auth=\S+ level=\d+ refresh=no user=carol\n/);
  t.true(r.out.includes('GHWAT0001I Session'));
  // Errors, with their IDs.
  t.regex(r.err, /^Error: not logged in/m);
  t.regex(r.err, /^GHWAT0101E .*\(0x47540101\)$/m);
  t.regex(r.err, /^Error: unknown command `bogus`/m);
  t.is(r.err.match(/not logged in/g)?.length, 2);
  // History is numbered, and the password is in none of it, nor anywhere else.
  t.regex(r.out, /^ {3}1 {2}server list$/m);
  t.regex(r.out, /^ {3}2 {2}login -a sec_master -p \*{8}$/m);
  t.regex(r.out, /^ {2}14 {2}exit$/m);
  t.false(`${r.out}${r.err}`.includes(PASSWORDS.sec_master!));
});

test('interactive: login without -p asks for the password; a wrong one is refused with its code', async (t) => {
  const f = await fixture(t);
  const s = f.cache.create({ loginId: 'bob' });
  const script = ['login -a alice', 'not-the-password', 'login -a alice', PASSWORDS.alice!,
    'whoami', `server task ${TEST_SERVER} signout all_sessions`, 'history', 'exit'].join('\n');
  const r = await admin([...base(f), '-i'], `${script}\n`);
  t.is(r.code, 0);
  t.is(r.out.match(/Enter password: /g)?.length, 2);
  t.regex(r.err, /^Error: .*\(unauthenticated, HTTP 401\)$/m);
  t.true(r.out.includes('pdadmin alice> '));
  t.true(r.out.includes('alice (password) groups: session-admins; Tsl on /WebSEAL/adm1-default/\n'));
  t.regex(r.err, /HTTP 403/);                                       // alice lacks the sign-out privilege
  t.true(f.cache.validate(s.sessionId).valid);
  t.false(r.out.includes(PASSWORDS.alice!));
  t.false(r.out.includes('not-the-password'));
});

test('interactive: -a with --password-stdin logs in before the first prompt; token from the environment too', async (t) => {
  const f = await fixture(t);
  const bob = f.cache.create({ loginId: 'bob' });
  const r1 = await admin([...base(f), '-i', '-a', 'sec_master', '--password-stdin'],
    `${PASSWORDS.sec_master!}\ndscadmin terminate all_sessions bob\nexit\n`);
  t.is(r1.code, 0);
  t.regex(r1.out, /^pdadmin sec_master> /);
  t.false(f.cache.validate(bob.sessionId).valid);
  const r2 = await admin([...base(f), '-i', '--json'], 'whoami\n', { GATEHOUSE_ADMIN_TOKEN: f.tokenValue });
  t.regex(r2.out, /^pdadmin backend-hr> /);
  t.is(JSON.parse(r2.out.split('\n').find((l) => l.includes('{'))!.replace(/^[^{]*/, '')).method, 'token');
});

test('one-shot: server task with --json prints the response and ends the sessions', async (t) => {
  const f = await fixture(t);
  const bob = f.cache.create({ loginId: 'bob' });
  const mary = f.cache.create({ loginId: 'Mary Jones' });
  const r = await admin([...base(f), '-a', 'sec_master', '--json', 'server', 'task', TEST_SERVER, 'terminate', 'all_sessions', 'bob'], '', asAdmin);
  t.is(r.code, 0, r.err);
  const json = JSON.parse(r.out) as { ok: boolean; messages: Array<{ id: string }> };
  t.true(json.ok);
  t.deepEqual(json.messages.map((m) => m.id), ['GHWAT0002I']);
  t.false(f.cache.validate(bob.sessionId).valid);
  // Words the shell already unquoted are quoted again.
  const r2 = await admin([...base(f), '-a', 'sec_master', 'server', 'task', TEST_SERVER, 'terminate', 'all_sessions', 'Mary Jones'], '', asAdmin);
  t.is(r2.code, 0, r2.err);
  t.is(r2.out, 'GHWAT0002I 1 session(s) of user "Mary Jones" terminated.\n');
  t.false(f.cache.validate(mary.sessionId).valid);
  const list = await admin([...base(f), '--json', 'server', 'list'], '', { ...asAdmin, GATEHOUSE_ADMIN_TOKEN: f.tokenValue });
  t.deepEqual(JSON.parse(list.out), { servers: [TEST_SERVER] });
});

test('one-shot: dscadmin shortcuts, --password-stdin, GATEHOUSE_ADMIN_CA', async (t) => {
  const f = await fixture(t);
  const a = f.cache.create({ loginId: 'carol' });
  const b = f.cache.create({ loginId: 'carol' });
  const r = await admin(['--url', f.server.url, '-a', 'sec_master', '--password-stdin', 'dscadmin', 'terminate', 'session', a.userSessionId],
    `${PASSWORDS.sec_master!}\n`, { GATEHOUSE_ADMIN_CA: f.caFile });
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^GHWAT0001I /);
  t.deepEqual(f.cache.validate(a.sessionId), { valid: false, reason: 'terminated' });
  t.true(f.cache.validate(b.sessionId).valid);
  const l = await admin([...base(f), '-a', 'sec_master', '--json', 'dscadmin', 'session', 'list', 'car*', '5', 'default'], '', asAdmin);
  t.is(l.code, 0, l.err);
  t.is((JSON.parse(l.out) as { results: string[] }).results.length, 1);
});

test('dscadmin terminate all_sessions by a wildcard pattern needs AUTH_ADMINISTRATOR: s alone is refused (exit 3)', async (t) => {
  const f = await fixture(t);
  const victims = [f.cache.create({ loginId: 'bob' }), f.cache.create({ loginId: 'carol' })];
  const asAlice = { GATEHOUSE_ADMIN_PASSWORD: PASSWORDS.alice! };  // alice holds s and l, not the privilege
  for (const words of [['terminate', 'all_sessions', '*'], ['session', 'terminate', 'all_sessions', '**', 'default'], ['terminate', 'all_sessions', 'b*']]) {
    const r = await admin([...base(f), '-a', 'alice', 'dscadmin', ...words], '', asAlice);
    t.is(r.code, 3, `${words.join(' ')}: ${r.out}${r.err}`);
    t.regex(r.err, /^GHWAA0067E /m);
    for (const v of victims) t.true(f.cache.validate(v.sessionId, { touch: false }).valid, words.join(' '));
  }
  // One login ID, no wildcard: s is enough.
  const one = await admin([...base(f), '-a', 'alice', 'dscadmin', 'terminate', 'all_sessions', 'bob'], '', asAlice);
  t.is(one.code, 0, one.err);
  t.false(f.cache.validate(victims[0]!.sessionId).valid);
  t.true(f.cache.validate(victims[1]!.sessionId, { touch: false }).valid);
  // The privilege holder may.
  const all = await admin([...base(f), '-a', 'sec_master', 'dscadmin', 'terminate', 'all_sessions', '*'], '', asAdmin);
  t.is(all.code, 0, all.err);
  t.false(f.cache.validate(victims[1]!.sessionId).valid);
});

test('one-shot exit statuses: 1 failed task, 3 authentication/authorization, 2 usage', async (t) => {
  const f = await fixture(t);
  const s = f.cache.create({ loginId: 'bob' });
  const failed = await admin([...base(f), '-a', 'sec_master', 'server', 'task', TEST_SERVER, 'terminate', 'all_sessions'], '', asAdmin);
  t.is(failed.code, 1);
  t.regex(failed.err, /^GHWAT0102E /m);
  const unknownServer = await admin([...base(f), '-a', 'sec_master', 'server', 'listtasks', 'default-webseald-nowhere'], '', asAdmin);
  t.is(unknownServer.code, 1);
  t.regex(unknownServer.err, /unknown_server, HTTP 404/);

  const wrong = await admin([...base(f), '-a', 'sec_master', 'server', 'list'], '', { GATEHOUSE_ADMIN_PASSWORD: 'nope' });
  t.is(wrong.code, 3);
  const denied = await admin([...base(f), '-a', 'norbert', '--json', 'server', 'task', TEST_SERVER, 'terminate', 'all_sessions', 'bob'], '',
    { GATEHOUSE_ADMIN_PASSWORD: PASSWORDS.norbert! });
  t.is(denied.code, 3);
  t.is((JSON.parse(denied.out) as { error: { status: number } }).error.status, 403);
  t.true(f.cache.validate(s.sessionId).valid);

  const explicit = await admin([...base(f), '-a', 'sec_master', '-p', PASSWORDS.sec_master!, 'server', 'list'], '');
  t.is(explicit.code, 0);
  t.regex(explicit.err, /^warning: a password given with -p is visible/m);

  const usage: string[][] = [
    [...base(f), 'server', 'list'],                                  // no credentials
    [...base(f), '-a', 'sec_master', 'server', 'list'],              // no password, stdin not a terminal
    [...base(f), '-p', 'x', 'server', 'list'],
    [...base(f), '-a', 'x', '--token', 'y', 'server', 'list'],
    [...base(f), '--cert', f.caFile, 'server', 'list'],
    [...base(f), '--bogus-option', 'server', 'list'],
    [...base(f), 'frobnicate'],
    [...base(f), 'dscadmin'],
    [...base(f)],                                                    // no command, not a terminal, no -i
    ['--url', f.server.url, '--ca', path.join(f.dir, 'missing.pem'), 'server', 'list'],
    ['--url', 'ftp://127.0.0.1:1', '--token', f.tokenValue, 'server', 'list'],
  ];
  const before = f.allAudit().length;
  for (const argv of usage) t.is((await admin(argv, '')).code, 2, argv.join(' '));
  const listtasks = await admin([...base(f), 'server', 'listtasks'], '', { GATEHOUSE_ADMIN_TOKEN: f.tokenValue });
  t.is(listtasks.code, 2);
  t.regex(listtasks.err, /usage: server list/);
  t.is(f.allAudit().length, before);                                // usage errors send nothing
  t.true(f.cache.validate(s.sessionId).valid);
});

test('help prints the usage', async (t) => {
  const r = await admin(['--help'], '');
  t.is(r.code, 0);
  t.regex(r.out, /usage: gatehouse admin/);
});

test('words split like the task grammar; maskPassword hides -p values', (t) => {
  const s = splitWords('server task X terminate all_sessions "Mary \\"MJ\\" Jones"');
  t.true(s.ok);
  if (s.ok) t.deepEqual(s.words.map((w) => w.text), ['server', 'task', 'X', 'terminate', 'all_sessions', 'Mary "MJ" Jones']);
  t.false(splitWords('login -a "x').ok);
  t.false(splitWords('a "b"c').ok);
  t.false(splitWords('a "b\\x"').ok);
  t.is(maskPassword('login -a sec_master -p "s p a c e"'), 'login -a sec_master -p ********');
  t.is(maskPassword('login -a "Mary Jones" -p pw'), 'login -a "Mary Jones" -p ********');
  t.is(maskPassword('login -p "unbalanced'), 'login ********');
  t.is(maskPassword('server list'), 'server list');
});

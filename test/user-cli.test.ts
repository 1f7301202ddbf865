// user-cli.test.ts -- `gatehouse user ...` through runUserCommand: every
// subcommand, its exit codes (0 done, 1 refused, 2 bad usage or input) and
// what lands in the registry file.
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runUserCommand } from '../lib/cli/user.js';
import { FileRegistry, parseUserFile } from '../lib/registry/index.js';

interface Run { code: number; out: string; err: string }

function setup(t: ExecutionContext) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-user-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'users.yaml');
  /** Runs `gatehouse user <args> --registry <file>`; `stdin` feeds --password-stdin. */
  const run = async (args: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> => {
    let out = '';
    let err = '';
    const code = await runUserCommand([...args, ...(env['GATEHOUSE_REGISTRY'] ? [] : ['--registry', file])], {
      stdout: { write: (s: string) => { out += s; } },
      stderr: { write: (s: string) => { err += s; } },
      stdin: Readable.from([stdin]),
      env,
      hash: { ln: 4 },
    });
    return { code, out, err };
  };
  const users = () => parseUserFile(fs.readFileSync(file, 'utf8'));
  const auth = async (id: string, pw: string) => {
    const reg = await FileRegistry.open(file, { watch: false });
    try {
      return await reg.authenticate(id, pw);
    } finally {
      reg.close();
    }
  };
  return { dir, file, run, users, auth };
}

test('create makes the registry file and the user; show never prints the hash', async (t) => {
  const { run, users, auth, file } = setup(t);
  const r = await run(['create', 'alice', '--dn', 'uid=alice,ou=people,o=corp', '--groups', 'staff, admins', '--password-stdin', '--description', 'Alice A.'], 'pa ss\n');
  t.deepEqual(r, { code: 0, out: '', err: '' });
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  const alice = users().get('alice')!;
  t.is(alice.dn, 'uid=alice,ou=people,o=corp');
  t.deepEqual(alice.groups, ['admins', 'staff']);
  t.is(alice.description, 'Alice A.');
  t.regex(alice.password!, /^\$scrypt\$ln=4,/);
  t.true((await auth('alice', 'pa ss')).ok, 'one trailing newline is stripped from stdin');

  const show = await run(['show', 'alice']);
  t.is(show.code, 0);
  t.regex(show.out, /^Login ID: alice$/m);
  t.regex(show.out, /^DN: uid=alice,ou=people,o=corp$/m);
  t.regex(show.out, /^Account valid: yes$/m);
  t.regex(show.out, /^Password set: yes$/m);
  t.regex(show.out, /^Groups: admins, staff$/m);
  t.regex(show.out, /^Max concurrent web sessions: unset$/m);
  const json = await run(['show', 'alice', '--json']);
  t.like(JSON.parse(json.out), { id: 'alice', hasPassword: true, accountValid: true, groups: ['admins', 'staff'], description: 'Alice A.' });
  for (const o of [show.out, json.out]) t.false(o.includes('$scrypt$') || o.includes(alice.password!.slice(-20)));
});

test('create with --password, with no password, the default DN; duplicates and bad IDs are refused', async (t) => {
  const { run, users, auth, dir } = setup(t);
  t.is((await run(['create', 'bob', '--description', 'line\nbreak'])).code, 2);
  t.deepEqual(fs.readdirSync(dir), [], 'bad input makes no registry file');
  t.is((await run(['create', 'bob', '--password', 'pw1'])).code, 0);
  t.true((await auth('bob', 'pw1')).ok);
  t.is((await run(['create', 'carol'])).code, 0);
  t.is(users().get('carol')!.dn, 'cn=carol,o=gatehouse');
  t.is(users().get('carol')!.password, undefined);
  t.deepEqual(await auth('carol', ''), { ok: false, reason: 'bad_password' });

  const dup = await run(['create', 'bob']);
  t.is(dup.code, 1);
  t.regex(dup.err, /user 'bob' already exists/);
  t.is((await run(['create', 'x\u0001y'])).code, 2);
  t.is((await run(['create', 'a'.repeat(300)])).code, 2);
  t.is((await run(['create'])).code, 2);
  t.is((await run(['create', 'dave', 'extra'])).code, 2);
  t.is((await run(['create', 'dave', '--password', 'a', '--password-stdin'], 'b\n')).code, 2);
  t.is((await run(['create', 'dave', '--password-stdin'], '')).code, 2);
  t.is((await run(['create', 'dave', '--password-stdin'], 'two\nlines\n')).code, 2);
  t.is((await run(['create', 'dave', '--groups', 'ok,bad\u0001'])).code, 2);
  t.is((await run(['create', 'dave', '--dn', 'a\nb'])).code, 2);
  t.false(users().has('dave'), 'nothing half-made');
  t.deepEqual([...users().keys()], ['bob', 'carol']);
});

test('modify account-valid: an invalid account is refused only after the right password', async (t) => {
  const { run, users, auth } = setup(t);
  await run(['create', 'bob', '--password', 'pw']);
  t.is((await run(['modify', 'bob', 'account-valid', 'no'])).code, 0);
  t.false(users().get('bob')!.accountValid);
  t.deepEqual(await auth('bob', 'pw'), { ok: false, reason: 'account_invalid' });
  t.deepEqual(await auth('bob', 'bad'), { ok: false, reason: 'bad_password' });
  t.deepEqual(await auth('nobody', 'pw'), { ok: false, reason: 'unknown_user' });
  t.is((await run(['modify', 'bob', 'account-valid', 'YES'])).code, 0);
  t.true((await auth('bob', 'pw')).ok);
  t.is((await run(['modify', 'bob', 'account-valid', 'maybe'])).code, 2);
  t.is((await run(['modify', 'bob', 'account-valid'])).code, 2);
});

test('modify password from an argument, --password or stdin', async (t) => {
  const { run, auth } = setup(t);
  await run(['create', 'bob', '--password', 'old']);
  t.is((await run(['modify', 'bob', 'password', 'new1'])).code, 0);
  t.false((await auth('bob', 'old')).ok);
  t.true((await auth('bob', 'new1')).ok);
  t.is((await run(['modify', 'bob', 'password', '--password-stdin'], 'new2\r\n')).code, 0);
  t.true((await auth('bob', 'new2')).ok);
  t.is((await run(['modify', 'bob', 'password', '--password', 'new3'])).code, 0);
  t.true((await auth('bob', 'new3')).ok);
  t.is((await run(['modify', 'bob', 'password'])).code, 2);
  t.is((await run(['modify', 'bob', 'password', 'a', '--password', 'b'])).code, 2);
  t.is((await run(['modify', 'bob', 'account-valid', 'no', '--password', 'b'])).code, 2);
  t.true((await auth('bob', 'new3')).ok);
  const missing = await run(['modify', 'nobody', 'password', 'x']);
  t.is(missing.code, 1);
  t.regex(missing.err, /user 'nobody' does not exist/);
  t.false(missing.err.includes('x\n'));
});

test('modify groups add and remove', async (t) => {
  const { run, users } = setup(t);
  await run(['create', 'bob', '--groups', 'staff']);
  t.is((await run(['modify', 'bob', 'groups', 'add', 'admins'])).code, 0);
  t.deepEqual(users().get('bob')!.groups, ['admins', 'staff']);
  const again = await run(['modify', 'bob', 'groups', 'add', 'admins']);
  t.is(again.code, 1);
  t.regex(again.err, /already in group 'admins'/);
  t.is((await run(['modify', 'bob', 'groups', 'remove', 'staff'])).code, 0);
  t.deepEqual(users().get('bob')!.groups, ['admins']);
  t.is((await run(['modify', 'bob', 'groups', 'remove', 'staff'])).code, 1);
  t.is((await run(['modify', 'bob', 'groups', 'drop', 'admins'])).code, 2);
  t.is((await run(['modify', 'bob', 'groups', 'add', 'a,b'])).code, 2);
  t.is((await run(['modify', 'bob', 'groups', 'add'])).code, 2);
  t.is((await run(['modify', 'nobody', 'groups', 'add', 'x'])).code, 1);
  t.deepEqual(users().get('bob')!.groups, ['admins']);
});

test('modify max-concurrent-web-sessions takes unset, unlimited, displace or N', async (t) => {
  const { run, users } = setup(t);
  await run(['create', 'bob']);
  for (const [v, want] of [['3', 3], ['displace', 'displace'], ['unlimited', 'unlimited'], ['unset', 'unset']] as const) {
    t.is((await run(['modify', 'bob', 'max-concurrent-web-sessions', v])).code, 0, v);
    t.is(users().get('bob')!.maxConcurrentWebSessions, want);
  }
  for (const bad of ['0', 'many', '2.5', '1000001']) {
    const r = await run(['modify', 'bob', 'max-concurrent-web-sessions', bad]);
    t.is(r.code, 2, bad);
    t.regex(r.err, /max-concurrent-web-sessions must be/);
  }
  t.is(users().get('bob')!.maxConcurrentWebSessions, 'unset');
});

test('modify attribute, attribute-remove, description and dn', async (t) => {
  const { run, users } = setup(t);
  await run(['create', 'bob']);
  t.is((await run(['modify', 'bob', 'attribute', 'tagvalue_dept', 'sales ops'])).code, 0);
  t.is((await run(['modify', 'bob', 'attribute', 'level', '3'])).code, 0);
  t.deepEqual(users().get('bob')!.attributes, { level: '3', tagvalue_dept: 'sales ops' });
  t.regex((await run(['show', 'bob'])).out, /^ {2}tagvalue_dept: sales ops$/m);
  t.is((await run(['modify', 'bob', 'attribute-remove', 'level'])).code, 0);
  t.deepEqual(users().get('bob')!.attributes, { tagvalue_dept: 'sales ops' });
  t.is((await run(['modify', 'bob', 'attribute-remove', 'level'])).code, 1);
  t.is((await run(['modify', 'bob', 'attribute', 'bad name', 'v'])).code, 2);
  t.is((await run(['modify', 'bob', 'attribute', 'x'])).code, 2);

  t.is((await run(['modify', 'bob', 'description', 'Bob', 'the', 'builder'])).code, 0);
  t.is(users().get('bob')!.description, 'Bob the builder');
  t.is((await run(['modify', 'bob', 'description', ''])).code, 0);
  t.is(users().get('bob')!.description, undefined);
  t.is((await run(['modify', 'bob', 'description'])).code, 2);

  t.is((await run(['modify', 'bob', 'dn', 'uid=bob,ou=x'])).code, 0);
  t.is(users().get('bob')!.dn, 'uid=bob,ou=x');
  t.is((await run(['modify', 'bob', 'colour', 'blue'])).code, 2);
  t.is((await run(['modify', 'bob'])).code, 2);
});

test('delete removes the user; deleting or showing an unknown user exits 1', async (t) => {
  const { run, users } = setup(t);
  await run(['create', 'bob']);
  await run(['create', 'carol']);
  t.is((await run(['delete', 'bob'])).code, 0);
  t.deepEqual([...users().keys()], ['carol']);
  const again = await run(['delete', 'bob']);
  t.is(again.code, 1);
  t.regex(again.err, /does not exist/);
  t.is((await run(['show', 'bob'])).code, 1);
  t.is((await run(['delete'])).code, 2);
  t.is((await run(['delete', 'carol', 'bob'])).code, 2);
});

test('list with a pattern, --max and --json', async (t) => {
  const { run } = setup(t);
  for (const id of ['sec_master', 'Sec_Admin', 'bob', 'jonson']) await run(['create', id]);
  t.is((await run(['list'])).out, 'Sec_Admin\nbob\njonson\nsec_master\n');
  t.is((await run(['list', 'SEC_*'])).out, 'Sec_Admin\nsec_master\n');
  t.is((await run(['list', '*ons*'])).out, 'jonson\n');
  t.is((await run(['list', 'zz*'])).out, '');
  const some = await run(['list', '--max', '2']);
  t.is(some.out, 'Sec_Admin\nbob\n');
  t.regex(some.err, /4 users match; showing the first 2/);
  const json = JSON.parse((await run(['list', 's*', '--json'])).out);
  t.is(json.total, 2);
  t.deepEqual(json.users.map((u: { id: string }) => u.id), ['Sec_Admin', 'sec_master']);
  t.false(JSON.stringify(json).includes('scrypt'));
  t.is((await run(['list', '--max', '0'])).code, 2);
  t.is((await run(['list', '--max', 'x'])).code, 2);
  t.is((await run(['list', 'a', 'b'])).code, 2);
});

test('the registry comes from --registry or GATEHOUSE_REGISTRY; usage errors exit 2', async (t) => {
  const { run, file, users } = setup(t);
  t.is((await run(['create', 'viaenv'], '', { GATEHOUSE_REGISTRY: file })).code, 0);
  t.true(users().has('viaenv'));
  const none = await runUserCommand(['list'], { stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
  t.is(none, 2);
  t.is((await run([])).code, 2);
  t.is((await run(['frobnicate'])).code, 2);
  t.is((await run(['list', '--bogus'])).code, 2);
  t.is((await run(['delete', 'viaenv', '--json'])).code, 2, 'an option that does not go with the command');
  t.is((await run(['show', 'viaenv', '--dn', 'x'])).code, 2);
  const help = await run(['--help']);
  t.is(help.code, 0);
  t.regex(help.out, /user modify <id> max-concurrent-web-sessions/);
  t.true(users().has('viaenv'));
});

test('a missing or broken registry file exits 1 with the problem named', async (t) => {
  const { run, file, dir } = setup(t);
  const missing = await run(['list']);
  t.is(missing.code, 1);
  t.regex(missing.err, /does not exist/);
  fs.writeFileSync(file, 'users:\n  bob:\n    groups: admins\n');
  const broken = await run(['modify', 'bob', 'groups', 'add', 'x']);
  t.is(broken.code, 1);
  t.regex(broken.err, /users\.bob\.groups: expected a list of strings/);
  t.is((await run(['show', 'bob'])).code, 1);
  t.is(fs.readFileSync(file, 'utf8'), 'users:\n  bob:\n    groups: admins\n', 'a broken file is never overwritten');
  t.deepEqual(fs.readdirSync(dir), ['users.yaml']);
});

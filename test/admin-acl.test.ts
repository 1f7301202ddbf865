// The admin policy: parsing with clear errors, the reference's entry
// precedence (user entry, else groups, else any-other), inheritance down the
// object space with T needed on the way, the default policy (sec_master
// only), authorize() as a pure function, and the server re-reading the file.
import test from 'ava';
import fs from 'node:fs';
import {
  authorize, DEFAULT_POLICY, permissionsOf, privilegesOf, type Principal,
} from '../lib/admin/acl.js';
import { parsePolicy } from '../lib/admin/acl-policy.js';
import { basic, startFixture } from './helpers/admin-fixture.js';

const OBJ = '/WebSEAL/host1-default/';
const who = (name: string, groups: string[] = [], scopes?: Principal['scopes']): Principal =>
  ({ name, groups, method: 'password', ...(scopes ? { scopes } : {}) });

test('default policy: sec_master holds T, s, l and AUTH_ADMINISTRATOR; nobody else holds anything', (t) => {
  t.is(permissionsOf(who('sec_master')), 'Tsl');
  t.deepEqual(privilegesOf(who('sec_master')), ['AUTH_ADMINISTRATOR']);
  t.is(permissionsOf(who('admin', ['iv-admin'])), '');
  for (const kind of ['terminate_session', 'terminate_all_sessions', 'refresh_all_sessions', 'invalidate', 'list_sessions', 'signout_all_sessions'] as const) {
    t.true(authorize(who('sec_master'), kind).allowed, kind);
    t.false(authorize(who('bob'), kind).allowed, kind);
  }
  for (const kind of ['help', 'server_list', 'server_listtasks', 'whoami'] as const) t.true(authorize(who('bob'), kind).allowed, kind);
  t.false(authorize(who('sec_master'), 'toString' as never).allowed, 'a name that is no action is refused');
  t.false(authorize(who('sec_master'), 'format_disk' as never).allowed);
  t.is(DEFAULT_POLICY.source, 'default');
});

test('a denial carries GHWAA0067E and says what was missing', (t) => {
  const d = authorize(who('bob'), 'terminate_all_sessions');
  t.false(d.allowed);
  if (!d.allowed) {
    t.is(d.message.id, 'GHWAA0067E');
    t.is(d.message.code, 0x47410067);
    t.is(d.message.text, 'Authorization for the requested command has been denied.');
    t.regex(d.detail, /s on/);
  }
  const scoped = authorize(who('sec_master', [], ['list']), 'terminate_session');
  t.false(scoped.allowed);
  if (!scoped.allowed) t.regex(scoped.detail, /scopes do not include terminate/);
});

test('entry precedence: a user entry wins over groups; groups add up; any-other is the fallback', (t) => {
  const p = parsePolicy(`
acls:
  a:
    entries:
      - { user: bob, permissions: T }
      - { group: readers, permissions: Tl }
      - { group: admins, permissions: Ts }
      - { any-other: true, permissions: Tl }
attach:
  ${OBJ}: a
`, OBJ);
  t.is(permissionsOf(who('bob', ['admins']), p), 'T', 'the user entry wins even over a stronger group');
  t.is(permissionsOf(who('carol', ['readers', 'admins']), p), 'Tsl', 'groups add up');
  t.is(permissionsOf(who('dave', ['admins']), p), 'Ts', 'a matching group means any-other does not apply');
  t.is(permissionsOf(who('erin', ['staff']), p), 'Tl', 'any-other');
  t.false(authorize(who('erin'), 'terminate_session', p).allowed);
  t.true(authorize(who('erin'), 'list_sessions', p).allowed);
});

test('inheritance: an ACL attached above the object governs it, and T is needed to traverse', (t) => {
  const yaml = (rootEntries: string) => `
acls:
  top: { entries: [${rootEntries}] }
  inst: { entries: [{ user: bob, permissions: Tsl }, { user: carol, permissions: Tsl }] }
attach:
  /WebSEAL/: top
  ${OBJ}: inst
`;
  const p = parsePolicy(yaml('{ user: bob, permissions: T }, { user: carol, permissions: r }'), OBJ);
  t.is(permissionsOf(who('bob'), p), 'Tsl');
  t.is(permissionsOf(who('carol'), p), '', 'no T on /WebSEAL/: cannot reach the object');
  // Inherited: nothing attached to the object itself.
  const inherited = parsePolicy(`
acls:
  top: { entries: [{ group: ops, permissions: Tsl }] }
attach:
  /: top
`, OBJ);
  t.is(permissionsOf(who('olga', ['ops']), inherited), 'Tsl');
  t.is(permissionsOf(who('bob'), inherited), '');
  // An ACL attached to another server's object does not apply here.
  const other = parsePolicy(`
acls:
  x: { entries: [{ user: bob, permissions: Tsl }] }
attach:
  /WebSEAL/host2-default/: x
`, OBJ);
  t.is(other.acl, undefined);
  t.is(permissionsOf(who('bob'), other), '');
});

test('privileges: AUTH_ADMINISTRATOR by user or group, independent of s', (t) => {
  const p = parsePolicy(`
acls:
  a: { entries: [{ user: sec_master, permissions: Tsl }] }
attach: { ${OBJ}: a }
privileges:
  AUTH_ADMINISTRATOR: { users: [ciso], groups: [security-officers] }
`, OBJ);
  t.true(authorize(who('ciso'), 'signout_all_sessions', p).allowed);
  t.true(authorize(who('olga', ['security-officers']), 'signout_all_sessions', p).allowed);
  t.false(authorize(who('sec_master'), 'signout_all_sessions', p).allowed, 'only the file grants the privilege');
  t.false(authorize(who('ciso'), 'terminate_session', p).allowed);
});

test('bad policy files are refused with the key and the problem named', (t) => {
  const bad: Array<[string, RegExp]> = [
    ['acls: [', /not valid YAML/],
    ['acls:\n  a: { entries: [{ user: bob, permissions: Tsz }] }', /acls\.a\.entries\.0\.permissions: permission letters are from/],
    ['acls:\n  a: { entries: [{ user: bob, group: x, permissions: T }] }', /acls\.a\.entries\.0/],
    ['acls:\n  a: { entries: [] }\nattach:\n  /WebSEAL/x/: missing', /attach\.\/WebSEAL\/x\/: no ACL named 'missing'/],
    ['attach:\n  WebSEAL/x/: a', /protected objects are paths/],
    ['privileges:\n  ROOT: { users: [x] }', /privileges/],
    ['version: 2', /Unrecognized key|unrecognized/i],
  ];
  for (const [text, message] of bad) t.throws(() => parsePolicy(text, OBJ, 'policy'), { code: 'ERR_GH_INVALID_ARGUMENT', message }, text);
  t.notThrows(() => parsePolicy('', OBJ), 'an empty file is a policy that grants nothing');
  t.is(parsePolicy('', OBJ).acl, undefined);
});

test('the server uses the default policy without a file and re-reads the file when it changes', async (t) => {
  const f = await startFixture({ tls: false, policy: null });
  t.teardown(() => f.close());
  f.cache.create({ loginId: 'victim' });
  // No file: alice (granted by the test policy) is nobody; sec_master is the administrator.
  t.is((await f.call('DELETE', '/api/v1/users/victim/sessions', { auth: basic('alice') })).status, 403);
  t.is((await f.call('GET', '/api/v1/users/victim/sessions', { auth: basic('sec_master') })).status, 200);
  // A policy appears: alice's group is granted s and l, and sec_master is left out.
  fs.writeFileSync(f.policyFile, `acls:\n  a: { entries: [{ group: session-admins, permissions: Tsl }] }\nattach:\n  /WebSEAL/adm1-default/: a\n`);
  t.is((await f.call('GET', '/api/v1/users/victim/sessions', { auth: basic('sec_master') })).status, 403);
  t.deepEqual((await f.call('DELETE', '/api/v1/users/victim/sessions', { auth: basic('alice') })).json, { ended: 1 });
  // A broken edit keeps the last good policy in force.
  fs.writeFileSync(f.policyFile, 'acls: [');
  t.is((await f.call('GET', '/api/v1/users/victim/sessions', { auth: basic('alice') })).status, 200);
});

test('a server refuses to start on a malformed policy file', async (t) => {
  await t.throwsAsync(startFixture({ tls: false, policy: 'acls:\n  a: { entries: [{ user: bob, permissions: "s l" }] }' }), { message: /policy file .*permissions|acls\.a/ });
});

// registry.test.ts -- the file registry: scrypt hashes, the file's schema and
// canonical form, authentication outcomes, atomic locked writes (also from
// two processes at once), and reloading when the file changes on disk.
import test, { type ExecutionContext } from 'ava';
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FileRegistry, changeUsers, hashPassword, verifyPassword, parsePasswordHash, needsRehash, DEFAULT_SCRYPT,
  parseUserFile, serializeUsers, validatePolicy, defaultDn, matchPattern, withFileLock, writeFileAtomic,
  RegistryError, RegistryFileError, type StoredUser, type UserTable,
} from '../lib/registry/index.js';
import { InvalidArgumentError } from '../lib/session/errors.js';

const WRITER = fileURLToPath(new URL('./helpers/registry-writer.js', import.meta.url));
const FAST = { ln: 4 };

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-registry-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function newRegistry(t: ExecutionContext, options: Parameters<typeof FileRegistry.open>[1] = {}) {
  const file = path.join(tempDir(t), 'users.yaml');
  const reg = await FileRegistry.create(file, { watch: false, hash: FAST, ...options });
  t.teardown(() => reg.close());
  return { reg, file };
}

/** Resolves when `check` holds; the registry's onChange/logger callbacks nudge it. */
function until(check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > 20_000) return reject(new Error(`gave up waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function user(id: string, extra: Partial<StoredUser> = {}): StoredUser {
  return { id, dn: defaultDn(id), groups: [], accountValid: true, maxConcurrentWebSessions: 'unset', attributes: {}, ...extra };
}

// ---------------------------------------------------------------- password.ts

test('a password verifies against its own hash and a wrong one does not', async (t) => {
  const h = await hashPassword('correct horse', FAST);
  t.true(await verifyPassword('correct horse', h));
  t.false(await verifyPassword('correct hors', h));
  t.false(await verifyPassword('Correct horse', h));
  t.false(await verifyPassword('', h));
});

test('scrypt parameters round-trip through the stored string and are used to verify', async (t) => {
  const h = await hashPassword('pw', { ln: 5, r: 4, p: 2 });
  t.regex(h, /^\$scrypt\$ln=5,r=4,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const parsed = parsePasswordHash(h);
  t.deepEqual(parsed.params, { ln: 5, r: 4, p: 2 });
  t.is(parsed.salt.length, 16);
  t.is(parsed.hash.length, 32);
  t.true(await verifyPassword('pw', h));
  // Changing the recorded cost changes the derived key: the parameters are really read back.
  t.false(await verifyPassword('pw', h.replace('ln=5', 'ln=6')));
  t.true(needsRehash(h));
  t.false(needsRehash(h, { ln: 5, r: 4, p: 2 }));
});

test('the default cost is what DEFAULT_SCRYPT says, with a fresh salt each time', async (t) => {
  const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
  t.deepEqual(parsePasswordHash(a!).params, { ...DEFAULT_SCRYPT });
  t.not(a, b);
  t.true(await verifyPassword('same', b!));
});

test('composed and decomposed forms of a password match (NFC)', async (t) => {
  const h = await hashPassword('caf\u00e9', FAST);
  t.true(await verifyPassword('cafe\u0301', h));
});

test('malformed hashes and passwords are refused clearly', async (t) => {
  for (const bad of ['', 'plain', '$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '$argon2id$v=19$m=65536,t=3,p=4$abc$def'])
    t.throws(() => parsePasswordHash(bad), { instanceOf: InvalidArgumentError });
  t.false(await verifyPassword('x', 'not a hash'));
  await t.throwsAsync(hashPassword(''), { instanceOf: InvalidArgumentError, message: /empty/ });
  await t.throwsAsync(hashPassword('x'.repeat(2000), FAST), { instanceOf: InvalidArgumentError, message: /longer/ });
  await t.throwsAsync(hashPassword('x', { ln: 30 }), { instanceOf: InvalidArgumentError });
});

// ---------------------------------------------------------------- user-file.ts

test('a validation error names the user and the key', (t) => {
  const text = [
    'users:',
    '  bob:',
    '    groups: admins',
    '    account-valid: maybe',
    '    max-concurrent-web-sessions: 0',
    '    attributes: {level: 3}',
    '    colour: blue',
    '    password: hunter2',
    '  "": {}',
  ].join('\n');
  const err = t.throws(() => parseUserFile(text, 'users.yaml'), { instanceOf: RegistryFileError })!;
  t.is(err.code, 'ERR_GH_REGISTRY_INVALID');
  const all = err.problems.join('\n');
  t.true(err.problems.includes('users.bob.groups: expected a list of strings'), all);
  t.regex(all, /users\.bob\.account-valid: expected yes or no/);
  t.regex(all, /users\.bob\.max-concurrent-web-sessions: expected unset, unlimited, displace or a number/);
  t.regex(all, /users\.bob\.attributes\.level: expected a string/);
  t.regex(all, /users\.bob: unknown key 'colour'/);
  t.regex(all, /users\.bob\.password: expected a scrypt hash/);
  t.regex(all, /users\[""\]: login ID must not be empty/);
  t.false(all.includes('hunter2'), 'a rejected password value is never echoed');
});

test('syntax errors, duplicate users, an empty file and an unknown version are refused', (t) => {
  t.throws(() => parseUserFile('users:\n  a: {}\n  a: {}\n'), { message: /unique/ });
  t.throws(() => parseUserFile('users: [\n'), { instanceOf: RegistryFileError });
  t.throws(() => parseUserFile(''), { message: /users/ });
  t.throws(() => parseUserFile('version: 2\nusers: {}\n'), { message: /version/ });
  t.throws(() => parseUserFile('users:\n  "a\\u0007b": {}\n'), { message: /control characters/ });
});

test('login IDs that are Object.prototype names are ordinary users; unquoted numbers are refused', (t) => {
  const text = serializeUsers(new Map(['__proto__', 'constructor', 'toString'].map((id) => [id, user(id, { groups: [id] })])));
  const back = parseUserFile(text);
  t.deepEqual([...back.keys()], ['__proto__', 'constructor', 'toString']);
  t.deepEqual(back.get('__proto__'), user('__proto__', { groups: ['__proto__'] }));
  t.throws(() => parseUserFile('users:\n  bob: {attributes: {__proto__: x}}\n'), { message: /users\.bob\.attributes/ });
  t.throws(() => parseUserFile('users:\n  123: {}\n'), { message: /users\["123"\]: a login ID that YAML reads as a number must be quoted/ });
  t.throws(() => parseUserFile('users: {}\ngroups: {}\n'), { message: /unknown key 'groups'/ });
  t.is(parseUserFile('users:\n  "123": {}\n').get('123')!.dn, 'cn=123,o=gatehouse');
});

test('defaults and the yes/no spellings of account-valid', (t) => {
  const users = parseUserFile([
    'users:',
    '  alice:',
    '  bob: {account-valid: no, groups: [b, a, b], max-concurrent-web-sessions: "2"}',
    '  carol: {account-valid: true, max-concurrent-web-sessions: displace}',
    '  "dave,x": {}',
  ].join('\n'));
  t.deepEqual(users.get('alice'), user('alice'));
  t.deepEqual(users.get('bob'), user('bob', { accountValid: false, groups: ['a', 'b'], maxConcurrentWebSessions: 2 }));
  t.is(users.get('carol')!.maxConcurrentWebSessions, 'displace');
  t.is(users.get('dave,x')!.dn, 'cn=dave\\,x,o=gatehouse');
});

test('the file text is canonical: independent of insertion order, and it parses back to the same users', async (t) => {
  const pw = await hashPassword('pw', FAST);
  const list = [
    user('zed', { groups: ['b', 'a'], attributes: { y: '1', x: '2' }, description: 'Zed: the last one' }),
    user('123', { maxConcurrentWebSessions: 4, password: pw }),
    user('Ann', { accountValid: false, maxConcurrentWebSessions: 'unlimited' }),
  ];
  const a: UserTable = new Map(list.map((u) => [u.id, u]));
  const b: UserTable = new Map([...list].reverse().map((u) => [u.id, u]));
  const text = serializeUsers(a);
  t.is(serializeUsers(b), text);
  t.true(text.indexOf('  "123":') < text.indexOf('  Ann:') && text.indexOf('  Ann:') < text.indexOf('  zed:'));
  const back = parseUserFile(text);
  t.deepEqual([...back.keys()], ['123', 'Ann', 'zed']);
  t.deepEqual(back.get('zed'), user('zed', { groups: ['a', 'b'], attributes: { x: '2', y: '1' }, description: 'Zed: the last one' }));
  t.deepEqual(back.get('123'), list[1]);
  t.is(serializeUsers(back), text);
});

test('validatePolicy accepts the four forms and nothing else', (t) => {
  t.is(validatePolicy('unset'), 'unset');
  t.is(validatePolicy('unlimited'), 'unlimited');
  t.is(validatePolicy('displace'), 'displace');
  t.is(validatePolicy(3), 3);
  t.is(validatePolicy('12'), 12);
  for (const bad of [0, -1, 1.5, '0', 'three', '', null, 1_000_001, 'Displace', '1e3'])
    t.throws(() => validatePolicy(bad), { instanceOf: InvalidArgumentError }, String(bad));
});

test('matchPattern: * wildcards, ASCII case-insensitive', (t) => {
  t.true(matchPattern('*', 'anything'));
  t.true(matchPattern('sec_m*', 'SEC_MASTER'));
  t.true(matchPattern('*ons*', 'jonson'));
  t.true(matchPattern('a*b*c', 'aXbYc'));
  t.false(matchPattern('a*b*c', 'aXbYd'));
  t.false(matchPattern('abc', 'abcd'));
  t.false(matchPattern('\u00e9*', '\u00c9t\u00e9'), 'only A-Z fold');
  t.false(matchPattern('*a*a*a*a*a*a*b', 'a'.repeat(5000)));
});

// ---------------------------------------------------------------- FileRegistry

test('authenticate: ok, unknown user, bad password, and a user with no password', async (t) => {
  const { reg } = await newRegistry(t);
  await reg.createUser({ id: 'alice', password: 's3cret', groups: ['staff'], attributes: { dept: 'x' } });
  await reg.createUser({ id: 'nopw' });
  const ok = await reg.authenticate('alice', 's3cret');
  t.true(ok.ok);
  if (ok.ok) t.deepEqual({ ...ok.user }, {
    id: 'alice', dn: 'cn=alice,o=gatehouse', groups: ['staff'], accountValid: true, maxConcurrentWebSessions: 'unset', attributes: { dept: 'x' },
  });
  t.deepEqual(await reg.authenticate('alice', 'wrong'), { ok: false, reason: 'bad_password' });
  t.deepEqual(await reg.authenticate('mallory', 's3cret'), { ok: false, reason: 'unknown_user' });
  t.deepEqual(await reg.authenticate('nopw', ''), { ok: false, reason: 'bad_password' });
  t.deepEqual(await reg.authenticate('', 'x'), { ok: false, reason: 'unknown_user' });
  t.deepEqual(await reg.authenticate('__proto__', 'x'), { ok: false, reason: 'unknown_user' });
});

test('an invalid account is refused with account_invalid only after the right password', async (t) => {
  const { reg, file } = await newRegistry(t);
  await reg.createUser({ id: 'bob', password: 'pw' });
  const rec = await reg.update('bob', { accountValid: false });
  t.false(rec.accountValid);
  t.deepEqual(await reg.authenticate('bob', 'nope'), { ok: false, reason: 'bad_password' });
  t.deepEqual(await reg.authenticate('bob', 'pw'), { ok: false, reason: 'account_invalid' });
  t.regex(fs.readFileSync(file, 'utf8'), /account-valid: no/);
  await reg.update('bob', { accountValid: true });
  t.true((await reg.authenticate('bob', 'pw')).ok);
});

test('update persists every patch field, and rejects unknown users and bad values without writing', async (t) => {
  const { reg, file } = await newRegistry(t);
  await reg.createUser({ id: 'carol' });
  const rec = await reg.update('carol', { groups: ['x', 'a'], maxConcurrentWebSessions: 'displace', attributes: { k: 'v' }, dn: 'uid=carol,ou=people' });
  t.deepEqual(rec.groups, ['a', 'x']);
  t.is(reg.lookup('carol'), rec);
  const again = await FileRegistry.open(file, { watch: false });
  t.teardown(() => again.close());
  t.deepEqual(again.lookup('carol'), rec);
  const before = fs.readFileSync(file, 'utf8');
  await t.throwsAsync(reg.update('nobody', { accountValid: false }), { instanceOf: RegistryError, message: /nobody/ });
  await t.throwsAsync(reg.update('carol', { maxConcurrentWebSessions: 0 }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(reg.update('carol', { groups: ['a,b'] }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(reg.update('carol', { attributes: { 'bad name': 'v' } }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(reg.update('carol', { dn: 'line\nbreak' }), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(reg.update('carol', { nonsense: 1 } as never), { instanceOf: InvalidArgumentError });
  t.is(fs.readFileSync(file, 'utf8'), before);
  const err = await t.throwsAsync(reg.update('nobody', {}), { instanceOf: RegistryError });
  t.is(err!.code, 'ERR_GH_USER_NOT_FOUND');
});

test('create, delete, list and details', async (t) => {
  const { reg } = await newRegistry(t);
  for (const id of ['sec_master', 'Sec_Admin', 'bob', 'jonson']) await reg.createUser({ id, description: `the ${id}` });
  const dup = await t.throwsAsync(reg.createUser({ id: 'bob' }), { instanceOf: RegistryError });
  t.is(dup!.code, 'ERR_GH_USER_EXISTS');
  await t.throwsAsync(reg.createUser({ id: 'x\u0000' }), { instanceOf: InvalidArgumentError });
  t.deepEqual(reg.list('sec_*').users.map((u) => u.id), ['Sec_Admin', 'sec_master']);
  const page = reg.list('*', { max: 2 });
  t.deepEqual(page.users.map((u) => u.id), ['Sec_Admin', 'bob']);
  t.is(page.total, 4);
  t.is(reg.details('bob')!.description, 'the bob');
  t.false(reg.details('bob')!.hasPassword);
  t.false('description' in reg.lookup('bob')!, 'lookup gives the contract fields only');
  await reg.deleteUser('bob');
  t.is(reg.lookup('bob'), undefined);
  const gone = await t.throwsAsync(reg.deleteUser('bob'), { instanceOf: RegistryError });
  t.is(gone!.code, 'ERR_GH_USER_NOT_FOUND');
  t.is(reg.size, 3);
});

test('open and create refuse a missing or an existing file', async (t) => {
  const dir = tempDir(t);
  const missing = await t.throwsAsync(FileRegistry.open(path.join(dir, 'none.yaml')), { instanceOf: RegistryError });
  t.is(missing!.code, 'ERR_GH_REGISTRY_NOT_FOUND');
  const file = path.join(dir, 'users.yaml');
  (await FileRegistry.create(file, { watch: false })).close();
  const exists = await t.throwsAsync(FileRegistry.create(file), { instanceOf: RegistryError });
  t.is(exists!.code, 'ERR_GH_REGISTRY_EXISTS');
  fs.writeFileSync(file, 'users:\n  bob: {groups: admins}\n');
  await t.throwsAsync(FileRegistry.open(file), { instanceOf: RegistryFileError, message: /users\.bob\.groups: expected a list of strings/ });
});

test('writes are atomic: mode 0600, no temp or lock file left, a failed change leaves the file as it was', async (t) => {
  const { reg, file } = await newRegistry(t);
  for (let i = 0; i < 10; i++) await reg.createUser({ id: `u${i}`, password: 'pw' });
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['users.yaml']);
  const before = fs.readFileSync(file);
  await t.throwsAsync(changeUsers(file, (users) => { users.delete('u1'); throw new Error('changed my mind'); }), { message: 'changed my mind' });
  await t.throwsAsync(changeUsers(file, (users) => { users.get('u2')!.groups = ['']; }), { instanceOf: InvalidArgumentError, message: /users\.u2\.groups\[0\]/ });
  t.deepEqual(fs.readFileSync(file), before);
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['users.yaml']);
  const unchanged = await changeUsers(file, () => 'nothing');
  t.false(unchanged.written);
  t.is(unchanged.value, 'nothing');
});

test('writeFileAtomic replaces a file in one step and cleans up when it cannot', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f.yaml');
  await writeFileAtomic(file, 'one\n');
  await writeFileAtomic(file, 'two\n');
  t.is(fs.readFileSync(file, 'utf8'), 'two\n');
  await t.throwsAsync(writeFileAtomic(file, 'three\n', { exclusive: true }), { instanceOf: RegistryError });
  t.is(fs.readFileSync(file, 'utf8'), 'two\n');
  fs.mkdirSync(path.join(dir, 'sub.yaml'));
  await t.throwsAsync(writeFileAtomic(path.join(dir, 'sub.yaml'), 'x'));
  t.deepEqual(fs.readdirSync(dir).sort(), ['f.yaml', 'sub.yaml']);
});

test('a stale lock left by a dead process is broken; a live one makes writers wait, then fail clearly', async (t) => {
  const { reg, file } = await newRegistry(t);
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const deadPid = child.pid!;
  await once(child, 'exit');
  fs.writeFileSync(`${file}.lock`, `${deadPid} ${os.hostname()} 0123456789abcdef\n`);
  await reg.createUser({ id: 'after-stale-lock' });
  t.truthy(reg.lookup('after-stale-lock'));
  t.false(fs.existsSync(`${file}.lock`));

  fs.writeFileSync(`${file}.lock`, `${process.pid} ${os.hostname()} 0123456789abcdef\n`); // alive: us
  const err = await t.throwsAsync(changeUsers(file, (u) => { u.delete('after-stale-lock'); }, { timeoutMs: 200 }), { instanceOf: RegistryError });
  t.is(err!.code, 'ERR_GH_REGISTRY_LOCKED');
  t.regex(err!.message, new RegExp(`process ${process.pid}`));
  t.truthy(reg.lookup('after-stale-lock'));
  fs.unlinkSync(`${file}.lock`);
});

test('withFileLock serialises read-modify-write cycles within one process', async (t) => {
  const { reg, file } = await newRegistry(t);
  await Promise.all(Array.from({ length: 25 }, (_, i) => reg.createUser({ id: `p${i}` })));
  const inside: number[] = [];
  let active = 0;
  await Promise.all(Array.from({ length: 5 }, () => withFileLock(file, async () => {
    inside.push(++active);
    await new Promise((r) => setImmediate(r));
    active--;
  })));
  t.deepEqual(inside, [1, 1, 1, 1, 1]);
  t.is(parseUserFile(fs.readFileSync(file, 'utf8')).size, 25);
  t.is(reg.size, 25);
});

test('two processes adding 20 users each at the same time: all 40 are there', async (t) => {
  t.timeout(120_000);
  const { reg, file } = await newRegistry(t);
  const children = ['left', 'right'].map((prefix) => fork(WRITER, [file, prefix, '20'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await Promise.all(children.map((c) => once(c, 'message')));
  for (const c of children) c.send('go');
  const exits = children.map((c) => once(c, 'exit'));
  await Promise.all(children.map((c) => once(c, 'message')));
  for (const [code] of await Promise.all(exits)) t.is(code, 0);
  const users = parseUserFile(fs.readFileSync(file, 'utf8'));
  t.is(users.size, 40);
  for (let i = 0; i < 20; i++) {
    t.deepEqual(users.get(`left${i}`)?.groups, ['left']);
    t.deepEqual(users.get(`right${i}`)?.groups, ['right']);
  }
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['users.yaml'], 'no temp or lock file left');
  t.true(await reg.reload());
  t.is(reg.size, 40);
  t.true((await reg.authenticate('right7', 'pw-right7')).ok);
});

test('the registry re-reads the file when another process changes it', async (t) => {
  let changes = 0;
  const { reg, file } = await newRegistry(t, { watch: true, debounceMs: 10, pollIntervalMs: 100, onChange: () => { changes++; } });
  await reg.createUser({ id: 'alice' });
  // Another writer (a hand edit, a CLI in another process): replace the file behind our back.
  const users = parseUserFile(fs.readFileSync(file, 'utf8'));
  users.set('bob', user('bob', { groups: ['ops'] }));
  users.get('alice')!.accountValid = false;
  await writeFileAtomic(file, serializeUsers(users));
  await until(() => reg.lookup('bob') !== undefined, 'the reload');
  t.deepEqual(reg.lookup('bob')!.groups, ['ops']);
  t.false(reg.lookup('alice')!.accountValid);
  // An in-place edit (same inode) is noticed too.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('ops', 'dev'));
  await until(() => reg.lookup('bob')!.groups[0] === 'dev', 'the in-place edit');
  t.true(changes >= 3);
});

test('a broken file on reload keeps the old users and logs the problem; a fixed file is picked up', async (t) => {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = { warn: (obj: object, msg: string) => { warnings.push({ obj: obj as Record<string, unknown>, msg }); } };
  const warned = (re: RegExp) => warnings.some((w) => re.test(`${w.msg} ${JSON.stringify(w.obj)}`));
  const { reg, file } = await newRegistry(t, { watch: true, debounceMs: 10, pollIntervalMs: 100, logger });
  await reg.createUser({ id: 'alice', password: 'pw' });
  const good = fs.readFileSync(file, 'utf8');
  await writeFileAtomic(file, good.replace('groups: []', 'groups: admins'));
  await until(() => warned(/users\.alice\.groups: expected a list of strings/), 'the warning');
  t.regex(warnings[0]!.msg, /keeping the previous users/);
  t.deepEqual(warnings[0]!.obj['problems'], ['users.alice.groups: expected a list of strings']);
  t.is(reg.size, 1);
  t.true((await reg.authenticate('alice', 'pw')).ok);
  t.false(await reg.reload());
  // Emptied by a careless editor: still the old users.
  await writeFileAtomic(file, '');
  await until(() => warned(/`users` key/), 'the empty-file warning');
  t.is(reg.size, 1);
  fs.unlinkSync(file);
  await until(() => warned(/cannot be read/), 'the missing-file warning');
  t.truthy(reg.lookup('alice'));
  t.false(JSON.stringify(warnings).includes('$scrypt$'), 'the hash is never logged');
  await writeFileAtomic(file, good.replace('groups: []', 'groups: [fixed]'));
  await until(() => reg.lookup('alice')?.groups[0] === 'fixed', 'the fixed file');
  t.true((await reg.authenticate('alice', 'pw')).ok);
});

test('close stops watching', async (t) => {
  let changes = 0;
  const { reg, file } = await newRegistry(t, { watch: true, debounceMs: 5, pollIntervalMs: 20, onChange: () => { changes++; } });
  reg.close();
  const seen = changes;
  await writeFileAtomic(file, serializeUsers(new Map([['z', user('z')]])));
  await new Promise((r) => setTimeout(r, 150));
  t.is(changes, seen);
  t.is(reg.lookup('z'), undefined);
});

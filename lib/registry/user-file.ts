// user-file.ts -- the registry file on disk: its YAML format and zod schema,
// a canonical (sorted, stable) serialisation, atomic replacement (temp file,
// fsync, rename, fsync of the folder) and the `<file>.lock` that serialises
// read-modify-write cycles across processes. `changeUsers` ties them together.
import { randomBytes } from 'node:crypto';
import fsp, { type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { describeIssue, keyPath, yesNo } from '../config/zod-util.js';
import { checkLoginId } from '../session/checks.js';
import { InvalidArgumentError } from '../session/errors.js';
import type { ConcurrentSessionPolicy } from './registry.js';
import { isPasswordHash } from './password.js';

// ---------------------------------------------------------------- errors

export type RegistryErrorCode =
  | 'ERR_GH_USER_NOT_FOUND'
  | 'ERR_GH_USER_EXISTS'
  | 'ERR_GH_REGISTRY_NOT_FOUND'
  | 'ERR_GH_REGISTRY_EXISTS'
  | 'ERR_GH_REGISTRY_INVALID'
  | 'ERR_GH_REGISTRY_LOCKED';

/** A registry operation failed; `code` says why (callers branch on it, not on text). */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file does not parse or does not match the schema; `problems` names each key. */
export class RegistryFileError extends RegistryError {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super('ERR_GH_REGISTRY_INVALID', `${file}: invalid user registry\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

// ---------------------------------------------------------------- model

/** One user as the file stores it (UserRecord plus the hash and description). */
export interface StoredUser {
  id: string;
  dn: string;
  /** scrypt hash (see password.ts); absent: the user cannot log in with a password. */
  password?: string;
  groups: string[];
  accountValid: boolean;
  maxConcurrentWebSessions: ConcurrentSessionPolicy;
  attributes: Record<string, string>;
  description?: string;
}

/** Users by login ID. */
export type UserTable = Map<string, StoredUser>;

export const FILE_VERSION = 1;
export const POLICY_MAX = 1_000_000;
/** The session table's rule for credential attribute names (less `__proto__`, which no object can hold as data). */
export const ATTRIBUTE_NAME = /^(?!__proto__$)[A-Za-z0-9_.:-]{1,128}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** `cn=<id>,o=gatehouse`, with the id escaped as an RFC 4514 attribute value. */
export function defaultDn(id: string): string {
  const value = id
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
  return `cn=${value},o=gatehouse`;
}

/**
 * `max-concurrent-web-sessions`: unset, unlimited, displace or a number of
 * sessions 1..1000000 (a number may come as a string, as the CLI passes it).
 */
export function validatePolicy(value: unknown): ConcurrentSessionPolicy {
  if (value === 'unset' || value === 'unlimited' || value === 'displace') return value;
  const n = typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= POLICY_MAX) return n;
  throw new InvalidArgumentError(`max-concurrent-web-sessions must be unset, unlimited, displace or a number 1..${POLICY_MAX}, got ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------- schema

const line = (what: string, max: number) => z
  .string({ error: `expected ${what}` })
  .min(1, 'must not be empty')
  .max(max, `must be at most ${max} characters`)
  .refine((s) => s.isWellFormed() && !CONTROL.test(s), 'must be one line without control characters');

const groupName = line('a string', 256).refine((s) => !s.includes(','), 'group names must not contain a comma');

const policy = z.unknown().transform((v, ctx) => {
  try {
    return validatePolicy(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected unset, unlimited, displace or a number 1..${POLICY_MAX}` });
    return z.NEVER;
  }
});

// Checked by hand rather than with z.record, which silently drops a `__proto__` key.
const attributes = z.unknown().transform((v, ctx) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'expected a map of names to strings' });
    return z.NEVER;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(v)) {
    const problem = !ATTRIBUTE_NAME.test(name) ? 'attribute names are 1-128 of A-Z a-z 0-9 _ . : -'
      : typeof value !== 'string' ? 'expected a string (quote numbers and yes/no)'
      : value.length > 4096 ? 'must be at most 4096 characters'
      : !value.isWellFormed() ? 'is not well-formed Unicode'
      : null;
    if (problem === null) out[name] = value as string;
    else ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
  return out;
});

const userSchema = z.strictObject({
  dn: line('a string', 1024).optional(),
  password: z.string({ error: 'expected a string' })
    .refine(isPasswordHash, 'expected a scrypt hash ($scrypt$ln=..,r=..,p=..$<salt>$<hash>); set it with `gatehouse user modify <id> password`')
    .optional(),
  groups: z.array(groupName, { error: 'expected a list of strings' }).default([]),
  'account-valid': yesNo.default(true),
  'max-concurrent-web-sessions': policy.default('unset'),
  attributes: attributes.default({}),
  description: line('a string', 1024).optional(),
}, { error: 'expected a map of user fields' });

/**
 * A YAML mapping read as a Map, as a plain object zod can check. Entries are
 * defined (never assigned), so a key like `__proto__` stays an ordinary key.
 * `key:` with nothing after it is null: treated as "not given".
 */
function plainObject(m: Map<unknown, unknown>): Record<string, unknown> {
  return Object.fromEntries([...m].filter(([, v]) => v !== null).map(([k, v]) => [String(k), v instanceof Map ? plainObject(v) : v]));
}

const TOP_KEYS = new Set(['version', 'users']);

/** Parses and validates the file's text; throws RegistryFileError listing every problem. */
export function parseUserFile(text: string, file = 'registry'): UserTable {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new RegistryFileError(file, doc.errors.map((e) => `syntax: ${e.message.split('\n')[0]!.replace(/:$/, '')}`));
  let raw: unknown;
  try {
    // Maps, not objects: login IDs are keys, and no ID may clash with Object.prototype.
    raw = doc.toJS({ maxAliasCount: 100, mapAsMap: true });
  } catch (err) {
    throw new RegistryFileError(file, [`syntax: ${(err as Error).message}`]);
  }
  if (!(raw instanceof Map) || !raw.has('users')) throw new RegistryFileError(file, ['(top level): expected a map with a `users` key']);
  const problems: string[] = [];
  const unknown = [...raw.keys()].filter((k) => !TOP_KEYS.has(k as string));
  if (unknown.length > 0) problems.push(`(top level): unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${String(k)}'`).join(', ')}`);
  if (raw.has('version') && raw.get('version') !== FILE_VERSION) problems.push(`version: expected ${FILE_VERSION} (the only format version)`);
  const rawUsers = raw.get('users');
  if (!(rawUsers instanceof Map)) throw new RegistryFileError(file, [...problems, 'users: expected a map of users by login ID']);
  const users: UserTable = new Map();
  for (const [key, value] of rawUsers) {
    const id = typeof key === 'string' ? key : String(key);
    const where = keyPath(['users', id]);
    if (typeof key !== 'string') {
      problems.push(`${where}: a login ID that YAML reads as a ${key === null ? 'null' : typeof key} must be quoted`);
      continue;
    }
    try {
      checkLoginId(id, 'login ID');
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
      continue;
    }
    const result = userSchema.safeParse(value === null ? {} : value instanceof Map ? plainObject(value) : value);
    if (!result.success) {
      problems.push(...result.error.issues.map((i) => describeIssue({ ...i, path: ['users', id, ...i.path] })));
      continue;
    }
    const u = result.data;
    const user: StoredUser = {
      id,
      dn: u.dn ?? defaultDn(id),
      groups: [...new Set(u.groups)].sort(compare),
      accountValid: u['account-valid'],
      maxConcurrentWebSessions: u['max-concurrent-web-sessions'],
      attributes: Object.fromEntries(Object.entries(u.attributes).sort(([a], [b]) => compare(a, b))),
    };
    if (u.password !== undefined) user.password = u.password;
    if (u.description !== undefined) user.description = u.description;
    users.set(id, user);
  }
  if (problems.length > 0) throw new RegistryFileError(file, problems);
  return users;
}

/** Code-unit order: the same on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const HEADER = [
  ' Gatehouse user registry. `gatehouse user ...` edits it; hand edits are fine',
  ' (a running proxy reloads the file). Comments are not kept when it is rewritten.',
].join('\n');

/** The canonical text: users sorted by ID, fields in a fixed order, groups and attributes sorted. */
export function serializeUsers(users: ReadonlyMap<string, StoredUser>): string {
  const out = new Map<string, unknown>();
  for (const id of [...users.keys()].sort(compare)) {
    const u = users.get(id)!;
    const m = new Map<string, unknown>();
    m.set('dn', u.dn);
    if (u.description !== undefined) m.set('description', u.description);
    m.set('account-valid', u.accountValid ? 'yes' : 'no');
    m.set('groups', [...new Set(u.groups)].sort(compare));
    m.set('max-concurrent-web-sessions', u.maxConcurrentWebSessions);
    const attrs = Object.keys(u.attributes).sort(compare);
    if (attrs.length > 0) m.set('attributes', new Map(attrs.map((k) => [k, u.attributes[k]])));
    if (u.password !== undefined) m.set('password', u.password);
    out.set(id, m);
  }
  const doc = new YAML.Document(new Map<string, unknown>([['version', FILE_VERSION], ['users', out]]));
  doc.commentBefore = HEADER;
  return doc.toString({ lineWidth: 0 });
}

// ---------------------------------------------------------------- reading

/** Identity of one version of the file: device, inode, size, mtime (ns). */
export type FileSignature = string;

function signatureOf(st: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint }): FileSignature {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}

/** The signature of the file now, or null if it does not exist. */
export async function statSignature(file: string): Promise<FileSignature | null> {
  try {
    return signatureOf(await fsp.stat(file, { bigint: true }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export interface LoadedFile {
  readonly users: UserTable;
  /** Signature of the version read (taken from the same open file, so it matches the content). */
  readonly signature: FileSignature;
}

/** The file's text and the signature of that very version. ENOENT becomes ERR_GH_REGISTRY_NOT_FOUND. */
export async function readRaw(file: string): Promise<{ text: string; signature: FileSignature }> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new RegistryError('ERR_GH_REGISTRY_NOT_FOUND', `${file}: the user registry does not exist (\`gatehouse user create\` makes it)`);
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (st.size > BigInt(MAX_FILE_BYTES)) throw new RegistryFileError(file, [`the file is larger than ${MAX_FILE_BYTES / 1048576} MiB`]);
    return { text: await fh.readFile('utf8'), signature: signatureOf(st) };
  } finally {
    await fh.close();
  }
}

/** Reads and validates the file (RegistryFileError lists every problem). */
export async function readUserFile(file: string): Promise<LoadedFile> {
  const { text, signature } = await readRaw(file);
  return { users: parseUserFile(text, file), signature };
}

// ---------------------------------------------------------------- writing

async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some file systems cannot fsync a folder; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'EACCES') throw err;
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `file` with `text` atomically: a reader sees the old or the new
 * file, never a mix, and a crash leaves one of the two. Mode 0600.
 * `exclusive` fails with ERR_GH_REGISTRY_EXISTS instead of replacing.
 * Returns the signature of the new file.
 */
export async function writeFileAtomic(file: string, text: string, options: { exclusive?: boolean } = {}): Promise<FileSignature> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let signature: FileSignature;
  try {
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600); // the umask could have made it narrower; exactly 0600
      await fh.writeFile(text, 'utf8');
      await fh.sync();
      signature = signatureOf(await fh.stat({ bigint: true }));
    } finally {
      await fh.close();
    }
    if (options.exclusive) {
      // link() never replaces an existing name: no window where two creators both win.
      try {
        await fsp.link(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST')
          throw new RegistryError('ERR_GH_REGISTRY_EXISTS', `${file}: the user registry already exists`);
        throw err;
      }
      await fsp.unlink(tmp);
    } else {
      await fsp.rename(tmp, file);
    }
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
  return signature;
}

// ---------------------------------------------------------------- locking

export interface LockOptions {
  /** Give up waiting for the lock after this long (default 10 s). */
  timeoutMs?: number;
  /**
   * A lock older than this is broken even if its owner looks alive (PID reuse,
   * another host). Default 60 s; a holder keeps it for milliseconds.
   */
  staleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inProcess = new Map<string, Promise<unknown>>();

interface LockInfo { pid: number; host: string; token: string }

function parseLock(text: string): LockInfo | null {
  const m = /^(\d+) (\S+) ([0-9a-f]{16})\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]!, token: m[3]! } : null;
}

async function readLock(lockPath: string): Promise<{ text: string; ageMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)]);
    return { text, ageMs: Date.now() - st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(lock: { text: string; ageMs: number }, staleMs: number): boolean {
  if (lock.ageMs > staleMs) return true;
  const info = parseLock(lock.text);
  // Unreadable (being written right now) or from another host: only age tells.
  if (info === null || info.host !== os.hostname()) return false;
  return !processAlive(info.pid);
}

/**
 * Removes a stale lock. The removal happens under `<lock>.break` and only if
 * the lock still holds the content judged stale, so two processes that both
 * saw it stale cannot remove the fresh lock one of them took in the meantime.
 */
async function breakStale(lockPath: string, seen: string, staleMs: number): Promise<void> {
  const guard = `${lockPath}.break`;
  try {
    await (await fsp.open(guard, 'wx', 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const g = await fsp.stat(guard).catch(() => null); // a breaker died mid-break
    if (g !== null && Date.now() - g.mtimeMs > staleMs) await fsp.unlink(guard).catch(() => undefined);
    return;
  }
  try {
    const now = await readLock(lockPath);
    if (now !== null && now.text === seen && isStale(now, staleMs)) await fsp.unlink(lockPath).catch(() => undefined);
  } finally {
    await fsp.unlink(guard).catch(() => undefined);
  }
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid} ${os.hostname()} ${token}\n`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await fsp.open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return token;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const lock = await readLock(lockPath);
    if (lock !== null && isStale(lock, staleMs)) {
      await breakStale(lockPath, lock.text, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = lock ? parseLock(lock.text) : null;
      throw new RegistryError('ERR_GH_REGISTRY_LOCKED',
        `${lockPath}: the user registry is locked${holder ? ` by process ${holder.pid} on ${holder.host}` : ''}; ` +
        'if no gatehouse command is running, remove the lock file');
    }
    await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const lock = await readLock(lockPath).catch(() => null);
  if (lock !== null && parseLock(lock.text)?.token === token) await fsp.unlink(lockPath).catch(() => undefined);
}

/** Runs `fn` holding `<file>.lock` (exclusive across processes, and across calls in this one). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const key = path.resolve(file);
  const before = inProcess.get(key) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(async () => {
    const lockPath = `${key}.lock`;
    const token = await acquire(lockPath, options);
    try {
      return await fn();
    } finally {
      await release(lockPath, token);
    }
  });
  const tail = run.catch(() => undefined);
  inProcess.set(key, tail);
  void tail.then(() => { if (inProcess.get(key) === tail) inProcess.delete(key); });
  return run;
}

// ---------------------------------------------------------------- read-modify-write

export interface ChangeOptions extends LockOptions {
  /** Start from an empty registry if the file does not exist (default: ERR_GH_REGISTRY_NOT_FOUND). */
  create?: boolean;
}

export interface ChangeResult<T> {
  /** What `fn` returned. */
  readonly value: T;
  /** The users as written (or as read, if nothing changed). */
  readonly users: UserTable;
  readonly signature: FileSignature;
  /** False when `fn` changed nothing and the file was left alone. */
  readonly written: boolean;
}

/**
 * Read-modify-write under the lock: re-reads the file, lets `fn` change the
 * table in place, validates the result by parsing its own output (so nothing
 * unreadable is ever written) and replaces the file atomically. Keep `fn`
 * quick: hash passwords before calling. Throws what `fn` throws, unchanged.
 */
export async function changeUsers<T>(file: string, fn: (users: UserTable) => T | Promise<T>, options: ChangeOptions = {}): Promise<ChangeResult<T>> {
  return withFileLock(file, async () => {
    let loaded: LoadedFile | null;
    try {
      loaded = await readUserFile(file);
    } catch (err) {
      if (!(options.create && err instanceof RegistryError && err.code === 'ERR_GH_REGISTRY_NOT_FOUND')) throw err;
      loaded = null;
    }
    const users: UserTable = loaded?.users ?? new Map();
    const before = loaded === null ? null : serializeUsers(users);
    const value = await fn(users);
    const text = serializeUsers(users);
    if (loaded !== null && text === before) return { value, users, signature: loaded.signature, written: false };
    let checked: UserTable;
    try {
      checked = parseUserFile(text, file);
    } catch (err) {
      const problems = err instanceof RegistryFileError ? err.problems.join('; ') : (err as Error).message;
      throw new InvalidArgumentError(`the change would make the registry invalid: ${problems}`);
    }
    const signature = await writeFileAtomic(file, text, { exclusive: loaded === null });
    return { value, users: checked, signature, written: true };
  }, options);
}

/** Creates an empty registry file; ERR_GH_REGISTRY_EXISTS if there is one. */
export async function createUserFile(file: string): Promise<FileSignature> {
  return withFileLock(file, () => writeFileAtomic(file, serializeUsers(new Map()), { exclusive: true }));
}

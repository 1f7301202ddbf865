// file-registry.ts -- the embedded UserRegistry: users live in one YAML file
// (user-file.ts), are served from memory, and are re-read when the file
// changes (fs.watch on the folder, debounced, plus a periodic stat). A reload
// that fails validation keeps the previous users and logs why. Every write is
// a locked read-modify-write of the file, so concurrent writers lose nothing.
import fs from 'node:fs';
import path from 'node:path';
import { checkLoginId, checkPattern } from '../session/checks.js';
import { InvalidArgumentError } from '../session/errors.js';
import type {
  AuthOutcome, ConcurrentSessionPolicy, UserPatch, UserRecord, UserRegistry,
} from './registry.js';
import {
  burnVerify, checkPassword, DEFAULT_SCRYPT, hashPassword, parsePasswordHash, verifyPassword, type ScryptParams,
} from './password.js';
import {
  ATTRIBUTE_NAME, changeUsers, compare, createUserFile, defaultDn, parseUserFile, readRaw, RegistryError,
  RegistryFileError, statSignature, validatePolicy,
  type FileSignature, type LockOptions, type StoredUser, type UserTable,
} from './user-file.js';

/** pino-compatible: only `warn` is required. */
export interface RegistryLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface FileRegistryOptions {
  /** Re-read the file when it changes (default true). */
  watch?: boolean;
  logger?: RegistryLogger;
  /** Fallback stat of the file, for file systems where fs.watch is silent (default 5000 ms). */
  pollIntervalMs?: number;
  /** Wait this long after a change event before re-reading (default 100 ms). */
  debounceMs?: number;
  /** scrypt cost of new password hashes (default DEFAULT_SCRYPT; tests lower it). */
  hash?: Partial<ScryptParams>;
  /** How long to wait for, and when to break, the file's lock. */
  lock?: LockOptions;
  /** Called after the users in memory changed (a reload or a write through this object). */
  onChange?: () => void;
}

/** A user as `user show` presents it: the record, the description, whether a password is set. */
export interface UserDetails extends UserRecord {
  readonly description?: string;
  readonly hasPassword: boolean;
}

export interface NewUser {
  readonly id: string;
  readonly dn?: string;
  readonly groups?: readonly string[];
  /** Plain-text password; hashed before it is written. Without one the user cannot log in. */
  readonly password?: string;
  readonly description?: string;
  readonly accountValid?: boolean;
  readonly maxConcurrentWebSessions?: ConcurrentSessionPolicy;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The fields a `modifyUser` edit may change in place (validated before writing). */
export type UserEdit = Omit<StoredUser, 'id' | 'password'>;

export interface UserListing {
  /** Matching users sorted by ID, at most `max`. */
  readonly users: readonly UserDetails[];
  /** How many users match in all. */
  readonly total: number;
}

interface Entry {
  /** Exactly the contract's fields: what the proxy puts in a credential. */
  readonly record: UserRecord;
  readonly details: UserDetails;
  readonly hash: string | undefined;
}

const noLogger: RegistryLogger = { warn() {} };

function freezeUser(u: StoredUser): Entry {
  const record: UserRecord = Object.freeze({
    id: u.id,
    dn: u.dn,
    groups: Object.freeze([...u.groups]),
    accountValid: u.accountValid,
    maxConcurrentWebSessions: u.maxConcurrentWebSessions,
    attributes: Object.freeze({ ...u.attributes }),
  });
  const details: UserDetails = Object.freeze({
    ...record,
    ...(u.description === undefined ? {} : { description: u.description }),
    hasPassword: u.password !== undefined,
  });
  return { record, details, hash: u.password };
}

/** Lower-cases A-Z only: patterns are ASCII case-insensitive, as the session table's. */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/** `*` matches any run of characters; linear-time (no regex backtracking). */
export function matchPattern(pattern: string, id: string): boolean {
  const p = asciiLower(pattern);
  const s = asciiLower(id);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    if (i < p.length && p[i] !== '*' && p[i] === s[j]) { i++; j++; }
    else if (i < p.length && p[i] === '*') { star = i++; mark = j; }
    else if (star >= 0) { i = star + 1; j = ++mark; }
    else return false;
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 256 || group.includes(',') ||
      !group.isWellFormed() || /[\u0000-\u001f\u007f-\u009f]/.test(group))
    throw new InvalidArgumentError(`group name ${JSON.stringify(group)} must be 1-256 characters, one line, without commas`);
  return group;
}

function checkGroups(groups: unknown): string[] {
  if (!Array.isArray(groups)) throw new InvalidArgumentError('groups must be a list of strings');
  return [...new Set(groups.map(checkGroup))].sort(compare);
}

function checkAttributeName(name: unknown): string {
  if (typeof name !== 'string' || !ATTRIBUTE_NAME.test(name))
    throw new InvalidArgumentError(`attribute name ${JSON.stringify(name)} must be 1-128 of A-Z a-z 0-9 _ . : -`);
  return name;
}

function checkAttributes(attrs: unknown): Record<string, string> {
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs))
    throw new InvalidArgumentError('attributes must be a map of names to strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    checkAttributeName(k);
    if (typeof v !== 'string' || !v.isWellFormed()) throw new InvalidArgumentError(`attribute ${k} must be a string`);
    out[k] = v;
  }
  return out;
}

function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024 || !value.isWellFormed() ||
      /[\u0000-\u001f\u007f-\u009f]/.test(value))
    throw new InvalidArgumentError(`${what} must be 1-1024 characters on one line`);
  return value;
}

/**
 * Validates a new user and fills in the defaults, without touching any file
 * (the CLI calls it before it creates a registry). The password is checked,
 * not hashed: the result has no `password`.
 */
export function checkNewUser(input: NewUser): StoredUser {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError('user must be an object');
  const id = checkLoginId(input.id, 'login ID');
  if (input.accountValid !== undefined && typeof input.accountValid !== 'boolean') throw new InvalidArgumentError('accountValid must be a boolean');
  if (input.password !== undefined) checkPassword(input.password);
  const user: StoredUser = {
    id,
    dn: input.dn === undefined ? defaultDn(id) : checkText(input.dn, 'dn'),
    groups: checkGroups(input.groups ?? []),
    accountValid: input.accountValid ?? true,
    maxConcurrentWebSessions: validatePolicy(input.maxConcurrentWebSessions ?? 'unset'),
    attributes: checkAttributes(input.attributes ?? {}),
  };
  if (input.description !== undefined) user.description = checkText(input.description, 'description');
  return user;
}

function notFound(id: string): RegistryError {
  return new RegistryError('ERR_GH_USER_NOT_FOUND', `user '${id}' does not exist`);
}

export class FileRegistry implements UserRegistry {
  readonly path: string;
  readonly #options: FileRegistryOptions;
  readonly #logger: RegistryLogger;
  #users = new Map<string, Entry>();
  #signature: FileSignature | null = null;
  /** Signature of a version that failed to load: not re-read (nor re-warned about) until it changes. */
  #failed: FileSignature | null = null;
  #missingWarned = false;
  /** Bumped on every change of #users, so a reload that raced a write is discarded. */
  #generation = 0;
  #dummy: ScryptParams = DEFAULT_SCRYPT;
  #watcher: fs.FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #recheck = false;
  #closed = false;

  private constructor(file: string, options: FileRegistryOptions) {
    this.path = path.resolve(file);
    this.#options = options;
    this.#logger = options.logger ?? noLogger;
  }

  /** Loads the file (it must exist and be valid) and, unless `watch: false`, follows its changes. */
  static async open(file: string, options: FileRegistryOptions = {}): Promise<FileRegistry> {
    if (typeof file !== 'string' || file.length === 0) throw new InvalidArgumentError('registry path must be a non-empty string');
    const reg = new FileRegistry(file, options);
    const { text, signature } = await readRaw(reg.path);
    reg.#apply(parseUserFile(text, reg.path), signature);
    if (options.watch ?? true) reg.#startWatching();
    return reg;
  }

  /** Creates a new, empty registry file (ERR_GH_REGISTRY_EXISTS if there is one) and opens it. */
  static async create(file: string, options: FileRegistryOptions = {}): Promise<FileRegistry> {
    if (typeof file !== 'string' || file.length === 0) throw new InvalidArgumentError('registry path must be a non-empty string');
    await createUserFile(path.resolve(file));
    return FileRegistry.open(file, options);
  }

  /** Number of users in memory. */
  get size(): number {
    return this.#users.size;
  }

  async authenticate(id: string, password: string): Promise<AuthOutcome> {
    const entry = typeof id === 'string' ? this.#users.get(id) : undefined;
    if (entry === undefined || entry.hash === undefined) {
      // Same work as a real check, so a missing user cannot be told apart by timing.
      await burnVerify(password, this.#dummy);
      return { ok: false, reason: entry === undefined ? 'unknown_user' : 'bad_password' };
    }
    if (!(await verifyPassword(password, entry.hash))) return { ok: false, reason: 'bad_password' };
    // The check took tens of ms: judge the account as it is now, not as it was.
    const now = this.#users.get(id);
    if (now === undefined) return { ok: false, reason: 'unknown_user' };
    if (now.hash !== entry.hash) return { ok: false, reason: 'bad_password' };
    if (!now.record.accountValid) return { ok: false, reason: 'account_invalid' };
    return { ok: true, user: now.record };
  }

  lookup(id: string): UserRecord | undefined {
    return this.#users.get(id)?.record;
  }

  /** The record plus description and whether a password is set (never the hash). */
  details(id: string): UserDetails | undefined {
    return this.#users.get(id)?.details;
  }

  /** Users whose ID matches a `*` pattern (ASCII case-insensitive), sorted by ID. */
  list(pattern = '*', options: { max?: number } = {}): UserListing {
    checkPattern(pattern);
    const max = options.max ?? Infinity;
    if (max !== Infinity && (!Number.isInteger(max) || max < 0)) throw new InvalidArgumentError('max must be a whole number');
    const ids = [...this.#users.keys()].filter((id) => matchPattern(pattern, id)).sort(compare);
    return { users: ids.slice(0, max).map((id) => this.#users.get(id)!.details), total: ids.length };
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord> {
    if (patch === null || typeof patch !== 'object') throw new InvalidArgumentError('patch must be an object');
    const known = new Set(['accountValid', 'groups', 'maxConcurrentWebSessions', 'attributes', 'dn']);
    for (const k of Object.keys(patch)) if (!known.has(k)) throw new InvalidArgumentError(`unknown patch field '${k}'`);
    const p = {
      accountValid: patch.accountValid,
      groups: patch.groups === undefined ? undefined : checkGroups(patch.groups),
      policy: patch.maxConcurrentWebSessions === undefined ? undefined : validatePolicy(patch.maxConcurrentWebSessions),
      attributes: patch.attributes === undefined ? undefined : checkAttributes(patch.attributes),
      dn: patch.dn === undefined ? undefined : checkText(patch.dn, 'dn'),
    };
    if (p.accountValid !== undefined && typeof p.accountValid !== 'boolean') throw new InvalidArgumentError('accountValid must be a boolean');
    await this.modifyUser(id, (u) => {
      if (p.accountValid !== undefined) u.accountValid = p.accountValid;
      if (p.groups !== undefined) u.groups = p.groups;
      if (p.policy !== undefined) u.maxConcurrentWebSessions = p.policy;
      if (p.attributes !== undefined) u.attributes = p.attributes;
      if (p.dn !== undefined) u.dn = p.dn;
    });
    return this.lookup(id)!;
  }

  /** Adds a user (ERR_GH_USER_EXISTS if the ID is taken). The password is hashed before the lock is taken. */
  async createUser(input: NewUser): Promise<UserDetails> {
    const user = checkNewUser(input);
    if (input.password !== undefined) user.password = await hashPassword(checkPassword(input.password), this.#options.hash);
    await this.#change((users) => {
      if (users.has(user.id)) throw new RegistryError('ERR_GH_USER_EXISTS', `user '${user.id}' already exists`);
      users.set(user.id, user);
    });
    return this.details(user.id)!;
  }

  /**
   * Changes one user under the file lock: `edit` gets the freshly read user
   * and changes it in place. ERR_GH_USER_NOT_FOUND if there is no such user;
   * an edit that leaves the user invalid is refused (InvalidArgumentError).
   */
  async modifyUser(id: string, edit: (user: UserEdit) => void): Promise<UserDetails> {
    await this.#change((users) => {
      const u = users.get(id);
      if (u === undefined) throw notFound(id);
      edit(u);
      u.id = id;
    });
    return this.details(id)!;
  }

  /** Sets a new password (hashed with the configured cost). */
  async setPassword(id: string, password: string): Promise<void> {
    const hash = await hashPassword(checkPassword(password), this.#options.hash);
    await this.#change((users) => {
      const u = users.get(id);
      if (u === undefined) throw notFound(id);
      u.password = hash;
    });
  }

  /** Removes a user (ERR_GH_USER_NOT_FOUND if there is none). Their sessions are the caller's business. */
  async deleteUser(id: string): Promise<void> {
    await this.#change((users) => {
      if (!users.delete(id)) throw notFound(id);
    });
  }

  /** Re-reads the file now. Resolves false (and logs) if it is missing or invalid; the old users stay. */
  async reload(): Promise<boolean> {
    const generation = this.#generation;
    let raw: { text: string; signature: FileSignature };
    try {
      raw = await readRaw(this.path);
    } catch (err) {
      this.#warnMissing(err);
      return false;
    }
    this.#missingWarned = false;
    if (raw.signature === this.#signature) return true;
    let users: UserTable;
    try {
      users = parseUserFile(raw.text, this.path);
    } catch (err) {
      if (raw.signature !== this.#failed) {
        const problems = err instanceof RegistryFileError ? err.problems : [(err as Error).message];
        this.#logger.warn({ path: this.path, problems, kept: this.#users.size }, 'user registry reload failed; keeping the previous users');
      }
      this.#failed = raw.signature;
      return false;
    }
    // A write through this object landed while we read: its state is newer or equal; read again later.
    if (generation !== this.#generation) { this.#schedule(); return true; }
    this.#failed = null;
    this.#apply(users, raw.signature);
    this.#logger.info?.({ path: this.path, users: users.size }, 'user registry reloaded');
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  async #change(fn: (users: UserTable) => void): Promise<void> {
    const result = await changeUsers(this.path, fn, this.#options.lock);
    this.#failed = null;
    this.#apply(result.users, result.signature);
  }

  #apply(users: UserTable, signature: FileSignature): void {
    const next = new Map<string, Entry>();
    const costs = new Map<string, { params: ScryptParams; n: number }>();
    for (const [id, u] of users) {
      next.set(id, freezeUser(u));
      if (u.password === undefined) continue;
      const params = parsePasswordHash(u.password).params;
      const key = `${params.ln},${params.r},${params.p}`;
      const c = costs.get(key) ?? { params, n: 0 };
      c.n++;
      costs.set(key, c);
    }
    // Unknown users are checked at the cost most real users have.
    let best: { params: ScryptParams; n: number } | undefined;
    for (const c of costs.values()) if (best === undefined || c.n > best.n) best = c;
    this.#dummy = best?.params ?? DEFAULT_SCRYPT;
    this.#users = next;
    this.#signature = signature;
    this.#generation++;
    try {
      this.#options.onChange?.();
    } catch (err) {
      this.#logger.warn({ path: this.path, err: (err as Error).message }, 'user registry onChange callback threw');
    }
  }

  #warnMissing(err: unknown): void {
    if (this.#missingWarned) return;
    this.#missingWarned = true;
    this.#logger.warn({ path: this.path, err: (err as Error).message, kept: this.#users.size }, 'user registry cannot be read; keeping the previous users');
  }

  #startWatching(): void {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path);
    try {
      // The folder, not the file: an atomic replace gives the file a new inode.
      this.#watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === base) this.#schedule();
      });
      this.#watcher.on('error', (err) => {
        this.#logger.warn({ path: this.path, err: err.message }, 'user registry watch failed; polling only');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#logger.warn({ path: this.path, err: (err as Error).message }, 'cannot watch the user registry; polling only');
    }
    this.#poll = setInterval(() => this.#schedule(0), this.#options.pollIntervalMs ?? 5000);
    this.#poll.unref();
  }

  #schedule(delay = this.#options.debounceMs ?? 100): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#check(), delay);
    this.#debounce.unref();
  }

  /** Stat first: a re-read happens only when device, inode, size or mtime moved. */
  async #check(): Promise<void> {
    if (this.#checking) { this.#recheck = true; return; }
    this.#checking = (async () => {
      try {
        const sig = await statSignature(this.path);
        if (this.#closed) return;
        if (sig === null) { this.#warnMissing(new Error('the file is missing')); return; }
        if (sig !== this.#signature && sig !== this.#failed) await this.reload();
      } catch (err) {
        this.#logger.warn({ path: this.path, err: (err as Error).message }, 'user registry check failed');
      }
    })();
    await this.#checking;
    this.#checking = undefined;
    if (this.#recheck) { this.#recheck = false; this.#schedule(); }
  }
}

// cache.ts -- SessionCache: the typed face of the shared-memory table.
//
// validate() is the proxy's per-request call. It makes one native call (to a
// validator bound to this table at open) that writes numbers into a
// Float64Array; the view of a slot incarnation -- login ID, attributes, user
// session ID, fixed times -- is built once and kept in an array indexed by
// slot, so the steady state crosses into C++ once, decodes no string but the
// cookie (as latin1) and allocates nothing.
import { native, OUT, type NativeHandle, type NativeSessionInfo, type NativeStats, type NativeValidate } from '../native.js';
import { decodeAttributes, encodeAttributes, type CredentialAttributes } from './attributes.js';
import {
  checkLoginId, checkPattern, checkTableName, checkTime, checkUint, checkUserSessionId, isSessionId,
} from './checks.js';
import { InvalidArgumentError, nativeCall } from './errors.js';
import {
  AUTH_METHODS, authMethodName, reasonCode, reasonName, type AuthMethod, type InvalidReason,
} from './reasons.js';

export interface TableOptions {
  /** Maximum live sessions (`max-entries`); rounded up to a multiple of 32. */
  capacity: number;
  /** Bytes per session for login ID + encoded attributes (multiple of 8, 64..65536). Default 400. */
  credentialBytes?: number;
}

export interface NewSession {
  loginId: string;
  attributes?: CredentialAttributes;
  /** `timeout`: session lifetime in seconds; 0 = unlimited. Default 3600. */
  lifetimeSeconds?: number;
  /** `inactive-timeout` in seconds; 0 = unlimited. Default 600. */
  inactivitySeconds?: number;
  /** The user's concurrent-session limit; 0 = unlimited (default). */
  maxSessions?: number;
  flags?: number;
  authMethod?: AuthMethod;
  authLevel?: number;
  now?: number;
}

/** A session another host created, taken into this table under its own session ID. */
export interface AdoptedSession extends Omit<NewSession, 'maxSessions' | 'now'> {
  /** The cookie value the browser holds. */
  sessionId: string;
  /** When the session was created and last used (ms since the epoch). */
  createdAt: number;
  lastAccessAt: number;
}

export interface SessionView {
  readonly loginId: string;
  readonly attributes: CredentialAttributes;
  /** What back-ends see and `terminate session` takes; never the cookie. */
  readonly userSessionId: string;
  readonly createdAt: number;
  readonly lastAccessAt: number;
  readonly lifetimeSeconds: number;
  readonly inactivitySeconds: number;
  readonly generation: number;
  readonly epoch: number;
  readonly flags: number;
  readonly authMethod: AuthMethod;
  readonly authLevel: number;
  /** True after `refresh all_sessions`: reload the credential from the registry. */
  readonly refreshNeeded: boolean;
}

export interface CreatedSession extends SessionView {
  /** The cookie value. Treat as a secret: never log it whole. */
  readonly sessionId: string;
}

export type ValidationResult =
  | { readonly valid: true; readonly session: SessionView }
  | { readonly valid: false; readonly reason: InvalidReason };

export interface SessionListing {
  /** How many sessions matched (may exceed sessions.length). */
  readonly total: number;
  readonly sessions: readonly SessionView[];
}

/** What stats() reports: the native counters, with reasons typed. */
export type TableStats = Omit<NativeStats, 'credBytes' | 'ended'> & {
  credentialBytes: number;
  ended: Record<Exclude<InvalidReason, 'unknown'>, number>;
};

interface Identity {
  seq: number;
  loginId: string;
  attributes: CredentialAttributes;
  userSessionId: string;
}

type MutableView = { -readonly [K in keyof SessionView]: SessionView[K] };

/** The cached answer for one slot incarnation (see validate()). */
interface CachedValid {
  seq: number;
  view: MutableView;
  result: { readonly valid: true; readonly session: SessionView };
}

const DEFAULT_LIFETIME = 3600;
const DEFAULT_INACTIVITY = 600;
const INVALID: Record<number, ValidationResult> = {};
for (let code = 1; code <= 9; code++) INVALID[code] = Object.freeze({ valid: false, reason: reasonName(code) });

// Package-internal access to a cache's native handle (for the task engine).
const handles = new WeakMap<SessionCache, () => NativeHandle>();
export function nativeHandleOf(cache: SessionCache): NativeHandle {
  const get = handles.get(cache);
  if (get === undefined) throw new InvalidArgumentError('not a SessionCache');
  return get();
}

export class SessionCache {
  readonly name: string;
  #handle: NativeHandle | null;
  readonly #out = new Float64Array(OUT.length);
  readonly #validate: NativeValidate;
  #identities: Array<Identity | undefined> = [];
  #valid: Array<CachedValid | undefined> = [];

  private constructor(name: string, handle: NativeHandle) {
    this.name = name;
    this.#handle = handle;
    this.#validate = native.bindValidator(handle, this.#out);
    handles.set(this, () => this.#h());
  }

  /** Creates a new table; fails with ERR_GH_TABLE_EXISTS if the name is taken. */
  static create(name: string, options: TableOptions): SessionCache {
    checkTableName(name);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
    const capacity = checkUint(options.capacity, 'capacity', 1 << 24);
    if (capacity < 32) throw new InvalidArgumentError(`capacity must be at least 32, got ${capacity}`);
    const cred = checkUint(options.credentialBytes, 'credentialBytes', 65536);
    if (cred !== 0 && (cred < 64 || cred % 8 !== 0))
      throw new InvalidArgumentError('credentialBytes must be a multiple of 8 in 64..65536');
    return new SessionCache(name, nativeCall(() => native.create(name, capacity, cred)));
  }

  /** Maps an existing table (any process on this host may have created it). */
  static open(name: string): SessionCache {
    checkTableName(name);
    return new SessionCache(name, nativeCall(() => native.open(name)));
  }

  /** Opens the table, creating it when it does not exist yet. */
  static openOrCreate(name: string, options: TableOptions): SessionCache {
    for (;;) {
      try {
        return SessionCache.open(name);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_GH_TABLE_NOT_FOUND') throw err;
      }
      try {
        return SessionCache.create(name, options);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_GH_TABLE_EXISTS') throw err;
      }
    }
  }

  /** Removes the table's name; existing mappings stay valid. False if absent. */
  static unlink(name: string): boolean {
    checkTableName(name);
    return nativeCall(() => native.unlink(name));
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  close(): void {
    if (this.#handle) native.close(this.#handle);
    this.#handle = null;
    this.#identities = [];
    this.#valid = [];
  }

  #h(): NativeHandle {
    if (this.#handle === null) throw new InvalidArgumentError(`session table '${this.name}' is closed`);
    return this.#handle;
  }

  create(spec: NewSession): CreatedSession {
    if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('session spec must be an object');
    const loginId = checkLoginId(spec.loginId);
    const attrs = encodeAttributes(spec.attributes);
    const method = spec.authMethod === undefined ? 0 : AUTH_METHODS.indexOf(spec.authMethod);
    if (method < 0) throw new InvalidArgumentError(`authMethod must be one of ${AUTH_METHODS.join(', ')}`);
    const info = nativeCall(() => native.createSession(
      this.#h(), loginId, attrs,
      checkUint(spec.lifetimeSeconds, 'lifetimeSeconds', 0xffffffff, DEFAULT_LIFETIME),
      checkUint(spec.inactivitySeconds, 'inactivitySeconds', 0xffffffff, DEFAULT_INACTIVITY),
      checkUint(spec.maxSessions, 'maxSessions'),
      checkUint(spec.flags, 'flags'),
      method,
      checkUint(spec.authLevel, 'authLevel', 255),
      checkTime(spec.now),
    ));
    const identity: Identity = {
      seq: info.seq, loginId, attributes: decodeAttributes(attrs ?? Buffer.alloc(0)), userSessionId: info.userSessionId,
    };
    this.#identities[info.slot] = identity;
    return { ...viewOf(info, identity), sessionId: info.sessionId };
  }

  /**
   * Takes a session made on another host into this table under the same
   * session ID (the distributed session cache). A live session with this ID
   * is returned as it is. The caller has verified the session in the fleet's
   * store; the fleet, not this table, enforces the user's session limit.
   */
  adopt(spec: AdoptedSession): CreatedSession {
    if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('session spec must be an object');
    if (!isSessionId(spec.sessionId)) throw new InvalidArgumentError('sessionId must be 32 base64url characters');
    const loginId = checkLoginId(spec.loginId);
    const attrs = encodeAttributes(spec.attributes);
    const method = spec.authMethod === undefined ? 0 : AUTH_METHODS.indexOf(spec.authMethod);
    if (method < 0) throw new InvalidArgumentError(`authMethod must be one of ${AUTH_METHODS.join(', ')}`);
    const info = nativeCall(() => native.adoptSession(
      this.#h(), spec.sessionId, loginId, attrs,
      checkUint(spec.lifetimeSeconds, 'lifetimeSeconds', 0xffffffff, DEFAULT_LIFETIME),
      checkUint(spec.inactivitySeconds, 'inactivitySeconds', 0xffffffff, DEFAULT_INACTIVITY),
      checkUint(spec.flags, 'flags'),
      method,
      checkUint(spec.authLevel, 'authLevel', 255),
      checkTime(spec.createdAt, 'createdAt'),
      checkTime(spec.lastAccessAt, 'lastAccessAt'),
    ));
    const identity = this.#identity(info.slot, info.seq);
    if (identity === undefined) throw new InvalidArgumentError('the adopted session was replaced at once (table under pressure)');
    return { ...viewOf(info, identity), sessionId: spec.sessionId };
  }

  /**
   * The per-request check. A malformed or unknown cookie is `{ valid: false,
   * reason: 'unknown' }`, never an exception. With `touch` (default true) the
   * last-access time advances.
   *
   * The returned view belongs to the cache: later validations of the same
   * session update its `lastAccessAt` and `refreshNeeded` in place (nothing
   * else about a session changes while it lives). Copy it to keep a snapshot.
   */
  validate(sessionId: string, options?: { touch?: boolean; now?: number }): ValidationResult {
    if (typeof sessionId !== 'string') throw new InvalidArgumentError('sessionId must be a string');
    if (this.#handle === null) throw new InvalidArgumentError(`session table '${this.name}' is closed`);
    let now = 0;
    let touch = true;
    if (options !== undefined) {
      if (options.now !== undefined) now = checkTime(options.now);
      if (options.touch === false) touch = false;
    }
    const code = this.#validate(sessionId, now, touch);
    if (code !== 0) return INVALID[code] ?? INVALID[1]!;
    const out = this.#out;
    const slot = out[OUT.slot]!;
    let cached = this.#valid[slot];
    if (cached === undefined || cached.seq !== out[OUT.seq]) {
      cached = this.#cacheValid(slot, out[OUT.seq]!);
      if (cached === undefined) return INVALID[1]!;  // replaced between the two calls
    }
    cached.view.lastAccessAt = out[OUT.last]!;
    cached.view.refreshNeeded = out[OUT.refresh] === 1;
    return cached.result;
  }

  #cacheValid(slot: number, seq: number): CachedValid | undefined {
    const id = this.#identity(slot, seq);
    if (id === undefined) return undefined;
    const out = this.#out;
    const view: MutableView = {
      loginId: id.loginId,
      attributes: id.attributes,
      userSessionId: id.userSessionId,
      createdAt: out[OUT.created]!,
      lastAccessAt: out[OUT.last]!,
      lifetimeSeconds: out[OUT.lifetime]!,
      inactivitySeconds: out[OUT.inactive]!,
      generation: out[OUT.generation]!,
      epoch: out[OUT.epoch]!,
      flags: out[OUT.flags]!,
      authMethod: authMethodName(out[OUT.method]!),
      authLevel: out[OUT.level]!,
      refreshNeeded: out[OUT.refresh] === 1,
    };
    const cached: CachedValid = { seq, view, result: Object.freeze({ valid: true as const, session: view }) };
    this.#valid[slot] = cached;
    return cached;
  }

  /** The login, attributes and user session ID of a slot incarnation: cached, else read once. */
  #identity(slot: number, seq: number): Identity | undefined {
    const cached = this.#identities[slot];
    return cached?.seq === seq ? cached : this.#readIdentity(slot, seq);
  }

  #readIdentity(slot: number, seq: number): Identity | undefined {
    const r = native.readSession(this.#h(), slot, seq);
    if (r === undefined) return undefined;
    const id: Identity = { seq, loginId: r[0], attributes: decodeAttributes(r[1]), userSessionId: r[2] };
    this.#identities[slot] = id;
    return id;
  }

  /** Advances last-access; false if the session is not valid. */
  touch(sessionId: string, now?: number): boolean {
    if (typeof sessionId !== 'string') throw new InvalidArgumentError('sessionId must be a string');
    return nativeCall(() => native.touch(this.#h(), sessionId, checkTime(now)));
  }

  /** Ends the session behind a cookie (user logout). False if it was not live. */
  logout(sessionId: string): boolean {
    if (typeof sessionId !== 'string') throw new InvalidArgumentError('sessionId must be a string');
    try {
      return nativeCall(() => native.logout(this.#h(), sessionId));
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_GH_INVALID_ARGUMENT') return false;  // malformed cookie
      throw err;
    }
  }

  /** `terminate session <user_session_id>`. False if no such live session. */
  terminateSession(userSessionId: string, reason: 'terminated' | 'displaced' = 'terminated'): boolean {
    checkUserSessionId(userSessionId);
    if (reason !== 'terminated' && reason !== 'displaced')
      throw new InvalidArgumentError("reason must be 'terminated' or 'displaced'");
    return nativeCall(() => native.terminate(this.#h(), userSessionId, reasonCode(reason)));
  }

  /** `terminate all_sessions <login_id>`: O(1). Returns how many live sessions ended. */
  terminateAllSessions(loginId: string, reason: 'all_sessions_terminated' | 'displaced' = 'all_sessions_terminated'): number {
    checkLoginId(loginId);
    if (reason !== 'all_sessions_terminated' && reason !== 'displaced')
      throw new InvalidArgumentError("reason must be 'all_sessions_terminated' or 'displaced'");
    return nativeCall(() => native.terminateAll(this.#h(), loginId, reasonCode(reason)));
  }

  /** `refresh all_sessions <login_id>`: each session reports refreshNeeded on its next validate. */
  refreshAllSessions(loginId: string): number {
    checkLoginId(loginId);
    return nativeCall(() => native.refreshAll(this.#h(), loginId));
  }

  /** Signs out every session of the table in O(1); returns the new epoch. */
  signOutEveryone(): number {
    return nativeCall(() => native.signOutEveryone(this.#h()));
  }

  countSessions(loginId: string): { count: number; limit: number } {
    checkLoginId(loginId);
    const [count, limit] = nativeCall(() => native.userCount(this.#h(), loginId));
    return { count, limit };
  }

  /** The live sessions of one login ID (a scan of the table: admin use). */
  listSessions(loginId: string, options?: { max?: number; now?: number }): SessionListing {
    checkLoginId(loginId);
    return this.#list(0, loginId, options);
  }

  /** Live sessions whose login ID matches a `*` pattern, ASCII case-insensitive. */
  listByPattern(pattern: string, options?: { max?: number; now?: number }): SessionListing {
    checkPattern(pattern);
    return this.#list(1, pattern, options);
  }

  #list(kind: 0 | 1, text: string, options?: { max?: number; now?: number }): SessionListing {
    const max = checkUint(options?.max, 'max', 100_000, 100);
    const r = nativeCall(() => native.list(this.#h(), kind, text, checkTime(options?.now), max));
    const sessions = r.sessions.map((info) => {
      const id = this.#identity(info.slot, info.seq);
      return id ? viewOf(info, id) : undefined;
    }).filter((s): s is SessionView => s !== undefined);
    return { total: r.total, sessions };
  }

  /** Turns up to `max` expired sessions into tombstones and frees slots of crashed writers. */
  reap(options?: { now?: number; max?: number }): number {
    return nativeCall(() => native.reap(this.#h(), checkTime(options?.now), checkUint(options?.max, 'max', 0xffffffff, 0xffffffff)));
  }

  stats(now?: number): TableStats {
    const s: NativeStats = nativeCall(() => native.stats(this.#h(), checkTime(now)));
    const { credBytes, ended, ...rest } = s;
    return { ...rest, credentialBytes: credBytes, ended: ended as TableStats['ended'] };
  }

  /** Walks the whole table; null when every invariant holds, else what broke. */
  check(slack = 0): string | null {
    return nativeCall(() => native.check(this.#h(), checkUint(slack, 'slack')));
  }
}

function viewOf(info: NativeSessionInfo, id: Identity): SessionView {
  return {
    loginId: id.loginId,
    attributes: id.attributes,
    userSessionId: info.userSessionId,
    createdAt: info.createdMs,
    lastAccessAt: info.lastAccessMs,
    lifetimeSeconds: info.lifetimeS,
    inactivitySeconds: info.inactiveS,
    generation: info.generation,
    epoch: info.epoch,
    flags: info.flags,
    authMethod: authMethodName(info.authMethod),
    authLevel: info.authLevel,
    refreshNeeded: info.refreshNeeded,
  };
}

// store.ts -- the distributed session cache's source of truth: sessions,
// per-user generations and the fleet epoch in Redis (key layout: keys.ts,
// scripts: scripts.ts). Every method either answers from Redis or throws
// DscUnavailableError: the caller fails closed, never guesses.
import type { CredentialAttributes } from '../session/attributes.js';
import { AUTH_METHODS, INVALID_REASONS, type AuthMethod, type InvalidReason } from '../session/reasons.js';
import { fingerprint, Keys, LAYOUT } from './keys.js';
import { DscLayoutError, RedisLink, type RedisOptions } from './link.js';
import {
  COUNT, CREATE, END_ALL, END_SESSION, FETCH, REFRESH_ALL, SIGN_OUT_EVERYONE, TOUCH,
} from './scripts.js';

/** How long an ended session's record stays to tell a stale cookie why (ms). */
export const TOMBSTONE_MS = 3_600_000;

export interface NewFleetSession {
  sessionId: string;
  loginId: string;
  attributes: CredentialAttributes;
  lifetimeSeconds: number;
  inactivitySeconds: number;
  authMethod: AuthMethod;
  authLevel: number;
  flags: number;
  /** The fleet-wide user session ID (the creating host's). */
  userSessionId: string;
  /** The creating host's server name. */
  host: string;
  /** 0 = no limit; else the create fails when the user already holds this many. */
  maxSessions: number;
  now: number;
}

export interface FleetSession {
  readonly loginId: string;
  readonly attributes: CredentialAttributes;
  readonly createdAt: number;
  readonly lastAccessAt: number;
  readonly lifetimeSeconds: number;
  readonly inactivitySeconds: number;
  readonly authMethod: AuthMethod;
  readonly authLevel: number;
  readonly flags: number;
  readonly userSessionId: string;
  readonly host: string;
  readonly refreshNeeded: boolean;
  /** The account is invalidated fleet-wide (the session lives on until it is ended or refreshed). */
  readonly accountInvalidated: boolean;
}

export type FleetLookup =
  | { readonly state: 'valid'; readonly session: FleetSession }
  | { readonly state: 'invalid'; readonly reason: InvalidReason };

export interface HostEntry {
  readonly serverName: string;
  readonly replicaSet: string;
  readonly lastSeen: number;
  readonly joinedAt: number;
}

const UNKNOWN: FleetLookup = Object.freeze({ state: 'invalid', reason: 'unknown' });

export class SessionStore {
  readonly keys: Keys;
  readonly link: RedisLink;

  constructor(link: RedisLink, keyPrefix: string) {
    this.link = link;
    this.keys = new Keys(keyPrefix);
  }

  static create(options: RedisOptions, keyPrefix: string, clientName: string): SessionStore {
    return new SessionStore(RedisLink.create(options, clientName), keyPrefix);
  }

  /** Connects and checks (or writes) the layout marker under the prefix. */
  async open(): Promise<void> {
    await this.link.connect();
    await this.checkLayout();
  }

  async checkLayout(): Promise<void> {
    const k = this.keys.layout;
    await this.link.call(k, ['SET', k, LAYOUT, 'NX']);
    const v = await this.link.call(k, ['GET', k], true);
    if (v !== LAYOUT)
      throw new DscLayoutError(`the keys under prefix '${this.keys.prefix}' hold layout ${JSON.stringify(v)}, not ${LAYOUT}: use another redis.key-prefix or clear them`);
  }

  async epoch(): Promise<number> {
    const k = this.keys.epoch;
    return toInt(await this.link.call(k, ['GET', k], true), 'epoch') ?? 0;
  }

  /**
   * Records a new session under the user's policy. Not created when the user
   * holds maxSessions already, or when the account is invalidated fleet-wide.
   */
  async create(s: NewFleetSession): Promise<{ created: boolean; count: number; accountInvalid: boolean }> {
    const fp = fingerprint(s.sessionId);
    const u = this.keys.user(s.loginId);
    const epoch = await this.epoch();
    const r = await this.link.run(CREATE, [u.user, u.live, this.keys.session(u.tag, fp), u.invalid], [
      s.loginId, fp, s.now, s.maxSessions, epoch, JSON.stringify(s.attributes), s.lifetimeSeconds,
      s.inactivitySeconds, s.authMethod, s.authLevel, s.flags, s.userSessionId, s.host, TOMBSTONE_MS,
    ]);
    const [ok, count] = intPair(r, 'create');
    if (ok !== 1) return { created: false, count, accountInvalid: ok === -1 };
    // The pointers live outside the user's slot: written after the record, so
    // a pointer never names a session that is not there.
    const ttl = s.lifetimeSeconds > 0 ? String(s.lifetimeSeconds * 1000 + TOMBSTONE_MS) : undefined;
    const px = ttl === undefined ? [] : ['PX', ttl];
    const cp = this.keys.cookiePointer(fp);
    const up = this.keys.userSessionPointer(s.userSessionId);
    await Promise.all([
      this.link.call(cp, ['SET', cp, u.tag, ...px]),
      this.link.call(up, ['SET', up, `${u.tag} ${fp}`, ...px]),
    ]);
    return { created: true, count, accountInvalid: false };
  }

  /** The fleet's verdict on a cookie. */
  async lookup(sessionId: string, now: number): Promise<FleetLookup> {
    const fp = fingerprint(sessionId);
    const cp = this.keys.cookiePointer(fp);
    const [tag, epoch] = await Promise.all([this.link.call(cp, ['GET', cp], true), this.epoch()]);
    if (tag === null || tag === undefined) return UNKNOWN;
    if (typeof tag !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(tag)) throw new DscLayoutError(`cookie pointer ${cp} holds a foreign value`);
    const uk = this.keys.userByTag(tag);
    const r = await this.link.run(FETCH, [uk.user, this.keys.session(tag, fp), uk.invalid], []);
    return judge(r, epoch, now);
  }

  /** Advances the recorded last access (the caller rate-limits it). */
  async touch(sessionId: string, loginId: string, now: number): Promise<boolean> {
    const fp = fingerprint(sessionId);
    const u = this.keys.user(loginId);
    return (await this.link.run(TOUCH, [u.live, this.keys.session(u.tag, fp)], [fp, now, TOMBSTONE_MS])) === 1;
  }

  /** Ends the session behind a cookie (logout) or a user session ID (terminate session). */
  async endByCookie(sessionId: string, loginId: string, reason: InvalidReason, now: number): Promise<boolean> {
    const fp = fingerprint(sessionId);
    return this.#end(this.keys.user(loginId).tag, fp, loginId, reason, now);
  }

  async endByUserSessionId(userSessionId: string, reason: InvalidReason, now: number): Promise<{ ended: boolean; loginId?: string }> {
    const up = this.keys.userSessionPointer(userSessionId);
    const v = await this.link.call(up, ['GET', up], true);
    if (v === null || v === undefined) return { ended: false };
    const m = typeof v === 'string' ? /^([A-Za-z0-9_-]{22}) ([A-Za-z0-9_-]{22})$/.exec(v) : null;
    if (m === null) throw new DscLayoutError(`user session pointer ${up} holds a foreign value`);
    const uk = this.keys.userByTag(m[1]!);
    const login = await this.link.call(uk.user, ['HGET', uk.user, 'n'], true);
    if (typeof login !== 'string') return { ended: false };
    return { ended: await this.#end(m[1]!, m[2]!, login, reason, now), loginId: login };
  }

  async #end(tag: string, fp: string, loginId: string, reason: InvalidReason, now: number): Promise<boolean> {
    const uk = this.keys.userByTag(tag);
    const r = await this.link.run(END_SESSION, [uk.user, uk.live, this.keys.session(tag, fp)],
      [fp, reason, this.keys.channel, loginId, TOMBSTONE_MS, now]);
    return r === 1;
  }

  /** terminate all_sessions (or displacement): O(1) in sessions. Returns how many live sessions ended. */
  async endAll(loginId: string, reason: 'all_sessions_terminated' | 'displaced', now: number): Promise<number> {
    const u = this.keys.user(loginId);
    return toInt(await this.link.run(END_ALL, [u.user, u.live], [reason, now, this.keys.channel, loginId]), 'end_all') ?? 0;
  }

  async refreshAll(loginId: string, now: number): Promise<number> {
    const u = this.keys.user(loginId);
    return toInt(await this.link.run(REFRESH_ALL, [u.user, u.live], [now, this.keys.channel, loginId]), 'refresh_all') ?? 0;
  }

  async signOutEveryone(): Promise<number> {
    return toInt(await this.link.run(SIGN_OUT_EVERYONE, [this.keys.epoch], [this.keys.channel]), 'sign_out') ?? 0;
  }

  async count(loginId: string, now: number): Promise<number> {
    const u = this.keys.user(loginId);
    return toInt(await this.link.run(COUNT, [u.user, u.live], [now]), 'count') ?? 0;
  }

  /**
   * True the first time `token` is presented within ttlMs, on any host (one
   * SET NX): the pending displacement login is single-use fleet-wide.
   */
  async consumeOnce(token: string, ttlMs: number): Promise<boolean> {
    const k = this.keys.onceToken(fingerprint(token));
    return (await this.link.call(k, ['SET', k, '1', 'NX', 'PX', String(Math.max(1, Math.ceil(ttlMs)))])) === 'OK';
  }

  /** Login IDs of every user record (SCAN on every master). */
  async *users(): AsyncGenerator<string> {
    for (const node of await this.link.nodes()) {
      for await (const batch of node.scanIterator({ MATCH: this.keys.userPattern, TYPE: 'hash', COUNT: 500 })) {
        const keys = (Array.isArray(batch) ? batch : [batch]) as string[];
        if (keys.length === 0) continue;
        const names = await Promise.all(keys.map((k) => this.link.call(k, ['HGET', k, 'n'], true)));
        for (const n of names) if (typeof n === 'string') yield n;
      }
    }
  }

  /** The live sessions of one user, as the fleet sees them. */
  async sessionsOf(loginId: string, now: number): Promise<Array<FleetSession & { sessionFingerprint: string }>> {
    const u = this.keys.user(loginId);
    await this.link.run(COUNT, [u.user, u.live], [now]);
    const members = await this.link.call(u.live, ['ZRANGE', u.live, '0', '-1'], true);
    if (!Array.isArray(members)) throw new DscLayoutError(`${u.live} is not a sorted set`);
    const epoch = await this.epoch();
    const out: Array<FleetSession & { sessionFingerprint: string }> = [];
    for (const fp of members as string[]) {
      const r = judge(await this.link.run(FETCH, [u.user, this.keys.session(u.tag, fp), u.invalid], []), epoch, now);
      if (r.state === 'valid') out.push({ ...r.session, sessionFingerprint: fp });
    }
    return out;
  }

  /** Registers this host for `replica set list/show`; the entry lapses after ttlMs. */
  async heartbeat(serverName: string, replicaSet: string, joinedAt: number, now: number, ttlMs: number): Promise<void> {
    const h = this.keys.host(serverName);
    await Promise.all([
      this.link.call(this.keys.hosts, ['ZADD', this.keys.hosts, String(now), serverName]),
      this.link.call(h, ['HSET', h, 'rs', replicaSet, 'j', String(joinedAt), 't', String(now)]).then(() =>
        this.link.call(h, ['PEXPIRE', h, String(ttlMs)])),
    ]);
  }

  async leave(serverName: string): Promise<void> {
    const h = this.keys.host(serverName);
    await Promise.all([
      this.link.call(this.keys.hosts, ['ZREM', this.keys.hosts, serverName]),
      this.link.call(h, ['DEL', h]),
    ]);
  }

  /** Hosts whose heartbeat is younger than staleMs. */
  async hosts(now: number, staleMs: number): Promise<HostEntry[]> {
    const k = this.keys.hosts;
    await this.link.call(k, ['ZREMRANGEBYSCORE', k, '-inf', String(now - staleMs)]);
    const names = await this.link.call(k, ['ZRANGE', k, '0', '-1'], true);
    if (!Array.isArray(names)) throw new DscLayoutError(`${k} is not a sorted set`);
    const out: HostEntry[] = [];
    for (const name of names as string[]) {
      const h = this.keys.host(name);
      const f = await this.link.call(h, ['HMGET', h, 'rs', 'j', 't'], true) as Array<string | null>;
      if (!Array.isArray(f) || f[0] == null) continue;
      out.push({ serverName: name, replicaSet: f[0], joinedAt: Number(f[1]), lastSeen: Number(f[2]) });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

/** Applies the one validity rule to a FETCH reply. */
function judge(reply: unknown, epoch: number, now: number): FleetLookup {
  if (!Array.isArray(reply) || reply.length !== 3) throw new DscLayoutError('unexpected reply to a session fetch');
  const f = toRecord(reply[0]);
  if (f === undefined) return UNKNOWN;
  const [ug, ugr, ur] = (reply[1] as Array<string | null>) ?? [];
  const x = f.x;
  if (x !== undefined) return invalid(x);
  const need = (name: string): number => {
    const v = Number(f[name]);
    if (f[name] === undefined || !Number.isFinite(v)) throw new DscLayoutError(`a session record lacks a valid '${name}'`);
    return v;
  };
  const g = need('g'); const e = need('e'); const c = need('c'); const l = need('l');
  const lt = need('lt'); const it = need('it');
  if (typeof f.u !== 'string' || typeof f.us !== 'string') throw new DscLayoutError('a session record lacks its login or user session ID');
  if (g !== Number(ug ?? 0)) return invalid(ugr ?? 'all_sessions_terminated');
  if (e !== epoch) return invalid('signed_out_everywhere');
  if (lt > 0 && now >= c + lt * 1000) return invalid('expired');
  if (it > 0 && now >= l + it * 1000) return invalid('inactive');
  let attributes: CredentialAttributes;
  try {
    attributes = Object.freeze(JSON.parse(f.a ?? '{}') as Record<string, string | string[]>);
  } catch {
    throw new DscLayoutError('a session record holds attributes that are not JSON');
  }
  const method = (AUTH_METHODS as readonly string[]).includes(f.m ?? '') ? f.m as AuthMethod : 'other';
  return {
    state: 'valid',
    session: {
      loginId: f.u,
      attributes,
      createdAt: c,
      lastAccessAt: l,
      lifetimeSeconds: lt,
      inactivitySeconds: it,
      authMethod: method,
      authLevel: Number(f.al ?? 0) | 0,
      flags: Number(f.f ?? 0) >>> 0,
      userSessionId: f.us,
      host: f.h ?? '',
      refreshNeeded: need('r') < Number(ur ?? 0),
      accountInvalidated: Number(reply[2]) === 1,
    },
  };
}

function invalid(reason: string): FleetLookup {
  const r = (INVALID_REASONS as readonly string[]).includes(reason) ? reason as InvalidReason : 'terminated';
  return { state: 'invalid', reason: r };
}

/** HGETALL replies as a map (RESP3) or a flat array (RESP2); undefined for no key. */
function toRecord(v: unknown): Record<string, string> | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    const o: Record<string, string> = Object.create(null);
    for (let i = 0; i + 1 < v.length; i += 2) o[String(v[i])] = String(v[i + 1]);
    return o;
  }
  if (v instanceof Map) {
    if (v.size === 0) return undefined;
    const o: Record<string, string> = Object.create(null);
    for (const [k, val] of v) o[String(k)] = String(val);
    return o;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    const o: Record<string, string> = Object.create(null);
    for (const [k, val] of entries) o[k] = String(val);
    return o;
  }
  throw new DscLayoutError('a session key holds a foreign value');
}

function toInt(v: unknown, what: string): number | undefined {
  if (v === null || v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new DscLayoutError(`unexpected ${what} reply: ${String(v).slice(0, 40)}`);
  return n;
}

function intPair(v: unknown, what: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new DscLayoutError(`unexpected ${what} reply`);
  return [toInt(v[0], what) ?? 0, toInt(v[1], what) ?? 0];
}

// keys.ts -- the Redis key layout of the distributed session cache.
//
// Everything one user owns lives in one hash slot (hash tag `{u:<user hash>}`),
// so every user-scoped change -- login under the concurrent-session policy
// and the account's invalidation, terminate all_sessions, terminate session,
// logout, refresh -- is one Lua script on one slot, atomic on a standalone
// server and on a Cluster alike. The keys outside a user's slot (pointers,
// used tokens, failed-login counters, the fleet's epoch and heartbeats) are
// each read or written alone. docs/distributed.md draws the layout.
//
// Neither a session ID (the cookie) nor a login ID appears in a key name: keys
// carry SHA-256 fingerprints, so a Redis dump or a MONITOR line reveals no
// cookie, and login IDs of any length or script fit one key shape.
import crypto from 'node:crypto';

/** The layout this code writes; a different value under the prefix is refused. */
export const LAYOUT = 'gatehouse-dsc-1';

/** 128 bits of SHA-256, base64url: the name a secret or a login ID goes by in Redis. */
export function fingerprint(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 22);
}

export interface UserKeys {
  /** HASH: n = login ID, g = generation, gr = why it was last bumped, r = refresh count. */
  readonly user: string;
  /** ZSET: session fingerprint -> the time (ms) the session stops counting (lifetime or inactivity). */
  readonly live: string;
  /** HASH, present while the account is invalidated fleet-wide: u = login ID, t = when (ms), h = server, p = principal. */
  readonly invalid: string;
}

export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  user(loginId: string): UserKeys & { readonly tag: string } {
    const tag = fingerprint(loginId);
    return { tag, ...this.userByTag(tag) };
  }

  /** The user keys of a user known by tag (from a pointer). */
  userByTag(tag: string): UserKeys {
    const user = `${this.prefix}:{u:${tag}}`;
    return { user, live: `${user}:live`, invalid: `${user}:invalid` };
  }

  /** HASH: one session, in its user's slot. */
  session(userTag: string, sessionFp: string): string {
    return `${this.prefix}:{u:${userTag}}:s:${sessionFp}`;
  }

  /** STRING: cookie fingerprint -> user tag. */
  cookiePointer(sessionFp: string): string {
    return `${this.prefix}:{p:${sessionFp}}`;
  }

  /** STRING: user session ID -> "<user tag> <session fingerprint>". */
  userSessionPointer(userSessionId: string): string {
    return `${this.prefix}:{p:us:${userSessionId}}`;
  }

  /** STRING: a used one-time token (pending displacement login), expiring with it. */
  onceToken(tokenFp: string): string {
    return `${this.prefix}:{o:${tokenFp}}`;
  }

  /**
   * Prefix of a fleet-wide counter (failed logins, counters.ts): the limiter
   * appends `:<digest>`, one key per count, a key of its own slot.
   */
  counter(purpose: string): string {
    return `${this.prefix}:${purpose}`;
  }

  /** STRING: the fleet-wide sign-out epoch. */
  get epoch(): string { return `${this.prefix}:{g}:epoch`; }
  /** STRING: the layout marker (LAYOUT). */
  get layout(): string { return `${this.prefix}:{g}:layout`; }
  /** ZSET: server name -> last heartbeat (ms). */
  get hosts(): string { return `${this.prefix}:{g}:hosts`; }
  /** HASH: one host's registration (replica set, joined at, pid). */
  host(serverName: string): string { return `${this.prefix}:{g}:host:${serverName}`; }
  /** The pub/sub channel every change is announced on. */
  get channel(): string { return `${this.prefix}:{g}:changes`; }
  /** SCAN pattern that finds every user record. */
  get userPattern(): string { return `${this.prefix}:{u:*}`; }
}

// fleet.ts -- sessions shared by a fleet of Gatehouse hosts: Redis holds the
// truth (store.ts), each host's shared-memory table is a near-cache kept
// coherent by the invalidation stream (invalidations.ts).
//
// The proxy's hot path is unchanged: a session this host knows is validated
// by one native call, with no Redis round trip, while the stream is whole.
// Everything else asks Redis once:
//   - a cookie the table does not accept (unknown here, or dropped by an
//     invalidation) is looked up in Redis and, when valid there, adopted into
//     the table under the same session ID;
//   - while the stream is not whole, every request is checked in Redis;
//   - when Redis cannot answer, the answer is 'unavailable' (fail closed).
//
// The adoption race: a termination can reach Redis after our lookup read the
// session as valid and before we adopt it. Its invalidation then arrives
// either before the adoption (the stream's counter moved: we drop what we
// adopted and look again) or after it (it drops the adopted entry). Either
// way no terminated session stays in the table.
import type { Logger } from '../logger-type.js';
import type { CreatedSession, NewSession, SessionCache, SessionView, ValidationResult } from '../session/cache.js';
import type { InvalidReason } from '../session/reasons.js';
import { DscUnavailableError } from './link.js';
import type { InvalidationStream } from './invalidations.js';
import type { DscMetrics } from './metrics.js';
import { FLEET_USID_ATTRIBUTE, fleetUserSessionId } from './fleet-usid.js';
import type { FleetSession, SessionStore } from './store.js';


export type FleetValidation = ValidationResult | { readonly valid: false; readonly reason: 'unavailable' };

export type FleetStart =
  | { readonly kind: 'started'; readonly session: CreatedSession }
  | { readonly kind: 'limit'; readonly count: number }
  /** The account is invalidated fleet-wide (admin plane): no session is recorded. */
  | { readonly kind: 'account_invalid' }
  | { readonly kind: 'unavailable' };

export interface FleetOptions {
  serverName: string;
  /** `dsess-last-access-update-interval` in ms: how often a host writes a session's last access. */
  lastAccessUpdateMs: number;
  logger: Logger;
  now?: () => number;
  metrics?: DscMetrics;
}

const UNAVAILABLE = Object.freeze({ valid: false as const, reason: 'unavailable' as const });
const ADOPT_ATTEMPTS = 3;

export class FleetSessions {
  readonly #cache: SessionCache;
  readonly #store: SessionStore;
  readonly #stream: InvalidationStream;
  readonly #o: FleetOptions;
  readonly #synced = new WeakMap<SessionView, number>();
  readonly #now: () => number;

  constructor(cache: SessionCache, store: SessionStore, stream: InvalidationStream, options: FleetOptions) {
    this.#cache = cache;
    this.#store = store;
    this.#stream = stream;
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get store(): SessionStore { return this.#store; }
  get stream(): InvalidationStream { return this.#stream; }

  /** True when a locally valid session may be served without asking Redis. */
  get trusted(): boolean {
    return this.#stream.trusted;
  }

  /** The fleet-wide user session ID of a session (what back-ends see). */
  static userSessionId(view: SessionView): string {
    return fleetUserSessionId(view);
  }

  /**
   * The answer for a cookie the local table did not settle: `local` is what
   * the table said (valid but untrusted, or invalid).
   */
  async resolve(sessionId: string, local: ValidationResult): Promise<FleetValidation> {
    for (let attempt = 0; attempt < ADOPT_ATTEMPTS; attempt++) {
      const before = this.#stream.applied;
      let verdict;
      try {
        verdict = await this.#store.lookup(sessionId, this.#now());
      } catch (err) {
        this.#o.metrics?.lookup('unavailable');
        return this.#outage(err, 'lookup');
      }
      this.#o.metrics?.lookup(verdict.state);
      if (verdict.state === 'invalid') {
        if (local.valid) this.#cache.logout(sessionId);  // the fleet ended it while we were not listening
        return { valid: false, reason: verdict.reason };
      }
      if (verdict.session.refreshNeeded && verdict.session.accountInvalidated) return this.#endInvalidAccount(sessionId, verdict.session);
      if (local.valid && this.#stream.applied === before) return local;
      const view = this.#adopt(sessionId, verdict.session);
      if (view === undefined) return { valid: false, reason: 'unknown' };
      if (this.#stream.applied === before) {
        this.#synced.set(view, this.#now());
        return { valid: true, session: view };
      }
      // An invalidation arrived while we looked: what we adopted may be stale.
      this.#cache.logout(sessionId);
      local = { valid: false, reason: 'unknown' };
    }
    this.#o.logger.warn({}, 'session adoption kept racing with invalidations; refusing this request');
    return UNAVAILABLE;
  }

  /**
   * `refresh all_sessions` of an account invalidated fleet-wide (without
   * ending its sessions): the credential cannot be reloaded, so the session
   * ends, as a refresh on one host ends it when the registry holds the
   * account invalid (gateway.ts).
   */
  async #endInvalidAccount(sessionId: string, s: FleetSession): Promise<FleetValidation> {
    this.#cache.logout(sessionId);
    try {
      await this.#store.endByUserSessionId(s.userSessionId, 'terminated', this.#now());
    } catch (err) {
      return this.#outage(err, 'refresh of an invalidated account');
    }
    return { valid: false, reason: 'terminated' };
  }

  #adopt(sessionId: string, s: FleetSession): SessionView | undefined {
    const attributes = { ...s.attributes, [FLEET_USID_ATTRIBUTE]: s.userSessionId };
    this.#cache.adopt({
      sessionId,
      loginId: s.loginId,
      attributes,
      lifetimeSeconds: s.lifetimeSeconds,
      inactivitySeconds: s.inactivitySeconds,
      createdAt: s.createdAt,
      lastAccessAt: s.lastAccessAt,
      flags: s.flags,
      authMethod: s.authMethod,
      authLevel: s.authLevel,
    });
    if (s.refreshNeeded) this.#cache.refreshAllSessions(s.loginId);
    const again = this.#cache.validate(sessionId);
    return again.valid ? again.session : undefined;
  }

  /**
   * A locally valid, trusted session was used: writes its last access to
   * Redis at most once per `dsess-last-access-update-interval`, in the
   * background (a failed write is logged; the next request tries again).
   */
  accessed(sessionId: string, view: SessionView): void {
    const now = this.#now();
    const last = this.#synced.get(view) ?? view.createdAt;
    if (now - last < this.#o.lastAccessUpdateMs) return;
    this.#synced.set(view, now);
    this.#store.touch(sessionId, view.loginId, now).catch((err: unknown) => {
      this.#synced.set(view, last);
      this.#o.logger.warn({ err: String(err) }, 'could not write a session\'s last access to the session store');
    });
  }

  /** A login: the session is made in the local table, then recorded in Redis under the user's policy. */
  async start(spec: NewSession & { maxSessions: number }): Promise<FleetStart> {
    const created = this.#cache.create({ ...spec, maxSessions: 0 });
    const fleetUsid = created.userSessionId;
    try {
      const r = await this.#store.create({
        sessionId: created.sessionId,
        loginId: created.loginId,
        attributes: created.attributes,
        lifetimeSeconds: created.lifetimeSeconds,
        inactivitySeconds: created.inactivitySeconds,
        authMethod: created.authMethod,
        authLevel: created.authLevel,
        flags: created.flags,
        userSessionId: fleetUsid,
        host: this.#o.serverName,
        maxSessions: spec.maxSessions,
        now: created.createdAt,
      });
      if (!r.created) {
        this.#cache.logout(created.sessionId);
        return r.accountInvalid ? { kind: 'account_invalid' } : { kind: 'limit', count: r.count };
      }
    } catch (err) {
      this.#cache.logout(created.sessionId);
      this.#outage(err, 'login');
      return { kind: 'unavailable' };
    }
    return { kind: 'started', session: created };
  }

  /** pkmslogout: ends the session everywhere. False when the store could not be told. */
  async logout(sessionId: string, view: SessionView): Promise<boolean> {
    this.#cache.logout(sessionId);
    try {
      await this.#store.endByCookie(sessionId, view.loginId, 'logged_out', this.#now());
      return true;
    } catch (err) {
      this.#outage(err, 'logout');
      return false;
    }
  }

  /** Ends every session of a user fleet-wide (displacement at login, EAI, admin). */
  async endAll(loginId: string, reason: 'all_sessions_terminated' | 'displaced'): Promise<number> {
    const n = await this.#store.endAll(loginId, reason, this.#now());
    this.#cache.terminateAllSessions(loginId, reason);
    return n;
  }

  /** A session found invalid locally during a refresh (account gone): end it fleet-wide. */
  async terminate(view: SessionView, reason: InvalidReason = 'terminated'): Promise<void> {
    this.#cache.terminateSession(view.userSessionId);
    await this.#store.endByUserSessionId(FleetSessions.userSessionId(view), reason, this.#now());
  }

  #outage(err: unknown, what: string): typeof UNAVAILABLE {
    const unavailable = err instanceof DscUnavailableError;
    this.#o.logger[unavailable ? 'warn' : 'error']({ err: String(err), during: what },
      unavailable ? 'session store unavailable: failing closed' : 'session store error: failing closed');
    return UNAVAILABLE;
  }
}

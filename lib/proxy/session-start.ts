// session-start.ts -- creating a session at login under the concurrent
// sessions policy (`max-concurrent-web-sessions`): unset | unlimited | N |
// displace, global with a per-user override. The table enforces the count
// atomically (two simultaneous logins cannot both take the last place); this
// module decides what to do when it refuses.
import type { Config } from '../config/types.js';
import type { ConcurrentSessionPolicy, UserRecord } from '../registry/registry.js';
import type { CreatedSession, SessionCache } from '../session/cache.js';
import type { AuthMethod } from '../session/reasons.js';
import { attributesAtLogin } from './credential.js';
import type { FleetSessions } from '../dsc/fleet.js';

export type StartOutcome =
  | { readonly kind: 'started'; readonly session: CreatedSession; readonly displaced: number }
  /** policy displace, prompt-for-displacement = yes, and a session exists: ask the user. */
  | { readonly kind: 'prompt_displacement' }
  /** A numeric limit is reached: the reference's "Additional Login Denied" page. */
  | { readonly kind: 'denied_too_many'; readonly limit: number }
  /** The account is invalidated fleet-wide (the distributed session cache's record of it). */
  | { readonly kind: 'account_invalid' }
  /** The distributed session cache cannot be reached: no session can be started (fail closed). */
  | { readonly kind: 'unavailable' };

export function effectivePolicy(user: UserRecord, global: ConcurrentSessionPolicy): ConcurrentSessionPolicy {
  return user.maxConcurrentWebSessions === 'unset' ? global : user.maxConcurrentWebSessions;
}

export class SessionStarter {
  readonly #cache: SessionCache;
  readonly #session: Config['session'];
  readonly #fleet: FleetSessions | undefined;

  /** With `fleet`, the policy counts the user's sessions on every host (Redis), not in this table. */
  constructor(cache: SessionCache, session: Config['session'], fleet?: FleetSessions) {
    this.#cache = cache;
    this.#session = session;
    this.#fleet = fleet;
  }

  /**
   * `displace`: the user answered "terminate existing login" (/pkmsdisplace),
   * or prompt-for-displacement = no.
   */
  async start(user: UserRecord, method: AuthMethod, displace = false): Promise<StartOutcome> {
    const policy = effectivePolicy(user, this.#session['max-concurrent-web-sessions']);
    const limit = policy === 'displace' ? 1 : typeof policy === 'number' ? policy : 0;
    const silently = displace || !this.#session['prompt-for-displacement'];
    if (this.#fleet !== undefined) return this.#startInFleet(this.#fleet, user, method, policy, limit, silently);
    let displaced = 0;
    let reaped = false;
    // A few rounds: a concurrent login of the same user can take the place we freed.
    for (let round = 0; round < 4; round++) {
      try {
        return { kind: 'started', session: this.#create(user, method, limit), displaced };
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_GH_SESSION_LIMIT') throw err;
      }
      // Expired sessions still count until reaped: reap once before refusing.
      if (!reaped) { reaped = true; this.#cache.reap(); continue; }
      if (policy !== 'displace') return { kind: 'denied_too_many', limit };
      if (!silently) return { kind: 'prompt_displacement' };
      displaced += this.#cache.terminateAllSessions(user.id, 'displaced');
    }
    return { kind: 'denied_too_many', limit };
  }

  async #startInFleet(fleet: FleetSessions, user: UserRecord, method: AuthMethod, policy: ConcurrentSessionPolicy,
    limit: number, silently: boolean): Promise<StartOutcome> {
    let displaced = 0;
    for (let round = 0; round < 4; round++) {
      const r = await fleet.start({ ...this.#spec(user, method), maxSessions: limit });
      if (r.kind === 'started') return { kind: 'started', session: r.session, displaced };
      if (r.kind === 'unavailable' || r.kind === 'account_invalid') return r;
      if (policy !== 'displace') return { kind: 'denied_too_many', limit };
      if (!silently) return { kind: 'prompt_displacement' };
      try {
        displaced += await fleet.endAll(user.id, 'displaced');
      } catch {
        return { kind: 'unavailable' };
      }
    }
    return { kind: 'denied_too_many', limit };
  }

  #spec(user: UserRecord, method: AuthMethod) {
    return {
      loginId: user.id,
      attributes: attributesAtLogin(user),
      lifetimeSeconds: this.#session.timeout,
      inactivitySeconds: this.#session['inactive-timeout'],
      authMethod: method,
      authLevel: 1,
    };
  }

  #create(user: UserRecord, method: AuthMethod, limit: number): CreatedSession {
    return this.#cache.create({
      loginId: user.id,
      attributes: attributesAtLogin(user),
      lifetimeSeconds: this.#session.timeout,
      inactivitySeconds: this.#session['inactive-timeout'],
      maxSessions: limit,
      authMethod: method,
      authLevel: 1,
    });
  }
}

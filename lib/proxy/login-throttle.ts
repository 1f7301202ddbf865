// login-throttle.ts -- refuses logins after too many failures: per user
// name from one client address, per client address (any names), and
// optionally per user name from anywhere (the reference's
// max-login-failures). While a limit holds, even the right password is
// refused without being checked, so guessing gains nothing. Counts live in
// the counter store every worker shares (counters.ts). Unknown and known
// user names are counted alike, so a refusal never says which exist.
import crypto from 'node:crypto';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/types.js';
import type { CounterFactory } from './counters.js';

interface Limit {
  readonly counter: RateLimiterAbstract;
  readonly max: number;
  readonly key: (user: string, client: string) => string;
  /** Keyed by the user name (pair, per user), which the client chooses freely; else by the client alone. */
  readonly byName: boolean;
}

export class LoginThrottle {
  readonly #limits: readonly Limit[];
  readonly #disableSeconds: number;

  constructor(options: Config['failed-login'], counters: CounterFactory) {
    const duration = options['failure-window'];
    this.#disableSeconds = options['disable-time-interval'];
    const limit = (name: string, max: number, key: Limit['key'], byName: boolean): Limit[] =>
      max > 0 ? [{ counter: counters({ keyPrefix: `gh-fail-${name}`, points: max, duration }), max, key, byName }] : [];
    this.#limits = [
      ...limit('pair', options['max-login-failures'], (u, c) => digest(u, c), true),
      ...limit('client', options['max-login-failures-per-client'], (_u, c) => digest('', c), false),
      ...limit('user', options['max-login-failures-per-user'], (u) => digest(u, ''), true),
    ];
  }

  /**
   * Counts an attempt before the password is checked, so parallel guesses
   * through several workers cannot all slip under a limit: the counter store
   * numbers them atomically. Blocked: refuse without checking the password.
   * Otherwise report the outcome with `failed` or `succeeded`. The client's
   * own limit is asked first: a blocked client then adds no key per made-up
   * user name to the store.
   */
  async begin(user: string, client: string): Promise<LoginAttempt | { readonly blocked: true; readonly retryAfterSeconds: number }> {
    const taken: Taken[] = [];
    for (const stage of [this.#limits.filter((l) => !l.byName), this.#limits.filter((l) => l.byName)]) {
      const keyed = stage.map((limit) => ({ limit, key: limit.key(user, client) }));
      const results = await Promise.allSettled(keyed.map(({ limit, key }) => limit.counter.consume(key, 1)));
      let wait = 0;
      let unanswered: Error | undefined;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') taken.push({ ...keyed[i]!, count: r.value.consumedPoints });
        else if (r.reason instanceof Error) unanswered = r.reason;  // the store did not answer
        else wait = Math.max(wait, (r.reason as RateLimiterRes).msBeforeNext);  // over the limit
      });
      if (unanswered !== undefined) { await undo(taken); throw unanswered; }
      if (wait > 0) {
        await undo(taken);  // a refused attempt is no failure: it must not add to the other counts
        return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
      }
    }
    return new LoginAttempt(taken, this.#disableSeconds);
  }
}

/** One counted attempt: the limit, the key and the count after this attempt. */
interface Taken {
  readonly limit: Limit;
  readonly key: string;
  readonly count: number;
}

/** One login attempt that passed the limits; its outcome settles the counts. */
export class LoginAttempt {
  readonly blocked = false;
  readonly #taken: readonly Taken[];
  readonly #disableSeconds: number;

  constructor(taken: readonly Taken[], disableSeconds: number) {
    this.#taken = taken;
    this.#disableSeconds = disableSeconds;
  }

  /** The password was wrong (or the user unknown): a count that reached its limit blocks for disable-time-interval. */
  async failed(): Promise<void> {
    await Promise.all(this.#taken.filter((t) => t.count >= t.limit.max).map((t) => t.limit.counter.block(t.key, this.#disableSeconds)));
  }

  /** The password matched: the user's counts start over; the client's loses this attempt (one good account must not reset a spray). */
  async succeeded(): Promise<void> {
    await Promise.all(this.#taken.map((t) => t.limit.byName ? t.limit.counter.delete(t.key) : t.limit.counter.reward(t.key, 1)));
  }
}

async function undo(taken: readonly Taken[]): Promise<void> {
  await Promise.all(taken.map((t) => t.limit.counter.reward(t.key, 1)));
}

/**
 * A fixed-size key: counters never hold user names or addresses in clear,
 * and a long name costs the store no more than a short one. User names
 * are counted regardless of case and Unicode form, so `Alice` and `alice`
 * share a count: a guesser gains nothing by varying them, and counting two
 * distinct accounts together only errs on the safe side.
 */
function digest(user: string, client: string): string {
  return crypto.createHash('sha256').update(JSON.stringify([user.normalize('NFC').toLowerCase(), client])).digest('base64url');
}

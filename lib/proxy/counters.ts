// counters.ts -- where the login paths keep state that every worker must
// see the same: failed-login counts (login-throttle.ts) and used pending
// logins (one-time-tokens.ts). Both are rate-limiter-flexible limiters made
// by a factory the process chooses: in memory for a single process, in the
// primary for cluster workers (lib/server/cluster-counters.ts), and in Redis
// for a fleet of hosts (lib/dsc/counters.ts), without changing the users.
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface CounterOptions {
  /** Distinguishes the limiters sharing one store (one per purpose). */
  readonly keyPrefix: string;
  readonly points: number;
  /** Seconds a key's count lives, unless a call gives its own. */
  readonly duration: number;
}

export type CounterFactory = (options: CounterOptions) => RateLimiterAbstract;

/** Counters in this process only: right for `workers: 0` and for tests. */
export const memoryCounters: CounterFactory = (o) => new RateLimiterMemory({ ...o });

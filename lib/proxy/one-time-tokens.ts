// one-time-tokens.ts -- values that may be used once: the nonce of a pending
// displacement login. consume() is true for the first caller only, in every
// worker (the counter store decides atomically), until the TTL has passed;
// by then the sealed value has expired on its own.
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { CounterFactory } from './counters.js';

export interface OneTimeTokens {
  /** True the first time `nonce` is presented within `ttlSeconds`; false after that. Rejects when the store cannot answer. */
  consume(nonce: string, ttlSeconds: number): Promise<boolean>;
}

export class CountedOneTimeTokens implements OneTimeTokens {
  readonly #used: RateLimiterAbstract;

  constructor(counters: CounterFactory, keyPrefix = 'gh-once') {
    this.#used = counters({ keyPrefix, points: 1, duration: 120 });
  }

  async consume(nonce: string, ttlSeconds: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    try {
      await this.#used.consume(nonce, 1, { customDuration: ttl });
      return true;
    } catch (err) {
      // The limiter rejects with its result (already used), or with an Error (store unreachable).
      if (err instanceof Error) throw err;
      return false;
    }
  }
}

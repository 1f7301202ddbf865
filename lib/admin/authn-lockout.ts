// authn-lockout.ts -- counts failed authentications per (principal, source
// address) and per source address in a sliding window, and locks a key out
// for a while once it has failed too often. While locked out, even correct
// credentials are refused without being checked, so guessing gains nothing.
//
// A third counter is per principal alone: any local process can pick any
// source address in 127.0.0.0/8, so the two address-keyed counters do not
// stop a guess spread over many addresses. Its lockout grows exponentially
// (principalDelaySeconds, doubled per further failure, capped at
// maxPrincipalDelaySeconds) rather than lasting long at once: an attacker
// who fails on purpose can keep a principal out for at most the cap after
// each attempt, and a success resets it. The admin listener runs in the
// primary process only, so one in-memory instance sees every attempt.
// The clock is injected (tests advance it instead of sleeping).
import { DEFAULT_LOCKOUT, type LockoutOptions } from './options.js';

interface Counter {
  /** Failure times (ms) within the window, oldest first; at most the limit. */
  failures: number[];
  lockedUntil: number;
}

/** Failures of one principal from any address since its last success. */
interface PrincipalCounter {
  failures: number;
  last: number;
  lockedUntil: number;
}

export type LockoutState = { readonly locked: false } | { readonly locked: true; readonly retryAfterSeconds: number };

/** Keys kept at most; beyond that the least recently failed are forgotten first. */
const MAX_KEYS = 50_000;

export class Lockout {
  readonly options: LockoutOptions;
  readonly #now: () => number;
  readonly #counters = new Map<string, Counter>();
  readonly #principals = new Map<string, PrincipalCounter>();

  constructor(options: Partial<LockoutOptions> = {}, now: () => number = Date.now) {
    const o: { -readonly [K in keyof LockoutOptions]: number } = { ...DEFAULT_LOCKOUT, ...options };
    if (options.maxFailuresPerAddress === undefined) o.maxFailuresPerAddress = 4 * o.maxFailures;
    if (options.maxFailuresPerPrincipal === undefined) o.maxFailuresPerPrincipal = 2 * o.maxFailures;
    for (const [k, v] of Object.entries(o))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`lockout.${k} must be a positive integer, got ${String(v)}`);
    this.options = Object.freeze(o);
    this.#now = now;
  }

  /** Whether attempts from `address` (for `principal`, when known) are refused now. */
  check(address: string, principal?: string): LockoutState {
    const now = this.#now();
    let until = this.#lockedUntil(addressKey(address), now);
    if (principal !== undefined) {
      until = Math.max(until, this.#lockedUntil(pairKey(address, principal), now), this.#principalLockedUntil(principal, now));
    }
    return until > now ? { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) } : { locked: false };
  }

  /** Records a failure; returns the state after it (locked once a limit is reached). */
  fail(address: string, principal?: string): LockoutState {
    this.#fail(addressKey(address), this.options.maxFailuresPerAddress);
    if (principal !== undefined) {
      this.#fail(pairKey(address, principal), this.options.maxFailures);
      this.#failPrincipal(principal);
    }
    return this.check(address, principal);
  }

  /** A success clears the pair's and the principal's failures (not the address's: one good account must not reset a spray). */
  succeed(address: string, principal: string): void {
    this.#counters.delete(pairKey(address, principal));
    this.#principals.delete(principal);
  }

  #principalLockedUntil(principal: string, now: number): number {
    const c = this.#principals.get(principal);
    if (c === undefined) return 0;
    // Idle for a window after its last failure and its lockout: forget it.
    if (Math.max(c.last, c.lockedUntil) + this.options.windowSeconds * 1000 <= now) {
      this.#principals.delete(principal);
      return 0;
    }
    return c.lockedUntil;
  }

  #failPrincipal(principal: string): void {
    const now = this.#now();
    this.#principalLockedUntil(principal, now);  // forgets an idle counter
    let c = this.#principals.get(principal);
    if (c === undefined) {
      if (this.#principals.size >= MAX_KEYS) this.#principals.delete(this.#principals.keys().next().value!);
      c = { failures: 0, last: now, lockedUntil: 0 };
    } else {
      this.#principals.delete(principal);  // re-insert: Map order = least recently failed first
    }
    this.#principals.set(principal, c);
    c.failures = Math.min(c.failures + 1, 1_000_000);
    c.last = now;
    const over = c.failures - this.options.maxFailuresPerPrincipal;
    if (over >= 0) {
      const delay = Math.min(this.options.principalDelaySeconds * 2 ** Math.min(over, 40), this.options.maxPrincipalDelaySeconds);
      c.lockedUntil = Math.max(c.lockedUntil, now + delay * 1000);
    }
  }

  #lockedUntil(key: string, now: number): number {
    const c = this.#counters.get(key);
    if (c === undefined) return 0;
    if (c.lockedUntil <= now && (c.failures.length === 0 || c.failures[c.failures.length - 1]! <= now - this.options.windowSeconds * 1000)) {
      this.#counters.delete(key);  // expired: forget it
      return 0;
    }
    return c.lockedUntil;
  }

  #fail(key: string, limit: number): void {
    const now = this.#now();
    let c = this.#counters.get(key);
    if (c === undefined) {
      if (this.#counters.size >= MAX_KEYS) this.#forgetOldest();
      c = { failures: [], lockedUntil: 0 };
    } else {
      this.#counters.delete(key);  // re-insert: Map order = least recently failed first
    }
    this.#counters.set(key, c);
    const windowStart = now - this.options.windowSeconds * 1000;
    c.failures = c.failures.filter((t) => t > windowStart);
    c.failures.push(now);
    if (c.failures.length > limit) c.failures.splice(0, c.failures.length - limit);
    if (c.failures.length >= limit) c.lockedUntil = Math.max(c.lockedUntil, now + this.options.lockoutSeconds * 1000);
  }

  #forgetOldest(): void {
    const now = this.#now();
    for (const [key, c] of this.#counters) {
      if (this.#counters.size < MAX_KEYS * 0.9) return;
      if (c.lockedUntil <= now) this.#counters.delete(key);
    }
    // Everything is locked out: drop the oldest anyway rather than grow without bound.
    for (const key of this.#counters.keys()) {
      if (this.#counters.size < MAX_KEYS) return;
      this.#counters.delete(key);
    }
  }
}

const addressKey = (address: string): string => `a\u0000${address}`;
const pairKey = (address: string, principal: string): string => `p\u0000${address}\u0000${principal}`;

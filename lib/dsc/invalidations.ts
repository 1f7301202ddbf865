// invalidations.ts -- the stream that keeps this process's near-cache (the
// shared-memory table) coherent with Redis.
//
// Every change that can end a session is PUBLISHed by the Lua script that
// makes it: `u\t<login ID>` (a user's sessions changed) or `g\t<epoch>`
// (everyone signed out). Each proxy process subscribes on its own connection
// and applies what it hears to the local table: a user's local entries are
// dropped (they are fetched again from Redis on their next request) and a
// sign-out bumps the local epoch. Both are O(1).
//
// The near-cache is trusted only while the stream is known to be whole:
//   - a closed or reconnecting subscription makes it untrusted at once;
//   - a probe this process publishes every probeMs must come back within
//     staleMs, which catches a stream that died silently (a half-open TCP
//     connection, a stopped server);
//   - when the stream is back, everything it may have missed is dropped
//     (onResync) before the near-cache is trusted again.
import crypto from 'node:crypto';
import type { RedisLink } from './link.js';

export interface InvalidationHandlers {
  /** A user's sessions changed somewhere in the fleet. */
  user(loginId: string): void;
  /** Everyone was signed out. */
  everyone(): void;
  /** The stream was broken and is whole again: drop everything local. */
  resync(): void;
  /** Trust changed (for logs and metrics). */
  trust?(trusted: boolean, why: string): void;
}

export interface StreamOptions {
  channel: string;
  probeMs: number;
  staleMs: number;
}

export class InvalidationStream {
  readonly #link: RedisLink;
  readonly #publisher: RedisLink;
  readonly #h: InvalidationHandlers;
  readonly #o: StreamOptions;
  readonly #nonce = crypto.randomBytes(9).toString('base64url');
  #trusted = false;
  #subscribed = false;
  #needResync = false;
  #lastProbeSeen = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Messages applied (for tests and the adoption race check). */
  applied = 0;

  constructor(subscriber: RedisLink, publisher: RedisLink, handlers: InvalidationHandlers, options: StreamOptions) {
    this.#link = subscriber;
    this.#publisher = publisher;
    this.#h = handlers;
    this.#o = options;
  }

  get trusted(): boolean {
    return this.#trusted;
  }

  async start(): Promise<void> {
    const c = this.#link.client;
    c.on('error', () => this.#distrust('invalidation connection error'));
    c.on('end', () => this.#distrust('invalidation connection closed'));
    c.on('reconnecting', () => this.#distrust('invalidation connection reconnecting'));
    c.on('ready', () => {
      // node-redis resubscribes before 'ready': the stream is whole from here
      // on, but whatever was published while it was down is lost.
      if (this.#subscribed) { this.#needResync = true; void this.#probe(); }
    });
    await this.#link.connect();
    await (c as unknown as { subscribe(ch: string, l: (m: string) => void): Promise<void> }).subscribe(this.#o.channel, (m) => this.#onMessage(m));
    this.#subscribed = true;
    this.#lastProbeSeen = Date.now();
    this.#setTrusted(true, 'subscribed');
    this.#timer = setInterval(() => { void this.#probe(); }, this.#o.probeMs);
    this.#timer.unref();
  }

  #onMessage(m: string): void {
    const tab = m.indexOf('\t');
    const kind = tab < 0 ? m : m.slice(0, tab);
    const arg = tab < 0 ? '' : m.slice(tab + 1);
    if (kind === 'u') { this.applied++; this.#h.user(arg); return; }
    if (kind === 'g') { this.applied++; this.#h.everyone(); return; }
    if (kind === 'p' && arg.startsWith(this.#nonce)) {
      this.#lastProbeSeen = Date.now();
      if (this.#needResync) {
        this.#needResync = false;
        this.applied++;
        this.#h.resync();
      }
      if (!this.#trusted) this.#setTrusted(true, 'probe came back');
    }
  }

  async #probe(): Promise<void> {
    if (this.#closed) return;
    if (this.#trusted && Date.now() - this.#lastProbeSeen > this.#o.staleMs) {
      this.#needResync = true;
      this.#distrust(`no probe came back for ${this.#o.staleMs} ms`);
    }
    try {
      await this.#publisher.call(undefined, ['PUBLISH', this.#o.channel, `p\t${this.#nonce}:${Date.now()}`]);
    } catch {
      // The store is down: requests fail closed on their own; the next probe tries again.
    }
  }

  #distrust(why: string): void {
    if (this.#closed) return;
    this.#needResync = true;
    if (this.#trusted) this.#setTrusted(false, why);
  }

  #setTrusted(t: boolean, why: string): void {
    this.#trusted = t;
    this.#h.trust?.(t, why);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#trusted = false;
    clearInterval(this.#timer);
    await this.#link.close();
  }
}

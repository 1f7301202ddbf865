// pending-login.ts -- a login that waits for the user's answer on the
// too-many-sessions page. The password has been checked; what the answer
// needs (who, where to go, until when) travels in a short-lived cookie
// sealed with an HMAC key every worker shares, so /pkmsdisplace may land on
// any worker process. The seal makes it unforgeable, not single-use: its
// random nonce is what pkms.ts consumes (one-time-tokens.ts), once, across
// all workers, whether the answer is "terminate" or "cancel".
import crypto from 'node:crypto';

export const PENDING_COOKIE = 'GH-PENDING-LOGIN';

export interface PendingLogin {
  readonly loginId: string;
  readonly url: string;
  readonly method: 'forms' | 'basic';
}

export interface OpenedPendingLogin extends PendingLogin {
  /** Random, unique per prompt: the value's identity for single use. */
  readonly nonce: string;
  /** Milliseconds since the epoch after which the value is refused. */
  readonly expires: number;
}

export class PendingLogins {
  readonly #key: Buffer;
  readonly #lifetimeMs: number;

  constructor(key: Buffer, lifetimeSeconds = 120) {
    if (key.length < 32) throw new RangeError('the pending-login key must be at least 32 bytes');
    this.#key = key;
    this.#lifetimeMs = lifetimeSeconds * 1000;
  }

  get lifetimeSeconds(): number {
    return this.#lifetimeMs / 1000;
  }

  seal(p: PendingLogin, now = Date.now()): string {
    const nonce = crypto.randomBytes(16).toString('base64url');
    const body = Buffer.from(JSON.stringify({ l: p.loginId, u: p.url, m: p.method, n: nonce, e: now + this.#lifetimeMs })).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The pending login, or undefined when the value is forged, malformed or stale. */
  open(value: string | undefined, now = Date.now()): OpenedPendingLogin | undefined {
    if (value === undefined || value.length > 4096) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== want.length || !crypto.timingSafeEqual(mac, want)) return undefined;
    try {
      const o = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { l?: unknown; u?: unknown; m?: unknown; n?: unknown; e?: unknown };
      if (typeof o.l !== 'string' || typeof o.u !== 'string' || typeof o.n !== 'string' || typeof o.e !== 'number' || (o.m !== 'forms' && o.m !== 'basic')) return undefined;
      if (o.e <= now) return undefined;
      return { loginId: o.l, url: o.u, method: o.m, nonce: o.n, expires: o.e };
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return crypto.createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

// pending-login.ts -- a login that waits for the user's answer on the
// too-many-sessions page. The password has been checked; what the answer
// needs (who, where to go, until when) travels in a short-lived cookie
// sealed with an HMAC key every worker shares, so /pkmsdisplace may land on
// any worker process.
import crypto from 'node:crypto';

export const PENDING_COOKIE = 'GH-PENDING-LOGIN';
const LIFETIME_MS = 120_000;

export interface PendingLogin {
  readonly loginId: string;
  readonly url: string;
  readonly method: 'forms' | 'basic';
}

export class PendingLogins {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length < 32) throw new RangeError('the pending-login key must be at least 32 bytes');
    this.#key = key;
  }

  seal(p: PendingLogin, now = Date.now()): string {
    const body = Buffer.from(JSON.stringify({ l: p.loginId, u: p.url, m: p.method, e: now + LIFETIME_MS })).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The pending login, or undefined when the value is forged, malformed or stale. */
  open(value: string | undefined, now = Date.now()): PendingLogin | undefined {
    if (value === undefined || value.length > 4096) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== want.length || !crypto.timingSafeEqual(mac, want)) return undefined;
    try {
      const o = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { l?: unknown; u?: unknown; m?: unknown; e?: unknown };
      if (typeof o.l !== 'string' || typeof o.u !== 'string' || typeof o.e !== 'number' || (o.m !== 'forms' && o.m !== 'basic')) return undefined;
      if (o.e < now) return undefined;
      return { loginId: o.l, url: o.u, method: o.m };
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return crypto.createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

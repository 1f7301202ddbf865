// accounts.ts -- account invalidation for a fleet: a hash in the user's slot
// (keys.ts, `<prefix>:{u:<user>}:invalid`) that the login script (CREATE)
// checks atomically with recording the session, so an invalidation that has
// returned holds against every later login on every host, and a login that
// cannot ask Redis is refused like any login while the store is down.
import type { AccountInvalidation, AccountInvalidations } from '../registry/account-invalidations.js';
import { DscLayoutError } from './link.js';
import type { SessionStore } from './store.js';

export class FleetAccounts implements AccountInvalidations {
  readonly #store: SessionStore;

  constructor(store: SessionStore) {
    this.#store = store;
  }

  async get(loginId: string): Promise<AccountInvalidation | undefined> {
    const k = this.#store.keys.user(loginId).invalid;
    const f = await this.#store.link.call(k, ['HMGET', k, 't', 'h', 'p'], true);
    if (!Array.isArray(f) || f.length !== 3) throw new DscLayoutError(`${k} is not an account invalidation`);
    const [t, h, p] = f as Array<string | null>;
    if (t === null || t === undefined) return undefined;
    const at = Number(t);
    if (!Number.isSafeInteger(at)) throw new DscLayoutError(`${k} holds a foreign value`);
    return { at, server: h ?? '', by: p ?? '' };
  }

  async invalidate(loginId: string, mark: AccountInvalidation): Promise<void> {
    const k = this.#store.keys.user(loginId).invalid;
    await this.#store.link.call(k, ['HSET', k, 'u', loginId, 't', String(mark.at), 'h', mark.server, 'p', mark.by]);
  }

  async revalidate(loginId: string): Promise<boolean> {
    const k = this.#store.keys.user(loginId).invalid;
    return Number(await this.#store.link.call(k, ['DEL', k])) === 1;
  }
}

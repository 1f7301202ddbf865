// identity-headers.ts -- the headers a junction receives about the user:
// `-c` (iv-user, iv-user-l, iv-groups, iv-creds), `-r` (iv-remote-address),
// `[header-names] server-name` (iv_server_name) and `credattr{...}` headers.
// The set of names is also what must never come from a client.
import type { Config, JunctionConfig } from '../config/types.js';
import { encodeCredential, UNAUTHENTICATED_CREDENTIAL } from './creds.js';
import type { SessionCredential } from './credential.js';

export const UNAUTHENTICATED = 'Unauthenticated';

type Emitter = (cred: SessionCredential | null, clientAddress: string) => string | undefined;

/** Header values are latin1 on the wire: anything outside printable ASCII is percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** iv-groups: "Consists of comma separated quoted entries." */
function groupsValue(groups: readonly string[]): string {
  return groups.map((g) => `"${headerSafe(g).replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',');
}

export class IdentityHeaders {
  /** Lower-case names this junction sets, in order. */
  readonly names: readonly string[];
  readonly #emitters: ReadonlyArray<readonly [string, Emitter]>;

  constructor(junction: JunctionConfig, headerNames: Config['header-names'], pdadminServerName: string) {
    const types = junction.c === 'all' ? ['iv_user', 'iv_groups', 'iv_creds'] : junction.c;
    const e: Array<readonly [string, Emitter]> = [];
    if (types.includes('iv_user')) e.push(['iv-user', (c) => (c ? headerSafe(c.user) : UNAUTHENTICATED)]);
    if (types.includes('iv_user_l')) e.push(['iv-user-l', (c) => (c ? headerSafe(c.dn) : undefined)]);
    if (types.includes('iv_groups')) e.push(['iv-groups', (c) => (c ? groupsValue(c.groups) : undefined)]);
    if (types.includes('iv_creds'))
      e.push(['iv-creds', (c) => encodeCredential(c
        ? { user: c.user, dn: c.dn, groups: c.groups, authenticated: true, attributes: c.attributes }
        : UNAUTHENTICATED_CREDENTIAL)]);
    if (junction.r) e.push(['iv-remote-address', (_c, addr) => addr]);
    if (headerNames['server-name'] !== '') {
      const v = encodeURIComponent(pdadminServerName);
      e.push([headerNames['server-name'].toLowerCase(), () => v]);
    }
    for (const [attr, header] of Object.entries(headerNames.credattr)) {
      e.push([header.toLowerCase(), (c) => {
        const v = c?.attributes[attr];
        if (v === undefined) return undefined;
        return headerSafe(typeof v === 'string' ? v : v.join(','));
      }]);
    }
    this.#emitters = e;
    this.#usesAddress = junction.r;
    this.names = e.map(([n]) => n);
  }

  /**
   * The headers for a request. For a session they are built once per
   * credential (and client address, when `-r` adds it) and then reused, so
   * the steady state allocates nothing here and the junction can cache
   * per-object work; callers must not modify the result.
   */
  build(cred: SessionCredential | null, clientAddress: string): Readonly<Record<string, string>> {
    if (cred === null) return this.#compute(null, clientAddress);
    const hit = this.#built.get(cred);
    if (hit !== undefined && (!this.#usesAddress || hit.address === clientAddress)) return hit.headers;
    const headers = this.#compute(cred, clientAddress);
    this.#built.set(cred, { address: clientAddress, headers });
    return headers;
  }

  readonly #usesAddress: boolean;
  readonly #built = new WeakMap<SessionCredential, { address: string; headers: Readonly<Record<string, string>> }>();

  #compute(cred: SessionCredential | null, clientAddress: string): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, emit] of this.#emitters) {
      const v = emit(cred, clientAddress);
      if (v !== undefined) out[name] = v;
    }
    return Object.freeze(out);
  }
}

/**
 * The configured identity header names (server-name, credattr) any junction
 * may set: stripped from every client request. The iv-*, iv_* and am-eai-*
 * names need no list: the junction strips those by prefix.
 */
export function reservedHeaderNames(config: Config): string[] {
  const names = new Set<string>(Object.values(config['header-names'].credattr).map((h) => h.toLowerCase()));
  if (config['header-names']['server-name'] !== '') names.add(config['header-names']['server-name'].toLowerCase());
  return [...names];
}

// authn.ts -- who is asking: admin user and password (checked against the
// user registry, as ivadmin_context_create takes them), an API token, or a
// verified TLS client certificate. One answer per request, with lockout
// after repeated failures. The caller audits every failure. With the
// distributed session cache, an account invalidated fleet-wide is refused
// like one the registry holds invalid; when the store cannot say, the
// request is refused as unavailable (never counted as a failed attempt).
import type { UserRegistry } from '../registry/registry.js';
import type { AccountInvalidations } from '../registry/account-invalidations.js';
import { effectiveScopes, type TokenStore } from './authn-tokens.js';
import { parseAuthorization } from '../http-auth/authorization-header.js';
import type { CertificateMap } from './authn-cert.js';
import type { Lockout } from './authn-lockout.js';
import type { AuthnMethod, Principal } from './acl.js';

export interface AuthnRequest {
  /** The Authorization header, if any. */
  readonly authorization?: string;
  /** The connection (for a client certificate). */
  readonly socket: unknown;
  /** Source address, for lockout and audit. */
  readonly address: string;
  /** admin_id / admin_pwd from a /isam/pdadmin body; they take precedence. */
  readonly bodyCredentials?: { readonly user: string; readonly password: string };
}

export interface AuthenticatedPrincipal extends Principal {
  readonly method: AuthnMethod;
  /** The token's ID, for audit (never its secret). */
  readonly tokenId?: string;
}

export type AuthnResult =
  | { readonly ok: true; readonly principal: AuthenticatedPrincipal }
  | {
      readonly ok: false;
      /** 503: the store of account invalidations did not answer (fail closed). */
      readonly status: 401 | 429 | 503;
      /** Who it claimed to be (user name, `token:<id>`, certificate CN), for audit. */
      readonly claimed: string;
      readonly method: AuthnMethod | 'none';
      /** Why, for the audit log only (the client just hears "Authentication failed."). */
      readonly detail: string;
      readonly retryAfterSeconds?: number;
    };

export interface AuthenticatorOptions {
  readonly registry: UserRegistry;
  readonly lockout: Lockout;
  readonly tokens?: TokenStore;
  readonly certificates?: CertificateMap;
  /** Fleet-wide account invalidations (distributed session cache). */
  readonly accounts?: AccountInvalidations;
}

export class Authenticator {
  readonly #o: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.#o = options;
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    const presented = req.bodyCredentials
      ? { scheme: 'basic' as const, ...req.bodyCredentials }
      : parseAuthorization(req.authorization);
    if (presented === undefined) return this.#certificate(req);
    if (presented.scheme === 'malformed') return this.#failure(req.address, undefined, '(malformed)', 'none', presented.detail);
    if (presented.scheme === 'basic') return this.#password(req.address, presented.user, presented.password);
    return this.#token(req.address, presented.token);
  }

  async #password(address: string, user: string, password: string): Promise<AuthnResult> {
    const claimed = user.slice(0, 256);
    const locked = this.#locked(address, claimed, claimed, 'password');
    if (locked) return locked;
    const outcome = await this.#o.registry.authenticate(user, password);
    if (!outcome.ok) return this.#failure(address, claimed, claimed, 'password', outcome.reason);
    const refused = await this.#invalidatedInFleet(address, claimed, 'password', outcome.user.id);
    if (refused) return refused;
    this.#o.lockout.succeed(address, claimed);
    return { ok: true, principal: { name: outcome.user.id, groups: outcome.user.groups, method: 'password' } };
  }

  async #token(address: string, token: string): Promise<AuthnResult> {
    const store = this.#o.tokens;
    const m = /^gh_([0-9a-f]{16})_/.exec(token);
    const claimed = m ? `token:${m[1]}` : 'token:(malformed)';
    const locked = this.#locked(address, m ? claimed : undefined, claimed, 'token');
    if (locked) return locked;
    if (store === undefined) return this.#failure(address, claimed, claimed, 'token', 'no tokens file is configured');
    const check = store.verify(token);
    if (!check.ok) return this.#failure(address, m ? claimed : undefined, claimed, 'token', `token ${check.reason}`);
    const r = check.record;
    const account = this.#account(r.principal);
    if (account === 'invalid') return this.#failure(address, claimed, claimed, 'token', `account ${r.principal} is not valid`);
    const refused = await this.#invalidatedInFleet(address, claimed, 'token', r.principal);
    if (refused) return refused;
    this.#o.lockout.succeed(address, claimed);
    const scopes = effectiveScopes(r.scopes);
    return {
      ok: true,
      principal: { name: r.principal, groups: account, method: 'token', tokenId: r.id, ...(scopes ? { scopes } : {}) },
    };
  }

  async #certificate(req: AuthnRequest): Promise<AuthnResult> {
    const outcome = this.#o.certificates?.resolve(req.socket) ?? { kind: 'none' as const };
    if (outcome.kind === 'none') return this.#failure(req.address, undefined, '(none)', 'none', 'no credentials presented');
    const claimed = `cert:${outcome.subject.slice(0, 256)}`;
    const locked = this.#locked(req.address, claimed, claimed, 'certificate');
    if (locked) return locked;
    if (outcome.kind === 'refused') return this.#failure(req.address, claimed, claimed, 'certificate', outcome.detail);
    const account = this.#account(outcome.principal);
    if (account === 'invalid') return this.#failure(req.address, claimed, claimed, 'certificate', `account ${outcome.principal} is not valid`);
    const refused = await this.#invalidatedInFleet(req.address, claimed, 'certificate', outcome.principal);
    if (refused) return refused;
    this.#o.lockout.succeed(req.address, claimed);
    return { ok: true, principal: { name: outcome.principal, groups: account, method: 'certificate' } };
  }

  /** A token's or certificate's principal: its registry groups, 'invalid' for an invalidated account, [] if not a registry user. */
  #account(name: string): readonly string[] | 'invalid' {
    const user = this.#o.registry.lookup(name);
    if (user === undefined) return [];
    return user.accountValid ? user.groups : 'invalid';
  }

  /** A refusal when the principal's account is invalidated fleet-wide, or the store cannot say (503). */
  async #invalidatedInFleet(address: string, claimed: string, method: AuthnMethod, name: string): Promise<AuthnResult | undefined> {
    const accounts = this.#o.accounts;
    if (accounts === undefined) return undefined;
    let mark;
    try {
      mark = await accounts.get(name);
    } catch (err) {
      return { ok: false, status: 503, claimed, method, detail: `the session store cannot confirm the account: ${err instanceof Error ? err.message : String(err)}` };
    }
    return mark === undefined ? undefined : this.#failure(address, claimed, claimed, method, `account ${name} is invalidated fleet-wide`);
  }

  #locked(address: string, key: string | undefined, claimed: string, method: AuthnMethod): AuthnResult | undefined {
    const state = this.#o.lockout.check(address, key);
    if (!state.locked) return undefined;
    return { ok: false, status: 429, claimed, method, detail: 'locked out after repeated failures', retryAfterSeconds: state.retryAfterSeconds };
  }

  #failure(address: string, key: string | undefined, claimed: string, method: AuthnMethod | 'none', detail: string): AuthnResult {
    // A request with no credentials at all is the normal first step of a client, not an attack.
    if (detail !== 'no credentials presented') this.#o.lockout.fail(address, key);
    return { ok: false, status: 401, claimed, method, detail };
  }
}

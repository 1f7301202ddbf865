// basic-auth.ts -- HTTP basic authentication (`[ba] ba-auth`). A browser
// resends the same Authorization header on every request, so each worker
// remembers which session a header (by keyed hash, never the password)
// already opened: one scrypt per login, not per request. When that session
// was ended by an administrator, displaced or logged out, the header is
// answered with a fresh challenge instead of a silent new login. Logins
// count against the same failed-login limits as the login form.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvalidReason } from '../session/reasons.js';
import { readCookie, sessionCookie } from './cookies.js';
import type { SessionView } from '../session/cache.js';
import type { GatewayDeps, LoginResponder } from './login-deps.js';
import { parseAuthorization } from '../http-auth/authorization-header.js';
import { clientAddress, sendHtml } from './http-util.js';
import { ACCOUNT_INVALID, LOGIN_FAILED } from './login-messages.js';
import type { Pkms } from './pkms.js';

const REMEMBERED_MAX = 10_000;
/** Ends that must not be undone by the browser resending its credentials. */
const DELIBERATE_ENDS: ReadonlySet<InvalidReason> = new Set([
  'logged_out', 'terminated', 'all_sessions_terminated', 'signed_out_everywhere', 'displaced',
]);

/** What basic authentication shares with the forms login: the session starter and the failed-login limits. */
export type LoginPaths = Pick<Pkms, 'starter' | 'beginAttempt' | 'settleAttempt' | 'endOldSession'>;

export class BasicAuth {
  readonly challenge: string;
  readonly #d: GatewayDeps;
  readonly #logins: LoginPaths;
  readonly #gw: LoginResponder;
  readonly #mode: GatewayDeps['config']['ba']['ba-auth'];
  readonly #pepper = crypto.randomBytes(32);
  readonly #sessions = new Map<string, string>();  // keyed hash of the header -> session ID

  constructor(deps: GatewayDeps, logins: LoginPaths, gw: LoginResponder) {
    this.#d = deps;
    this.#logins = logins;
    this.#gw = gw;
    this.#mode = deps.config.ba['ba-auth'];
    this.challenge = `Basic realm="${deps.config.ba['basic-auth-realm']}", charset="UTF-8"`;
  }

  enabledFor(secure: boolean): boolean {
    return this.#mode === 'both' || (this.#mode === 'https' && secure) || (this.#mode === 'http' && !secure);
  }

  /**
   * Authenticates the request's Authorization header. Resolves to the valid
   * session to forward under (the gateway turns it into a credential, as for
   * a cookie), or undefined after answering the request itself (challenge,
   * refusal, policy page).
   */
  async login(req: IncomingMessage, res: ServerResponse, url: string, secure: boolean, stale: InvalidReason | undefined): Promise<SessionView | undefined> {
    const header = req.headers.authorization!;
    // The admin plane's parser: one reading of Authorization headers everywhere.
    const creds = parseAuthorization(header);
    if (creds?.scheme !== 'basic') { this.#gw.loginPage(req, res, url, secure, stale, 'Malformed Authorization header.', 401); return undefined; }
    const key = crypto.createHmac('sha256', this.#pepper).update(header).digest('base64url');
    const remembered = this.#sessions.get(key);
    if (remembered !== undefined) {
      const local = this.#d.cache.validate(remembered);
      const fleet = this.#d.fleet;
      const r = fleet === undefined || (local.valid && fleet.trusted) ? local : await fleet.resolve(remembered, local);
      if (r.valid) return r.session;
      if (r.reason === 'unavailable') { this.#unavailable(res, url); return undefined; }
      this.#sessions.delete(key);
      if (DELIBERATE_ENDS.has(r.reason)) { this.#gw.loginPage(req, res, url, secure, r.reason, '', 401); return undefined; }
    } else if (stale !== undefined && DELIBERATE_ENDS.has(stale)) {
      // The cookie's session was ended on purpose: make the user type the password again.
      this.#gw.loginPage(req, res, url, secure, stale, '', 401);
      return undefined;
    }
    const attempt = await this.#logins.beginAttempt(res, 'basic', creds.user, clientAddress(req), url);
    if (attempt === undefined) return undefined;
    const outcome = await this.#d.registry.authenticate(creds.user, creds.password);
    await this.#logins.settleAttempt(attempt, outcome.ok);
    if (!outcome.ok) {
      this.#d.metrics?.login('basic', outcome.reason);
      this.#gw.loginPage(req, res, url, secure, undefined, outcome.reason === 'account_invalid' ? ACCOUNT_INVALID : LOGIN_FAILED, 401);
      return undefined;
    }
    const old = readCookie(req.headers.cookie, this.#gw.cookieName(secure));
    if (old !== undefined) await this.#logins.endOldSession(old);
    const started = await this.#logins.starter.start(outcome.user, 'basic', !this.#d.config.session['prompt-for-displacement']);
    if (started.kind === 'unavailable') { this.#unavailable(res, url); return undefined; }
    if (started.kind === 'account_invalid') {
      this.#d.metrics?.login('basic', 'account_invalid');
      this.#gw.loginPage(req, res, url, secure, undefined, ACCOUNT_INVALID, 401);
      return undefined;
    }
    if (started.kind !== 'started') {
      // Basic authentication has no page to ask on: a limit is a refusal.
      this.#d.metrics?.login('basic', 'too_many_sessions');
      sendHtml(res, 403, this.#d.pages.render('login_denied_too_many', { USERNAME: outcome.user.id, URL: url }));
      return undefined;
    }
    this.#d.metrics?.login('basic', 'ok');
    if (this.#sessions.size >= REMEMBERED_MAX) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(key, started.session.sessionId);
    res.setHeader('set-cookie', sessionCookie(this.#gw.cookieName(secure), started.session.sessionId, { secure }));
    return started.session;
  }

  #unavailable(res: ServerResponse, url: string): void {
    sendHtml(res, 503, this.#d.pages.render('session_unavailable', { URL: url, ERROR: 'The session service is temporarily unavailable.' }), { 'retry-after': '2' });
  }
}

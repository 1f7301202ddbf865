// pkms.ts -- the proxy's own endpoints, named as the reference names them:
// /pkmslogin.form (forms login), /pkmslogout, /pkmsdisplace (answer to the
// too-many-sessions page). They are not junctions and never forwarded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserRecord } from '../registry/registry.js';
import type { AuthMethod } from '../session/reasons.js';
import { clearCookie, readCookie, sessionCookie } from './cookies.js';
import type { GatewayDeps, LoginResponder } from './gateway.js';
import { BodyError, formLimits, localTarget, readForm, redirect, sendHtml } from './http-util.js';
import { PENDING_COOKIE, PendingLogins } from './pending-login.js';
import { SessionStarter } from './session-start.js';

export const LOGIN_FAILED = 'Authentication failed. You have used an invalid user name or password.';
export const ACCOUNT_INVALID = 'Your account has been disabled. Contact your administrator.';
const PENDING_EXPIRED = 'Your login request has expired. Please sign in again.';

export class Pkms {
  readonly starter: SessionStarter;
  readonly #d: GatewayDeps;
  readonly #gw: LoginResponder;
  readonly #pending: PendingLogins;

  constructor(deps: GatewayDeps, gw: LoginResponder) {
    this.#d = deps;
    this.#gw = gw;
    this.starter = new SessionStarter(deps.cache, deps.config.session);
    this.#pending = new PendingLogins(deps.pendingKey);
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const secure = (req.socket as TLSSocket).encrypted === true;
    switch (path) {
      case '/pkmslogin.form': return this.#login(req, res, secure);
      case '/pkmslogout': return this.#logout(req, res, secure);
      case '/pkmsdisplace': return this.#displace(req, res, secure);
      default:
        req.resume();
        sendHtml(res, 404, this.#d.pages.render('not_found', { URL: req.url ?? '' }));
    }
  }

  async #login(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    const fallback = this.#d.config['acnt-mgt']['login-redirect-page'];
    if (req.method !== 'POST') { req.resume(); this.#gw.loginPage(req, res, fallback, secure, undefined); return; }
    let form: URLSearchParams;
    try {
      form = await readForm(req, formLimits(this.#d.config));
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      sendHtml(res, err.status, this.#d.pages.render('bad_request', { ERROR: err.message }));
      return;
    }
    const url = localTarget(form.get('url'), fallback);
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const type = form.get('login-form-type');
    if (type !== null && type !== 'pwd') { this.#gw.loginPage(req, res, url, secure, undefined, `Unsupported login-form-type '${type.slice(0, 32)}'.`, 400); return; }
    if (username === '' || password === '') { this.#gw.loginPage(req, res, url, secure, undefined, 'Enter your user name and password.', 401); return; }
    const outcome = await this.#d.registry.authenticate(username, password);
    if (!outcome.ok) {
      this.#d.metrics?.login('forms', outcome.reason);
      this.#d.logger.info({ user: username.slice(0, 64), outcome: outcome.reason }, 'login refused');
      this.#gw.loginPage(req, res, url, secure, undefined, outcome.reason === 'account_invalid' ? ACCOUNT_INVALID : LOGIN_FAILED, outcome.reason === 'account_invalid' ? 403 : 401);
      return;
    }
    this.#startAndRedirect(req, res, secure, outcome.user, 'forms', url, false);
  }

  /**
   * Ends the browser's previous session (a new session ID at every login),
   * then starts one under the concurrent-sessions policy.
   */
  #startAndRedirect(req: IncomingMessage, res: ServerResponse, secure: boolean, user: UserRecord, method: AuthMethod, url: string, displace: boolean): void {
    const name = this.#gw.cookieName(secure);
    const old = readCookie(req.headers.cookie, name);
    if (old !== undefined) this.#d.cache.logout(old);
    let r: ReturnType<SessionStarter['start']>;
    try {
      r = this.starter.start(user, method, displace);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_GH_TOO_LARGE') throw err;
      this.#d.logger.error({ user: user.id }, 'login failed: credential larger than session.credential-bytes');
      this.#gw.loginPage(req, res, url, secure, undefined, 'Your account has more groups and attributes than this server can hold in a session. Contact your administrator.', 500);
      return;
    }
    const clearPending = clearCookie(PENDING_COOKIE, { secure, path: '/pkmsdisplace' });
    switch (r.kind) {
      case 'started':
        try {
          redirect(res, url, { 'set-cookie': [sessionCookie(name, r.session.sessionId, { secure }), clearPending] });
        } catch (err) {
          // A reply that fails must not leave a session nobody holds (it counts against the policy).
          this.#d.cache.logout(r.session.sessionId);
          throw err;
        }
        this.#d.metrics?.login(method, 'ok');
        this.#d.logger.info({ user: user.id, method, displaced: r.displaced || undefined }, 'login');
        return;
      case 'prompt_displacement': {
        this.#d.metrics?.login(method, 'prompt_displacement');
        const sealed = this.#pending.seal({ loginId: user.id, url, method: method === 'basic' ? 'basic' : 'forms' });
        sendHtml(res, 200, this.#d.pages.render('too_many_sessions', { USERNAME: user.id, URL: url }), {
          'set-cookie': `${PENDING_COOKIE}=${sealed}; Path=/pkmsdisplace; HttpOnly; SameSite=Strict; Max-Age=120${secure ? '; Secure' : ''}`,
        });
        return;
      }
      case 'denied_too_many':
        this.#d.metrics?.login(method, 'too_many_sessions');
        this.#d.logger.info({ user: user.id, limit: r.limit }, 'login denied: concurrent session limit');
        sendHtml(res, 403, this.#d.pages.render('login_denied_too_many', { USERNAME: user.id, URL: url }));
        return;
    }
  }

  async #logout(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    req.resume();
    const name = this.#gw.cookieName(secure);
    const sid = readCookie(req.headers.cookie, name);
    let user = 'unauthenticated';
    if (sid !== undefined) {
      const r = this.#d.cache.validate(sid, { touch: false });
      if (r.valid) user = r.session.loginId;
      if (this.#d.cache.logout(sid)) this.#d.logger.info({ user }, 'logout');
    }
    const headers: Record<string, string> = {};
    if (this.#d.config.session['logout-remove-cookie']) headers['set-cookie'] = clearCookie(name, { secure });
    sendHtml(res, 200, this.#d.pages.render('logout', { USERNAME: user }), headers);
  }

  async #displace(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    if (req.method === 'POST') {
      try { await readForm(req, formLimits(this.#d.config)); } catch (err) { if (!(err instanceof BodyError)) throw err; }
    } else {
      req.resume();
    }
    const pending = this.#pending.open(readCookie(req.headers.cookie, PENDING_COOKIE));
    const clearPending = { 'set-cookie': clearCookie(PENDING_COOKIE, { secure, path: '/pkmsdisplace' }) };
    const cancel = new URL(req.url ?? '/', 'http://x').searchParams.has('cancel');
    const fallback = this.#d.config['acnt-mgt']['login-redirect-page'];
    if (cancel) {
      sendHtml(res, 200, this.#d.pages.render('login', { URL: pending?.url ?? fallback, ERROR: 'The new login was cancelled; your existing session is unchanged.' }), clearPending);
      return;
    }
    if (pending === undefined) { this.#gw.loginPage(req, res, fallback, secure, undefined, PENDING_EXPIRED, 401); return; }
    const user = this.#d.registry.lookup(pending.loginId);
    if (user === undefined || !user.accountValid) {
      this.#gw.loginPage(req, res, pending.url, secure, undefined, user === undefined ? LOGIN_FAILED : ACCOUNT_INVALID, 403);
      return;
    }
    this.#startAndRedirect(req, res, secure, user, pending.method, pending.url, true);
  }
}

// pkms.ts -- the proxy's own endpoints, named as the reference names them:
// /pkmslogin.form (forms login), /pkmslogout, /pkmsdisplace (answer to the
// too-many-sessions page). They are not junctions and never forwarded.
// Both forms refuse cross-site posts (cross-site.ts); logins count against
// the failed-login limits (login-throttle.ts); a pending displacement is
// answered once (one-time-tokens.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserRecord } from '../registry/registry.js';
import type { AuthMethod } from '../session/reasons.js';
import { clearCookie, readCookie, sessionCookie } from './cookies.js';
import type { GatewayDeps, LoginResponder } from './login-deps.js';
import { ACCOUNT_INVALID, LOGIN_FAILED } from './login-messages.js';
import { memoryCounters } from './counters.js';
import { crossSiteReason } from './cross-site.js';
import { BodyError, clientAddress, formLimits, localTarget, readForm, redirect, sendHtml } from './http-util.js';
import { LoginThrottle, type LoginAttempt } from './login-throttle.js';
import { CountedOneTimeTokens, type OneTimeTokens } from './one-time-tokens.js';
import { PENDING_COOKIE, PendingLogins, type OpenedPendingLogin } from './pending-login.js';
import { recordOf } from './request-record.js';
import { SessionStarter } from './session-start.js';
import { sendTooManyAttempts } from './throttle-page.js';

const PENDING_EXPIRED = 'Your login request has expired. Please sign in again.';

export class Pkms {
  readonly starter: SessionStarter;
  /** Shared with basic authentication: one count per user and client, whichever way they log in. */
  readonly throttle: LoginThrottle;
  readonly #d: GatewayDeps;
  readonly #gw: LoginResponder;
  readonly #pending: PendingLogins;
  readonly #answered: OneTimeTokens;

  constructor(deps: GatewayDeps, gw: LoginResponder) {
    this.#d = deps;
    this.#gw = gw;
    this.starter = new SessionStarter(deps.cache, deps.config.session, deps.fleet);
    const counters = deps.counters ?? memoryCounters;
    this.throttle = new LoginThrottle(deps.config['failed-login'], counters);
    this.#pending = new PendingLogins(deps.pendingKey, deps.config.session['displacement-prompt-timeout']);
    // Single-use on every worker; with a fleet, on every host (Redis decides).
    const fleet = deps.fleet;
    this.#answered = fleet !== undefined
      ? { consume: (nonce, ttlSeconds) => fleet.store.consumeOnce(`pending-login:${nonce}`, ttlSeconds * 1000) }
      : new CountedOneTimeTokens(counters, 'gh-pending-login');
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
    if (this.#refusedCrossSite(req, res)) return;
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
    const attempt = await this.beginAttempt(res, 'forms', username, clientAddress(req), url);
    if (attempt === undefined) return;
    const outcome = await this.#d.registry.authenticate(username, password);
    await this.settleAttempt(attempt, outcome.ok);
    if (!outcome.ok) {
      this.#d.metrics?.login('forms', outcome.reason);
      this.#d.logger.info({ user: username.slice(0, 64), outcome: outcome.reason }, 'login refused');
      this.#gw.loginPage(req, res, url, secure, undefined, outcome.reason === 'account_invalid' ? ACCOUNT_INVALID : LOGIN_FAILED, outcome.reason === 'account_invalid' ? 403 : 401);
      return;
    }
    await this.#startAndRedirect(req, res, secure, outcome.user, 'forms', url, false);
  }

  /**
   * Counts a login attempt against the failed-login limits before the
   * password is checked. Undefined after answering the request itself: 429
   * while a limit holds, 503 when the counter store cannot answer (a brake
   * that gives way under trouble would be no brake).
   */
  async beginAttempt(res: ServerResponse, method: 'forms' | 'basic', username: string, client: string, url: string): Promise<LoginAttempt | undefined> {
    let r: Awaited<ReturnType<LoginThrottle['begin']>>;
    try {
      r = await this.throttle.begin(username, client);
    } catch (err) {
      this.#d.logger.error({ err }, 'login refused: the failed-login counters did not answer');
      sendHtml(res, 503, this.#d.pages.render('unavailable', { URL: url, ERROR: 'Logins are not possible just now. Try again in a moment.' }), { 'retry-after': '5' });
      return undefined;
    }
    if (!r.blocked) return r;
    this.#d.metrics?.login(method, 'throttled');
    this.#d.logger.warn({ user: username.slice(0, 64), client, method, retryAfter: r.retryAfterSeconds }, 'login refused: too many failed attempts');
    sendTooManyAttempts(res, this.#d.pages, url, r.retryAfterSeconds);
    return undefined;
  }

  /** Settles an attempt's counts; a failure to record is logged, never turned into a different answer. */
  async settleAttempt(attempt: LoginAttempt, ok: boolean): Promise<void> {
    try {
      await (ok ? attempt.succeeded() : attempt.failed());
    } catch (err) {
      this.#d.logger.error({ err }, 'the failed-login counters did not record a login outcome');
    }
  }

  /** A cross-site POST to one of our forms: 403 and true. */
  #refusedCrossSite(req: IncomingMessage, res: ServerResponse): boolean {
    const reason = crossSiteReason(req);
    if (reason === undefined) return false;
    req.resume();
    this.#d.logger.warn({ path: req.url?.slice(0, 64), client: clientAddress(req) }, `cross-site form post refused: ${reason}`);
    sendHtml(res, 403, this.#d.pages.render('forbidden', {
      ERROR: `This request was refused because ${reason}. Open the login page of this site and sign in there.`,
    }));
    return true;
  }

  /**
   * Ends the browser's previous session (a new session ID at every login),
   * then starts one under the concurrent-sessions policy.
   */
  async #startAndRedirect(req: IncomingMessage, res: ServerResponse, secure: boolean, user: UserRecord, method: AuthMethod, url: string, displace: boolean): Promise<void> {
    const name = this.#gw.cookieName(secure);
    const old = readCookie(req.headers.cookie, name);
    if (old !== undefined) await this.endOldSession(old);
    let r: Awaited<ReturnType<SessionStarter['start']>>;
    try {
      r = await this.starter.start(user, method, displace);
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
        recordOf(res)?.authenticated(r.session);
        this.#d.logger.info({ user: user.id, method, displaced: r.displaced || undefined }, 'login');
        return;
      case 'prompt_displacement': {
        this.#d.metrics?.login(method, 'prompt_displacement');
        const sealed = this.#pending.seal({ loginId: user.id, url, method: method === 'basic' ? 'basic' : 'forms' });
        sendHtml(res, 200, this.#d.pages.render('too_many_sessions', { USERNAME: user.id, URL: url }), {
          'set-cookie': `${PENDING_COOKIE}=${sealed}; Path=/pkmsdisplace; HttpOnly; SameSite=Strict; Max-Age=${this.#pending.lifetimeSeconds}${secure ? '; Secure' : ''}`,
        });
        return;
      }
      case 'account_invalid':
        this.#d.metrics?.login(method, 'account_invalid');
        this.#d.logger.info({ user: user.id, outcome: 'account_invalid' }, 'login refused: the account is invalidated in the fleet');
        this.#gw.loginPage(req, res, url, secure, undefined, ACCOUNT_INVALID, 403);
        return;
      case 'unavailable':
        this.#d.metrics?.login(method, 'unavailable');
        sendHtml(res, 503, this.#d.pages.render('session_unavailable', { URL: url, ERROR: 'Logins are not possible while the session service is unavailable.' }), { 'retry-after': '2' });
        return;
      case 'denied_too_many':
        this.#d.metrics?.login(method, 'too_many_sessions');
        this.#d.logger.info({ user: user.id, limit: r.limit }, 'login denied: concurrent session limit');
        sendHtml(res, 403, this.#d.pages.render('login_denied_too_many', { USERNAME: user.id, URL: url }));
        return;
    }
  }

  /** A new login ends the browser's previous session (a new session ID at every login, on every host). */
  async endOldSession(sid: string): Promise<void> {
    const local = this.#d.cache.validate(sid, { touch: false });
    if (this.#d.fleet === undefined) { this.#d.cache.logout(sid); return; }
    const f = local.valid ? local : await this.#d.fleet.resolve(sid, local);
    if (f.valid) await this.#d.fleet.logout(sid, f.session);
  }

  async #logout(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    req.resume();
    const name = this.#gw.cookieName(secure);
    const sid = readCookie(req.headers.cookie, name);
    let user = 'unauthenticated';
    if (sid !== undefined) {
      const r = this.#d.cache.validate(sid, { touch: false });
      if (r.valid) user = r.session.loginId;
      if (this.#d.fleet !== undefined) {
        // In a fleet the session may live only in Redis: end it there (every host hears of it).
        const f = r.valid ? r : await this.#d.fleet.resolve(sid, r);
        if (f.valid) {
          user = f.session.loginId;
          if (await this.#d.fleet.logout(sid, f.session)) this.#d.logger.info({ user }, 'logout');
        }
      } else if (this.#d.cache.logout(sid)) this.#d.logger.info({ user }, 'logout');
    }
    const headers: Record<string, string> = {};
    if (this.#d.config.session['logout-remove-cookie']) headers['set-cookie'] = clearCookie(name, { secure });
    sendHtml(res, 200, this.#d.pages.render('logout', { USERNAME: user }), headers);
  }

  /**
   * The answer to the too-many-sessions page: POST only (a link, an image or
   * a prefetch must not end sessions), from this site only, and once: the
   * pending login's nonce is consumed across all workers by either answer,
   * so a captured value cannot be replayed, not even after "cancel".
   */
  async #displace(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      sendHtml(res, 405, this.#d.pages.render('bad_request', { ERROR: 'Answer the login prompt with its buttons: /pkmsdisplace takes POST only.' }), { allow: 'POST' });
      return;
    }
    if (this.#refusedCrossSite(req, res)) return;
    let form = new URLSearchParams();
    try { form = await readForm(req, formLimits(this.#d.config)); } catch (err) { if (!(err instanceof BodyError)) throw err; }
    const pending = this.#pending.open(readCookie(req.headers.cookie, PENDING_COOKIE));
    res.setHeader('set-cookie', clearCookie(PENDING_COOKIE, { secure, path: '/pkmsdisplace' }));
    const cancel = new URL(req.url ?? '/', 'http://x').searchParams.has('cancel') || form.has('cancel');
    const fresh = pending !== undefined && await this.#firstAnswer(pending);
    const fallback = this.#d.config['acnt-mgt']['login-redirect-page'];
    if (cancel) {
      sendHtml(res, 200, this.#d.pages.render('login', { URL: pending?.url ?? fallback, ERROR: 'The new login was cancelled; your existing session is unchanged.' }));
      return;
    }
    if (!fresh) { this.#gw.loginPage(req, res, pending?.url ?? fallback, secure, undefined, PENDING_EXPIRED, 401); return; }
    const user = this.#d.registry.lookup(pending.loginId);
    if (user === undefined || !user.accountValid) {
      this.#gw.loginPage(req, res, pending.url, secure, undefined, user === undefined ? LOGIN_FAILED : ACCOUNT_INVALID, 403);
      return;
    }
    await this.#startAndRedirect(req, res, secure, user, pending.method, pending.url, true);
  }

  /** Whether this is the first answer to the prompt (false also when the store cannot say: fail closed). */
  async #firstAnswer(pending: OpenedPendingLogin): Promise<boolean> {
    try {
      const first = await this.#answered.consume(pending.nonce, (pending.expires - Date.now()) / 1000 + 1);
      if (!first) this.#d.logger.warn({ user: pending.loginId }, 'a pending login was presented again: refused');
      return first;
    } catch (err) {
      this.#d.logger.error({ err }, 'pending login refused: the counter store did not answer');
      return false;
    }
  }
}

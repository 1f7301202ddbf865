// gateway.ts -- the request pipeline: each request takes one way through,
// parse cookie -> validate in the table -> add identity headers -> forward.
// A request with no valid session gets the login page (saying why its old
// session ended), or HTTP basic authentication where configured. The pkms
// endpoints (login, logout, displacement) live in pkms.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import fs from 'node:fs';
import type { JunctionConfig } from '../config/types.js';
import type { SessionView } from '../session/cache.js';
import type { InvalidReason } from '../session/reasons.js';
import { clearCookie, readCookie } from './cookies.js';
import { credentialFromRecord, credentialFromSession, userSessionIdString, type SessionCredential } from './credential.js';
import { EaiTrigger } from './eai.js';
import { clientAddress, sendHtml } from './http-util.js';
import { IdentityHeaders, reservedHeaderNames } from './identity-headers.js';
import { Junction, type ForwardContext, type ForwardFailure } from './junction.js';
import type { ResponseHeaders } from './forward-headers.js';
import type { PageName } from './pages.js';
import { reasonText } from './reason-text.js';
import { canonicalPath } from './request-path.js';
import type { FleetValidation } from '../dsc/fleet.js';
import { fleetUserSessionId } from '../dsc/fleet-usid.js';
import { Pkms } from './pkms.js';
import type { GatewayDeps, LoginResponder } from './login-deps.js';
import { BasicAuth } from './basic-auth.js';
import { RequestTracker } from './request-tracker.js';
import { PKMS_JUNCTION, recordOf, type RequestOutcome, type RequestRecord } from './request-record.js';
import type { JunctionServer } from './junction.js';

const AMBIGUOUS_PATH = 'The request path could be read differently by a back-end (dot-segments, encoded slashes or backslashes, control bytes, path parameters next to dots).';

interface Route {
  point: string;
  junction: Junction;
  config: JunctionConfig;
  identity: IdentityHeaders;
  eai: EaiTrigger;
}

const FAILURE_PAGES: Record<ForwardFailure, [number, PageName]> = {
  bad_gateway: [502, 'bad_gateway'],
  unavailable: [503, 'unavailable'],
  timeout: [504, 'gateway_timeout'],
};

/** The access log's outcome for the gateway's own pages (the login page sets its own). */
const PAGE_OUTCOMES: Partial<Record<PageName, RequestOutcome>> = {
  bad_request: 'refused',
  not_found: 'not_found',
  session_unavailable: 'session_unavailable',
  bad_gateway: 'backend_failure',
  unavailable: 'backend_failure',
  gateway_timeout: 'backend_failure',
};

/** One validation in this many is timed for gatehouse_validate_seconds (a power of two). */
export const VALIDATE_SAMPLE = 64;

export class Gateway implements LoginResponder {
  readonly #d: GatewayDeps;
  readonly #routes: Route[];
  readonly #credentials = new WeakMap<SessionView, SessionCredential>();
  readonly #pkms: Pkms;
  readonly #basic: BasicAuth;
  readonly #tracker: RequestTracker;
  readonly #tcpCookie: string;
  #validations = 0;
  readonly #sslCookie: string;

  constructor(deps: GatewayDeps) {
    this.#d = deps;
    const { config } = deps;
    this.#tcpCookie = config.session['tcp-session-cookie-name'];
    this.#sslCookie = config.session['ssl-session-cookie-name'];
    const reserved = reservedHeaderNames(config);
    const requestIdHeader = config['header-names']['request-id'].toLowerCase();
    this.#tracker = new RequestTracker({ requestIdHeader, metrics: deps.metrics, accessLog: deps.accessLog });
    const record = deps.recordEai ?? (() => {});
    this.#routes = Object.entries(config.junctions)
      .sort(([a], [b]) => b.length - a.length)  // longest point first
      .map(([point, j]) => ({
        point,
        config: j,
        junction: new Junction({
          point,
          servers: j.servers,
          stripPoint: j['strip-point'],
          connectTimeoutMs: j['connect-timeout'] * 1000,
          responseTimeoutMs: j['response-timeout'] * 1000,
          failureBackoffMs: j['failure-backoff'] * 1000,
          ...(j['ca-file'] ? { tls: { ca: fs.readFileSync(j['ca-file']) } } : {}),
          sessionCookieNames: [this.#tcpCookie, this.#sslCookie],
          reservedHeaders: reserved,
          ...(requestIdHeader !== '' ? { requestIdHeader } : {}),
        }),
        identity: new IdentityHeaders(j, config['header-names'], config.server['pdadmin-server-name']),
        eai: new EaiTrigger(point, j, deps.engine, deps.logger, record),
      }));
    this.#pkms = new Pkms(deps, this);
    this.#basic = new BasicAuth(deps, this.#pkms, this);
  }

  cookieName(secure: boolean): string {
    return secure ? this.#sslCookie : this.#tcpCookie;
  }

  /** Every junction's servers and whether each is up (gatehouse_backend_up). */
  backendHealth(): Array<JunctionServer & { junction: string }> {
    return this.#routes.flatMap((r) => r.junction.servers().map((s) => ({ junction: r.point, ...s })));
  }

  /** The 'request' listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const rec = this.#tracker.begin(req, res);
    const url = req.url ?? '';
    if (url.charCodeAt(0) !== 47 /* / */) { this.#page(res, 400, 'bad_request', { ERROR: 'The request target must be a path.' }); return; }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const canonical = canonicalPath(path);
    if (canonical === undefined) { this.#page(res, 400, 'bad_request', { ERROR: AMBIGUOUS_PATH }); return; }
    if (path.startsWith('/pkms') || canonical.startsWith('/pkms')) {
      rec.junction = PKMS_JUNCTION;
      this.#pkms.handle(req, res, path).catch((err) => this.#internal(res, err));
      return;
    }
    const route = this.#route(path, canonical);
    if (route === null) { this.#page(res, 400, 'bad_request', { ERROR: AMBIGUOUS_PATH }); return; }
    if (route === undefined) { this.#page(res, 404, 'not_found', { URL: url }); return; }
    rec.junction = route.point;
    const secure = (req.socket as TLSSocket).encrypted === true;
    const sid = readCookie(req.headers.cookie, this.cookieName(secure));
    if (sid === undefined) { this.#answer(req, res, rec, route, url, path, canonical, secure, undefined); return; }
    // The latency histogram samples one validation in VALIDATE_SAMPLE: timing
    // every one would cost more than the validation itself.
    const timed = this.#d.metrics !== undefined && (++this.#validations & (VALIDATE_SAMPLE - 1)) === 0;
    const started = timed ? process.hrtime.bigint() : 0n;
    const r = this.#d.cache.validate(sid);
    if (timed) this.#d.metrics!.validated(started);
    const fleet = this.#d.fleet;
    if (fleet !== undefined) {
      // In a fleet the table is a near-cache: what it does not settle, Redis does.
      if (!r.valid || !fleet.trusted) {
        fleet.resolve(sid, r).then((f) => this.#answer(req, res, rec, route, url, path, canonical, secure, f))
          .catch((err) => this.#internal(res, err));
        return;
      }
      fleet.accessed(sid, r.session);
    }
    this.#answer(req, res, rec, route, url, path, canonical, secure, r);
  };

  /** The rest of a request once its cookie is judged (undefined: no cookie). */
  #answer(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, route: Route, url: string, path: string, canonical: string, secure: boolean,
    r: FleetValidation | undefined): void {
    let stale: InvalidReason | undefined;
    if (r !== undefined) {
      if (r.valid) {
        const cred = this.#credential(r.session);
        if (cred !== undefined) { rec.authenticated(r.session); this.#forward(req, res, rec, route, path, canonical, cred, secure); return; }
        stale = 'terminated';
      } else if (r.reason === 'unavailable') {
        // Fail closed: a session that cannot be verified is never served; a public junction needs none.
        if (route.config.public) { this.#forward(req, res, rec, route, path, canonical, null, secure); return; }
        this.#page(res, 503, 'session_unavailable', { URL: url, ERROR: 'The session service is temporarily unavailable.' }, { 'retry-after': '2' });
        return;
      } else {
        stale = r.reason;
      }
    }
    if (this.#basic.enabledFor(secure) && req.headers.authorization !== undefined) {
      this.#basic.login(req, res, url, secure, stale).then((view) => {
        if (view === undefined) return;
        const cred = this.#credential(view);
        if (cred !== undefined) { rec.authenticated(view); this.#forward(req, res, rec, route, path, canonical, cred, secure); }
        else this.loginPage(req, res, url, secure, 'terminated');
      }).catch((err) => this.#internal(res, err));
      return;
    }
    if (route.config.public) { this.#forward(req, res, rec, route, path, canonical, null, secure); return; }
    this.loginPage(req, res, url, secure, stale);
  }

  /** The login page for a request without a valid session; a stale cookie is removed and explained. */
  loginPage(req: IncomingMessage, res: ServerResponse, url: string, secure: boolean, stale: InvalidReason | undefined, error = '', status?: number): void {
    const headers: Record<string, string | string[]> = {};
    if (stale !== undefined) headers['set-cookie'] = clearCookie(this.cookieName(secure), { secure });
    if (this.#basic.enabledFor(secure)) headers['www-authenticate'] = this.#basic.challenge;
    const explained = stale !== undefined && stale !== 'unknown';
    const rec = recordOf(res);
    if (rec !== undefined) {
      rec.outcome = explained ? 'reason_page' : 'login_page';
      rec.reason = explained ? stale : undefined;
    }
    this.#page(res, status ?? (this.#basic.enabledFor(secure) ? 401 : 200), 'login', {
      URL: url,
      ERROR: error,
      USERNAME: 'unauthenticated',
      OLDSESSION: stale === undefined ? '' : '1',
      OLDSESSION_REASON: explained ? reasonText(stale) : '',
      OLDSESSION_REASON_CODE: explained ? stale : '',
    }, headers);
  }

  /** The 'upgrade' listener (WebSocket): a valid session or a public junction, never a login page. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const rec = this.#tracker.beginUpgrade(req, socket);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const canonical = url.startsWith('/') ? canonicalPath(path) : undefined;
    if (canonical === undefined) { rejectUpgrade(rec, socket, 400, 'Bad Request', 'refused'); return; }
    const route = path.startsWith('/pkms') || canonical.startsWith('/pkms') ? undefined : this.#route(path, canonical);
    if (route === null) { rejectUpgrade(rec, socket, 400, 'Bad Request', 'refused'); return; }
    if (route === undefined) { rejectUpgrade(rec, socket, 404, 'Not Found', 'not_found'); return; }
    rec.junction = route.point;
    const secure = (req.socket as TLSSocket).encrypted === true;
    const sid = readCookie(req.headers.cookie, this.cookieName(secure));
    if (sid === undefined) { this.#upgradeAs(req, socket, head, rec, route, path, canonical, secure, undefined); return; }
    const r = this.#d.cache.validate(sid);
    const fleet = this.#d.fleet;
    if (fleet !== undefined && (!r.valid || !fleet.trusted)) {
      fleet.resolve(sid, r).then((f) => this.#upgradeAs(req, socket, head, rec, route, path, canonical, secure, f),
        (err: unknown) => {
          this.#d.logger.error({ err, requestId: rec.id }, 'upgrade failed');
          rejectUpgrade(rec, socket, 500, 'Internal Server Error', 'error');
        });
      return;
    }
    this.#upgradeAs(req, socket, head, rec, route, path, canonical, secure, r);
  };

  #upgradeAs(req: IncomingMessage, socket: Duplex, head: Buffer, rec: RequestRecord, route: Route, path: string, canonical: string, secure: boolean,
    r: FleetValidation | undefined): void {
    let cred: SessionCredential | null | undefined;
    if (r !== undefined && r.valid) cred = this.#credential(r.session);
    if (r !== undefined && !r.valid && r.reason === 'unavailable' && !route.config.public) {
      rejectUpgrade(rec, socket, 503, 'Service Unavailable', 'session_unavailable');
      return;
    }
    if (cred === undefined && route.config.public) cred = null;
    if (cred === undefined) { rejectUpgrade(rec, socket, 401, 'Unauthorized', 'login_page'); return; }
    if (cred !== null && r !== undefined && r.valid) rec.authenticated(r.session);
    const clientAddr = clientAddress(req);
    const sentAt = performance.now();
    route.junction.upgrade(req, socket, head, {
      clientAddress: clientAddr,
      secure,
      identity: route.identity.build(cred, clientAddr),
      requestId: rec.id,
      // The same EAI handling as every other response (101 or a refused upgrade).
      onResponseHeaders: (status, headers) => {
        rec.upgradeStatus = status;
        rec.upstreamMs = performance.now() - sentAt;
        rec.outcome = 'proxied';
        route.eai.handle(path, canonical, headers, clientAddr);
      },
      onFailure: (kind, detail) => {
        this.#d.logger.warn({ junction: route.point, failure: kind, detail, requestId: rec.id }, 'back-end failure');
        rejectUpgrade(rec, socket, FAILURE_PAGES[kind][0], kind, 'backend_failure');
      },
    });
  }

  #match(path: string): Route | undefined {
    for (const r of this.#routes) if (r.junction.matches(path)) return r;
    return undefined;
  }

  /**
   * The junction for a path, decided on both the literal and the canonical
   * (decoded) path; null when the two disagree (`/%61pp/x` or `/app;x/y`
   * under a `/` junction): a back-end would serve another junction's resource.
   */
  #route(path: string, canonical: string): Route | null | undefined {
    const route = this.#match(path);
    if (canonical === path) return route;
    return this.#match(canonical) === route ? route : null;
  }

  /**
   * The credential a valid session runs under: frozen at login, or read from
   * the registry again after `refresh all_sessions`. Undefined when a
   * refresh finds the account gone or invalid: the session is ended then.
   */
  #credential(view: SessionView): SessionCredential | undefined {
    if (view.refreshNeeded) {
      const user = this.#d.registry.lookup(view.loginId);
      if (user === undefined || !user.accountValid) {
        this.#d.cache.terminateSession(view.userSessionId);
        this.#d.fleet?.terminate(view).catch((err: unknown) => this.#d.logger.error({ err: String(err) }, 'could not end an invalid account\'s session in the session store'));
        return undefined;
      }
      return credentialFromRecord(user, userSessionIdString(this.#d.config.server['server-name'], fleetUserSessionId(view)));
    }
    let c = this.#credentials.get(view);
    if (c === undefined) {
      c = credentialFromSession(view, userSessionIdString(this.#d.config.server['server-name'], fleetUserSessionId(view)));
      this.#credentials.set(view, c);
    }
    return c;
  }

  #forward(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, route: Route, path: string, canonical: string, cred: SessionCredential | null, secure: boolean): void {
    // Where the proxy takes basic authentication, the Authorization header is
    // its own credential (the user's password): never passed on (the reference's `-b filter`).
    if (req.headers.authorization !== undefined && this.#basic.enabledFor(secure)) dropHeader(req, 'authorization');
    const addr = clientAddress(req);
    route.junction.forward(req, res, new RouteForward(route, path, canonical, addr, secure, route.identity.build(cred, addr), req, res, rec, this.#failurePage));
  }

  /** The 502/503/504 page for a request whose back-end failed before answering. */
  readonly #failurePage = (route: Route, req: IncomingMessage, res: ServerResponse, kind: ForwardFailure, detail: string): void => {
    this.#d.logger.warn({ junction: route.point, failure: kind, detail, requestId: recordOf(res)?.id }, 'back-end failure');
    const [status, page] = FAILURE_PAGES[kind];
    this.#page(res, status, page, { URL: req.url ?? '/', ERROR_TEXT: kind.replace('_', ' ') });
  };

  #page(res: ServerResponse, status: number, name: PageName, macros: Record<string, string>, headers: Record<string, string | string[]> = {}): void {
    const outcome = PAGE_OUTCOMES[name];
    if (outcome !== undefined) { const rec = recordOf(res); if (rec !== undefined) rec.outcome = outcome; }
    sendHtml(res, status, this.#d.pages.render(name, macros), headers);
  }

  #internal(res: ServerResponse, err: unknown): void {
    const rec = recordOf(res);
    this.#d.logger.error({ err, requestId: rec?.id }, 'request failed');
    if (!res.headersSent) this.#page(res, 500, 'bad_request', { ERROR: 'The server could not process the request.' });
    else res.destroy();
    if (rec !== undefined) rec.outcome = 'error';
  }

  async close(): Promise<void> {
    await Promise.all(this.#routes.map((r) => r.junction.close()));
  }
}

type FailurePage = (route: Route, req: IncomingMessage, res: ServerResponse, kind: ForwardFailure, detail: string) => void;

/** One request's context for its junction: an object per request rather than a literal and two closures. */
class RouteForward implements ForwardContext {
  readonly #route: Route;
  readonly #path: string;
  readonly #canonical: string;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #record: RequestRecord;
  readonly #failurePage: FailurePage;
  readonly #sentAt: number;
  readonly clientAddress: string;
  readonly secure: boolean;
  readonly identity: Readonly<Record<string, string>>;
  readonly requestId: string;

  constructor(route: Route, path: string, canonical: string, clientAddress: string, secure: boolean, identity: Readonly<Record<string, string>>,
    req: IncomingMessage, res: ServerResponse, record: RequestRecord, failurePage: FailurePage) {
    this.#route = route;
    this.#path = path;
    this.#canonical = canonical;
    this.clientAddress = clientAddress;
    this.secure = secure;
    this.identity = identity;
    this.#req = req;
    this.#res = res;
    this.#record = record;
    this.requestId = record.id;
    this.#failurePage = failurePage;
    this.#sentAt = performance.now();
  }

  onResponseHeaders(_status: number, headers: ResponseHeaders): void {
    const rec = this.#record;
    rec.upstreamMs = performance.now() - this.#sentAt;
    rec.outcome = 'proxied';
    rec.relayedBytes = 0;
    this.#route.eai.handle(this.#path, this.#canonical, headers, this.clientAddress);
  }

  onResponseData(bytes: number): void {
    this.#record.relayedBytes = (this.#record.relayedBytes ?? 0) + bytes;
  }

  onFailure(kind: ForwardFailure, detail: string): void {
    this.#failurePage(this.#route, this.#req, this.#res, kind, detail);
  }
}

/** Removes a header from a request before it is forwarded (the junction copies rawHeaders). */
function dropHeader(req: IncomingMessage, name: string): void {
  delete req.headers[name];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === name) raw.splice(i, 2);
}

/** Answers an Upgrade request with an error status (no body) and closes the connection. */
function rejectUpgrade(rec: RequestRecord, socket: Duplex, status: number, text: string, outcome: RequestOutcome): void {
  rec.outcome = outcome;
  if (!socket.writable) { socket.destroy(); return; }
  rec.upgradeStatus = status;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

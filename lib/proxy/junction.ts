// junction.ts -- a junction (the reference's term): a path prefix such as
// /app mapped to one or more back-end servers. The request pipeline decides
// who the user is; a Junction carries the request to a server and the answer
// back: path stripping, header rules (forward-headers.ts), round robin and
// passive health (backend-pool.ts), streaming (forward-http.ts), upgrades
// (upgrade.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../session/errors.js';
import { BackendPool, type Backend, type BackendTls } from './backend-pool.js';
import type { ForwardContext, ForwardFailure, ForwardPlan, UpgradeContext } from './forward-context.js';
import { requestHeaders, reservedHeaderSet } from './forward-headers.js';
import { HttpExchange } from './forward-http.js';
import { requestIdFrom } from './request-id.js';
import { UpgradeExchange } from './upgrade.js';

export type { ForwardContext, ForwardFailure, UpgradeContext } from './forward-context.js';
export { isReservedHeader } from './forward-headers.js';

export interface JunctionOptions {
  /** '/app' or '/'; matched on a path-segment boundary, case-sensitively, on the raw path. */
  point: string;
  /** 'http://127.0.0.1:9000', 'https://...' (at least one). */
  servers: readonly string[];
  /** Default true: /app/x reaches the server as /x (the reference's standard junction). */
  stripPoint?: boolean;
  /** Default 5000. 0 = no limit (here and below). */
  connectTimeoutMs?: number;
  /** Default 120000: time to response headers, else 504. */
  responseTimeoutMs?: number;
  /** Body idle timeout both ways (and for upgraded connections), default 120000. */
  idleTimeoutMs?: number;
  /** Default 10000: a server that failed a connect is skipped this long. */
  failureBackoffMs?: number;
  tls?: BackendTls;
  /** Removed from the forwarded Cookie header: back-ends never see the session cookie. */
  sessionCookieNames?: readonly string[];
  /** Extra identity header names to strip from client requests (case-insensitive, `_` = `-`). */
  reservedHeaders?: readonly string[];
  /**
   * Send every request's ID (ForwardContext.requestId) in this header; the
   * client's own header of that name is never passed on as it came. Default: none.
   */
  requestIdHeader?: string;
}

/** One server of a junction, as its passive health last saw it. */
export interface JunctionServer {
  /** `http://host:port`. */
  readonly server: string;
  /** False after a failed connection or a response timeout, until the server next answers. */
  readonly up: boolean;
}

const POINT = /^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

function fail(point: unknown, message: string): never {
  throw new InvalidArgumentError(`junction ${typeof point === 'string' ? point : '(no point)'}: ${message}`);
}

function millis(point: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS)
    fail(point, `${name} must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}`);
  return value;
}

function serverUrl(point: string, s: unknown): URL {
  let u: URL | undefined;
  try { u = typeof s === 'string' ? new URL(s) : undefined; } catch { u = undefined; }
  if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname !== '/' || u.search !== ''
    || u.hash !== '' || u.username !== '' || u.password !== '')
    fail(point, `server ${JSON.stringify(s)} is not an http(s)://host:port URL without path, query or credentials`);
  return u;
}

function names(point: string, what: string, value: unknown, pattern: RegExp): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !pattern.test(v)))
    fail(point, `${what} must be a list of names matching ${pattern}`);
  return value as string[];
}

function checkTls(point: string, tls: unknown): BackendTls | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null) fail(point, 'tls must be an object');
  const t = tls as Record<string, unknown>;
  if (t.ca !== undefined && typeof t.ca !== 'string' && !Buffer.isBuffer(t.ca)) fail(point, 'tls.ca must be PEM text or a Buffer');
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') fail(point, 'tls.rejectUnauthorized must be true or false');
  if (t.servername !== undefined && (typeof t.servername !== 'string' || t.servername === '')) fail(point, 'tls.servername must be a host name');
  return t as BackendTls;
}

export class Junction {
  readonly point: string;
  readonly #strip: boolean;
  readonly #idleMs: number;
  readonly #pool: BackendPool;
  readonly #cookies: ReadonlySet<string>;
  readonly #reserved: ReadonlySet<string>;
  readonly #requestIdHeader: string | undefined;
  readonly #tunnels = new Set<Duplex>();
  #closed = false;

  /** Validates everything; throws InvalidArgumentError naming the junction and the problem. */
  constructor(options: JunctionOptions) {
    if (typeof options !== 'object' || options === null) fail(undefined, 'options must be an object');
    const point = options.point;
    if (typeof point !== 'string' || !POINT.test(point))
      fail(point, 'point must be / or a path like /app or /apps/hr (letters, digits, . _ ~ -), without a trailing /');
    if (!Array.isArray(options.servers) || options.servers.length === 0) fail(point, 'needs at least one server');
    const servers = options.servers.map((s) => serverUrl(point, s));
    if (options.stripPoint !== undefined && typeof options.stripPoint !== 'boolean') fail(point, 'stripPoint must be true or false');
    this.point = point;
    this.#strip = options.stripPoint ?? true;
    this.#idleMs = millis(point, 'idleTimeoutMs', options.idleTimeoutMs, 120_000);
    this.#cookies = new Set(names(point, 'sessionCookieNames', options.sessionCookieNames, TOKEN));
    const requestId = options.requestIdHeader;
    if (requestId !== undefined && (typeof requestId !== 'string' || !TOKEN.test(requestId))) fail(point, `requestIdHeader must be a header name matching ${TOKEN}`);
    this.#requestIdHeader = requestId?.toLowerCase();
    this.#reserved = reservedHeaderSet([...names(point, 'reservedHeaders', options.reservedHeaders, TOKEN), ...(requestId !== undefined ? [requestId] : [])]);
    this.#pool = new BackendPool(servers, {
      connectTimeoutMs: millis(point, 'connectTimeoutMs', options.connectTimeoutMs, 5_000),
      responseTimeoutMs: millis(point, 'responseTimeoutMs', options.responseTimeoutMs, 120_000),
      idleTimeoutMs: this.#idleMs,
      failureBackoffMs: millis(point, 'failureBackoffMs', options.failureBackoffMs, 10_000),
      tls: checkTls(point, options.tls),
    });
  }

  /** True when the raw (not percent-decoded) path lies under this junction point. */
  matches(pathname: string): boolean {
    if (this.point === '/') return pathname.startsWith('/');
    return pathname.startsWith(this.point) && (pathname.length === this.point.length || pathname[this.point.length] === '/');
  }

  /** Sends the request to a server and streams the answer into `res`. Never throws. */
  forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): void {
    if (res.destroyed) return; // the client left while the pipeline was deciding
    try {
      if (req.method === 'CONNECT') { ctx.onFailure('bad_gateway', 'CONNECT is not forwarded through a junction'); return; }
      const plan = this.#plan(req, ctx, false);
      if (plan !== undefined) new HttpExchange(plan.plan, plan.candidates, req, res, ctx).start();
    } catch (err) {
      refused(ctx, err, res);
    }
  }

  /** Forwards an Upgrade request (WebSocket), then pipes the two sockets. Never throws. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
    if (socket.destroyed) return;
    try {
      const plan = this.#plan(req, ctx, true);
      if (plan === undefined) return;
      if (plan.upgrade === undefined) { ctx.onFailure('bad_gateway', 'the request has no Upgrade header'); return; }
      new UpgradeExchange(plan.plan, plan.candidates, req, socket, head, plan.upgrade, ctx, this.#tunnels).start();
    } catch (err) {
      refused(ctx, err, socket);
    }
  }

  /** Each server and whether it is up (for health metrics). */
  servers(): JunctionServer[] {
    return this.#pool.servers.map((b) => ({ server: b.origin, up: b.up }));
  }

  /** Ends upgraded connections, waits for plain requests in flight, closes the pools. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#tunnels) s.destroy();
    this.#tunnels.clear();
    await this.#pool.close();
  }

  /** What to send where; undefined after onFailure was called. */
  #plan(req: IncomingMessage, ctx: UpgradeContext, upgrade: boolean):
    { plan: ForwardPlan; candidates: Backend[]; upgrade: string | undefined } | undefined {
    if (this.#closed) { ctx.onFailure('unavailable', `junction ${this.point} is closed`); return undefined; }
    const path = this.#targetPath(req.url);
    if (path === undefined) { ctx.onFailure('bad_gateway', `the request path is not under junction ${this.point}`); return undefined; }
    const h = requestHeaders({
      rawHeaders: req.rawHeaders,
      clientAddress: ctx.clientAddress,
      secure: ctx.secure,
      identity: ctx.identity,
      sessionCookieNames: this.#cookies,
      reserved: this.#reserved,
    });
    const idHeader = this.#requestIdHeader;
    if (idHeader !== undefined) h.headers.push(idHeader, ctx.requestId ?? requestIdFrom(req.headers[idHeader]));
    h.headers.push('host', '');  // last, so each attempt sets its server's (withHost)
    const candidates = this.#pool.candidates();
    if (candidates.length === 0) {
      ctx.onFailure('unavailable', `every server of junction ${this.point} is marked down`);
      return undefined;
    }
    return {
      plan: { point: this.point, pool: this.#pool, path, headers: h.headers, idleTimeoutMs: this.#idleMs },
      candidates,
      upgrade: upgrade ? h.upgrade : undefined,
    };
  }

  /** The request target at the back-end: the point stripped (standard junction) or kept. */
  #targetPath(url: string | undefined): string | undefined {
    if (url === undefined || url === '') return undefined;
    let target = url;
    if (!target.startsWith('/')) {
      // absolute-form (GET http://host/app/x): only its path and query matter here.
      try { const u = new URL(target); target = u.pathname + u.search; } catch { return undefined; }
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if (!this.matches(path)) return undefined;
    if (!this.#strip || this.point === '/') return target;
    const rest = path.slice(this.point.length);
    return (rest === '' ? '/' : rest) + (q < 0 ? '' : target.slice(q));
  }
}

type Failing = { onFailure(kind: ForwardFailure, detail: string): void };

/**
 * A synchronous throw: argument checks (a header undici will not send) or a
 * broken context. If the pipeline's onFailure throws too, the connection is cut.
 */
function refused(ctx: Failing, err: unknown, client: { destroy(): unknown }): void {
  try {
    ctx.onFailure('bad_gateway', `request refused: ${err instanceof Error ? err.message : String(err)}`);
  } catch {
    client.destroy();
  }
}

// forward-context.ts -- what the request pipeline hands the junction for one
// request (identity, client facts, callbacks) and how transport errors map
// to the three failures the pipeline renders (502, 503, 504).
import type { BackendPool, Backend } from './backend-pool.js';
import { EAI_TASK_HEADER, responseHeaders, type ResponseHeaders } from './forward-headers.js';

/** bad_gateway = 502, unavailable = 503, timeout = 504. */
export type ForwardFailure = 'bad_gateway' | 'unavailable' | 'timeout';

export interface ForwardContext {
  /** The client's address, appended to X-Forwarded-For. */
  clientAddress: string;
  /** The client came over TLS: X-Forwarded-Proto https. */
  secure: boolean;
  /** Identity headers to add (iv-user, iv-groups, ...) after the client's were stripped. */
  identity: Record<string, string>;
  /**
   * The request's ID, sent in the junction's request-ID header (when it has
   * one) in place of whatever the client sent there. Default: the client's
   * own when sane (request-id.ts), else a new one.
   */
  requestId?: string;
  /** Called with the size of each piece of the back-end's response body as it is relayed. */
  onResponseData?(bytes: number): void;
  /**
   * May mutate `headers` (the EAI hook removes am-eai-server-task); called
   * before anything of the response reaches the client, on every response
   * path: plain, back-end error pages, 101 and refused upgrades.
   */
  onResponseHeaders?(status: number, headers: Record<string, string | string[]>): void;
  /** Nothing has been sent to the client yet: the pipeline renders the 502/503/504 page. */
  onFailure(kind: ForwardFailure, detail: string): void;
}

export type UpgradeContext = Omit<ForwardContext, 'onFailure'> & {
  /** Nothing has been written to the socket yet: the pipeline writes the error response. */
  onFailure(kind: ForwardFailure, detail: string): void;
};

/** What forward-http and upgrade need from the junction for one request. */
export interface ForwardPlan {
  readonly point: string;
  readonly pool: BackendPool;
  /** Request target at the back-end (path and query). */
  readonly path: string;
  /**
   * Headers for the back-end as a flat name/value list ending with the Host
   * pair, whose value each attempt sets to its server's (withHost).
   */
  readonly headers: string[];
  readonly idleTimeoutMs: number;
}

/** The plan's headers with Host set for `backend`: one list per request, reused by a retry. */
export function withHost(plan: ForwardPlan, backend: Backend): string[] {
  const h = plan.headers;
  h[h.length - 1] = backend.host;
  return h;
}

// Errors that come before a request reaches a socket but are not the server's
// fault: bad arguments, a closing pool, our own aborts.
const NOT_CONNECT = new Set([
  'UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED',
  'UND_ERR_ABORT', 'ABORT_ERR', 'ERR_GH_CLIENT_ABORT', 'ERR_GH_BODY_IDLE', 'ERR_GH_RESPONSE_REJECTED',
]);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * An error raised before the request was handed to a connected socket:
 * refused, unreachable, DNS, connect timeout, TLS handshake. Passive health
 * marks the server down for these, and the next server may be tried.
 */
export function isConnectFailure(err: unknown, requestStarted: boolean): boolean {
  return !requestStarted && !NOT_CONNECT.has(codeOf(err));
}

/** The failure for an error after the request went out and before response headers. */
export function failureKind(err: unknown): ForwardFailure {
  return codeOf(err) === 'UND_ERR_HEADERS_TIMEOUT' ? 'timeout' : 'bad_gateway';
}

/** A short description for logs: the error code and message, never header values. */
export function describe(backend: Backend, err: unknown): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return `${backend.origin}: ${code !== '' ? `${code} ` : ''}${message}`;
}

/** The onResponseHeaders hook threw, or Node refused the back-end's headers: nothing was sent. */
export class ResponseRejectedError extends Error {
  readonly code = 'ERR_GH_RESPONSE_REJECTED';
}

export type { ResponseHeaders };

/**
 * The back-end's response headers as the client may see them. The one place
 * every response path (forward-http, upgrade: 101 and refused) goes through:
 * hop-by-hop and am-eai-* headers removed, the pipeline's hook run on
 * am-eai-server-task, which is removed afterwards whatever the hook did.
 * Throws what the hook throws; nothing has been sent then.
 */
export function clientResponseHeaders(ctx: Pick<ForwardContext, 'onResponseHeaders'>, status: number,
  raw: Readonly<Record<string, string | string[] | undefined>>): ResponseHeaders {
  const headers = responseHeaders(raw);
  ctx.onResponseHeaders?.(status, headers);
  if (headers[EAI_TASK_HEADER] !== undefined) delete headers[EAI_TASK_HEADER];
  return headers;
}

// client-http.ts -- the AdminClient's transport: one undici pool to the
// admin listener, JSON in and out, a deadline per call, a cap on reply size,
// and every failure turned into an AdminApiError. It never puts a credential
// into an error message.
import { Pool } from 'undici';
import { errorBodySchema } from './client-schemas.js';
import { AdminApiError } from './client-error.js';

export interface HttpTarget {
  /** `https://host:port`, no path. */
  readonly origin: string;
  /** Path prefix in front of every route ('' normally). */
  readonly basePath: string;
  /** The Authorization header value, or undefined for client-certificate auth. */
  readonly authorization: string | undefined;
  readonly tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  readonly timeoutMs: number;
}

/** The largest reply read (a 100,000-session listing is about 20 MB). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const TRANSPORT_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

export class AdminHttp {
  readonly #target: HttpTarget;
  readonly #pool: Pool;

  constructor(target: HttpTarget) {
    this.#target = target;
    this.#pool = new Pool(target.origin, {
      connections: 4,
      connectTimeout: target.timeoutMs,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
      connect: { ...target.tls, rejectUnauthorized: true },
    });
  }

  /** Sends one request; resolves with the status and parsed JSON of a 2xx reply. */
  async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const t = this.#target;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (t.authorization !== undefined) headers.authorization = t.authorization;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(t.timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      const res = await this.#pool.request({ method, path: t.basePath + path, headers, body: payload, signal });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      text = await res.body.text();
    } catch (err) {
      throw this.#transportError(err, method, path);
    }
    if (status >= 200 && status < 300) {
      try {
        return { status, json: JSON.parse(text) as unknown };
      } catch {
        throw new AdminApiError(status, 'bad_response', `${method} ${path}: the admin API replied with something that is not JSON`);
      }
    }
    throw errorFromReply(status, text, retryAfter, method, path);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  #transportError(err: unknown, method: string, path: string): AdminApiError {
    const e = err as { name?: string; code?: string; message?: string };
    const where = `${method} ${this.#target.origin}${this.#target.basePath}${path}`;
    if (e?.name === 'TimeoutError' || TRANSPORT_TIMEOUTS.has(e?.code ?? ''))
      return new AdminApiError(0, 'timeout', `${where}: no reply within ${this.#target.timeoutMs} ms`, { cause: err });
    if (e?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE')
      return new AdminApiError(0, 'bad_response', `${where}: the reply exceeds ${MAX_RESPONSE_BYTES} bytes`, { cause: err });
    const cause = (err as { cause?: { code?: string } })?.cause;
    const code = e?.code ?? cause?.code ?? '';
    if (TLS_CODE.test(code) || /certificate|tls|ssl/i.test(e?.message ?? ''))
      return new AdminApiError(0, 'tls_failed',
        `${where}: TLS failed (${code || e?.message}); trust the admin listener's certificate with the ca option (--ca) and check any client certificate`, { cause: err });
    return new AdminApiError(0, 'connection_failed', `${where}: cannot reach the admin API (${code || e?.message || 'unknown error'})`, { cause: err });
  }
}

function errorFromReply(status: number, text: string, retryAfter: string | undefined, method: string, path: string): AdminApiError {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const options = seconds === undefined ? {} : { retryAfterSeconds: seconds };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (parsed.success) {
    const { error, messages } = parsed.data;
    return new AdminApiError(status, error.code, error.message, { ...options, messages: messages ?? [] });
  }
  const loose = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof loose?.code === 'string' && typeof loose.message === 'string') {
    // A code (or message ID) this client does not know: keep the server's words, type the code by status.
    return new AdminApiError(status, `http_${status}`, `${method} ${path}: HTTP ${status} ${loose.code.slice(0, 64)}: ${loose.message.slice(0, 500)}`, options);
  }
  const hint = status === 401 ? ' (authentication failed)' : status === 403 ? ' (not authorized)' : status === 429 ? ' (locked out; retry later)' : '';
  return new AdminApiError(status, `http_${status}`, `${method} ${path}: HTTP ${status}${hint}, with no error body in the contract's shape`, options);
}

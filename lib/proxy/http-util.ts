// http-util.ts -- small request helpers for the gateway's own endpoints:
// bounded form bodies, safe local redirect targets, client addresses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';

export class BodyError extends Error {
  constructor(readonly status: 400 | 408 | 413 | 415, message: string) { super(message); }
}

export interface FormLimits {
  /** Bytes, default 16 KiB. */
  readonly bytes?: number;
  /** The form must arrive whole within this many ms (0 = no limit). */
  readonly totalMs: number;
  /** ... with no gap longer than this between two pieces (0 = no limit). */
  readonly idleMs: number;
}

/** The limits of the proxy's own forms: `listen.client-connect-timeout` whole, `intra-connection-timeout` between pieces. */
export function formLimits(config: Config): FormLimits {
  return { totalMs: config.listen['client-connect-timeout'] * 1000, idleMs: config.listen['intra-connection-timeout'] * 1000 };
}

/**
 * Reads an application/x-www-form-urlencoded body within `limits`. A body
 * that stalls or trickles past them ends the connection (the client is not
 * sending, so it gets no page) and throws a BodyError 408.
 */
export async function readForm(req: IncomingMessage, limits: FormLimits): Promise<URLSearchParams> {
  const limit = limits.bytes ?? 16 * 1024;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new BodyError(415, 'expected an application/x-www-form-urlencoded form');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) { req.resume(); throw new BodyError(413, `form larger than ${limit} bytes`); }
  const chunks: Buffer[] = [];
  let size = 0;
  let late: string | undefined;
  const stop = (why: string) => (): void => { late = why; req.destroy(); };
  const total = limits.totalMs > 0 ? setTimeout(stop(`form not complete within ${limits.totalMs} ms`), limits.totalMs) : undefined;
  const idle = limits.idleMs > 0 ? setTimeout(stop(`form idle for ${limits.idleMs} ms`), limits.idleMs) : undefined;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      idle?.refresh();
      size += chunk.length;
      if (size > limit) { req.resume(); throw new BodyError(413, `form larger than ${limit} bytes`); }
      chunks.push(chunk);
    }
  } catch (err) {
    if (late !== undefined) throw new BodyError(408, late);
    throw err;
  } finally {
    clearTimeout(total);
    clearTimeout(idle);
  }
  if (late !== undefined) throw new BodyError(408, late);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.isWellFormed()) throw new BodyError(400, 'form is not valid UTF-8');
  return new URLSearchParams(text);
}

const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;
const NOT_PRINTABLE_ASCII_RUN = /[^\x21-\x7e]+/g;

/**
 * A redirect target after login: only a local absolute path, never another
 * origin (`//evil`, `/\evil`, `http:`), so the login form is no open redirect.
 * Characters outside printable ASCII are percent-encoded (UTF-8), so the
 * target is always a valid Location header value (`/中文` becomes
 * `/%E4%B8%AD%E6%96%87`); text that is not well-formed UTF-16 falls back.
 */
export function localTarget(candidate: string | null | undefined, fallback: string): string {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 4096) return fallback;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) return fallback;
  if (/[\x00-\x1f\x7f\\]/.test(candidate) || !candidate.isWellFormed()) return fallback;
  return NOT_PRINTABLE_ASCII.test(candidate) ? candidate.replace(NOT_PRINTABLE_ASCII_RUN, encodeURIComponent) : candidate;
}

export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'same-origin',
  });
  res.end(body);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(302, { ...headers, location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

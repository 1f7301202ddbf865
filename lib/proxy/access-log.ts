// access-log.ts -- the access log (`logging.requests`, the reference's
// request log): one JSON line per request the proxy answered, written by
// pino to standard output or to a file of its own (`logging.requests-file`),
// which reopen() starts afresh after logrotate renamed it (SIGHUP, as for the
// audit log). Successful requests may be sampled
// (`logging.requests-sample-rate`); 5xx answers and cut connections are
// always written.
//
// What a line never holds: the query string (tokens and reset codes travel
// there), cookies, the Authorization header, the session ID. A session shows
// only as the first 8 characters of its user session ID, as in the audit log.
import fs from 'node:fs';
import path from 'node:path';
import { destination, pino, stdTimeFunctions, type Logger as Pino } from 'pino';
import type { Logger } from '../logger-type.js';

export interface AccessLogOptions {
  /** Append to this file (created mode 0600); undefined: standard output. */
  readonly file?: string | undefined;
  /** The share of requests answered below 500 that are written, 0 .. 1. */
  readonly sampleRate: number;
  /** Where a failing file (disk full) is reported, once. */
  readonly logger?: Logger;
}

/** One line of the access log, in the order the fields are written. */
export interface AccessLine {
  readonly requestId: string;
  readonly client: string;
  readonly method: string;
  /** The request path without its query string. */
  readonly path: string;
  /** The status sent; 499 when the connection closed before any was. */
  readonly status: number;
  /** Response body bytes sent. */
  readonly bytes: number;
  /** From the request reaching the proxy to the end of its response, in milliseconds. */
  readonly durationMs: number;
  /** From forwarding to the back-end's response headers, in milliseconds (proxied requests only). */
  readonly upstreamMs?: number | undefined;
  readonly junction?: string | undefined;
  readonly outcome: string;
  readonly reason?: string | undefined;
  readonly user?: string | undefined;
  readonly authMethod?: string | undefined;
  readonly session?: string | undefined;
  /** True when the connection ended before the whole response was sent. */
  readonly aborted?: true | undefined;
}

const MAX_PATH = 1024;
const FILE_BATCH_BYTES = 4096;
const FILE_FLUSH_MS = 1000;

/** The path of a request target for the log: no query string, at most MAX_PATH characters. */
export function loggedPath(url: string | undefined): string {
  let p = url ?? '';
  if (p.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (`GET http://user:pw@host/x`): its path only; `*` and garbage as they are not.
    try { p = p === '*' ? p : new URL(p).pathname; } catch { p = '-'; }
  }
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  return p.length > MAX_PATH ? `${p.slice(0, MAX_PATH)}…` : p;
}

export class AccessLog {
  readonly file: string | undefined;
  readonly sampleRate: number;
  readonly #dest: ReturnType<typeof destination>;
  readonly #pino: Pino;
  #closing: Promise<void> | undefined;

  private constructor(options: AccessLogOptions) {
    this.file = options.file;
    this.sampleRate = options.sampleRate;
    if (options.file !== undefined) {
      // Opened once here, synchronously, so a path that cannot be written stops the start with a clear error.
      fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(options.file, 'a', 0o600));
    }
    // To a file, lines are written 4 KiB at a time (at least once a second): a write() per line
    // cost a busy proxy markedly more CPU per request than batches did. Standard output may be a pipe
    // shared with the application log, where only writes under 4 KiB stay whole: a line each.
    this.#dest = destination(options.file !== undefined
      ? { dest: options.file, sync: false, mode: 0o600, minLength: FILE_BATCH_BYTES, periodicFlush: FILE_FLUSH_MS }
      : { dest: 1, sync: false });
    let reported = false;
    this.#dest.on('error', (err: unknown) => {
      if (reported) return;
      reported = true;
      options.logger?.error({ err: String(err), file: options.file }, 'access log write failed');
    });
    this.#pino = pino({
      base: null,
      timestamp: stdTimeFunctions.isoTime,
      // In place of the level (always info): what tells these lines from the application log on a shared stdout.
      formatters: { level: () => ({ log: 'access' }) },
    }, this.#dest);
  }

  /** Throws when `file` cannot be created or appended to, or the rate is not 0 .. 1. */
  static open(options: AccessLogOptions): AccessLog {
    if (!(options.sampleRate >= 0 && options.sampleRate <= 1)) throw new RangeError('the access log sample rate must be from 0 to 1');
    return new AccessLog(options);
  }

  /** Whether a request answered so is written: 5xx and cut connections always, the rest by the sample rate. */
  wants(status: number, aborted: boolean): boolean {
    if (status >= 500 || aborted || this.sampleRate >= 1) return true;
    return this.sampleRate > 0 && Math.random() < this.sampleRate;
  }

  write(line: AccessLine): void {
    if (this.#closing !== undefined) return;  // a tunnel that ends during shutdown
    this.#pino.info(line);
  }

  /** After the file was renamed (rotation): continue in a new file at the same path. */
  reopen(): void {
    if (this.file !== undefined) this.#dest.reopen();
  }

  /** Writes what is buffered, then closes the file. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      const dest = this.#dest;
      dest.once('close', () => resolve());
      dest.once('error', () => resolve());
      dest.end();
    });
    return this.#closing;
  }
}

// request-tracker.ts -- the start and the end of every request the gateway
// answers: a request ID when it arrives (the client's when sane, else a new
// one), and when its response is over, the count and latency for the metrics
// and the access-log line. The gateway fills the record in between.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { shortId } from '../audit/redact.js';
import { fleetUserSessionId } from '../dsc/fleet-usid.js';
import { loggedPath, type AccessLog } from './access-log.js';
import { clientAddress } from './http-util.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { requestIdFrom } from './request-id.js';
import { attachRecord, NO_JUNCTION, RequestRecord } from './request-record.js';

export interface RequestTrackerOptions {
  /** The request-ID header (lower case), read from clients and sent to back-ends; '' for none. */
  readonly requestIdHeader: string;
  readonly metrics?: ProxyMetrics | undefined;
  readonly accessLog?: AccessLog | undefined;
}

/** The status logged and counted for a request whose connection closed before a status was sent (nginx's). */
export const CLOSED_WITHOUT_STATUS = 499;

export class RequestTracker {
  readonly #header: string;
  readonly #metrics: ProxyMetrics | undefined;
  readonly #log: AccessLog | undefined;

  constructor(options: RequestTrackerOptions) {
    this.#header = options.requestIdHeader;
    this.#metrics = options.metrics;
    this.#log = options.accessLog;
  }

  /** A request arrived: its record, finished when `res` closes. */
  begin(req: IncomingMessage, res: ServerResponse): RequestRecord {
    const record = new RequestRecord(this.#idOf(req), req, performance.now());
    attachRecord(res, record);
    res.once('close', () => this.#finish(record, res.headersSent ? res.statusCode : CLOSED_WITHOUT_STATUS,
      !res.writableFinished, record.relayedBytes ?? bodyLength(req, res)));
    return record;
  }

  /**
   * An Upgrade request arrived: its record, finished when the client's
   * socket closes (for a WebSocket, at the end of the conversation), with
   * the status set by answered().
   */
  beginUpgrade(req: IncomingMessage, socket: Duplex): RequestRecord {
    const record = new RequestRecord(this.#idOf(req), req, performance.now());
    socket.once('close', () => this.#finish(record, record.upgradeStatus ?? CLOSED_WITHOUT_STATUS, record.upgradeStatus === undefined, 0));
    return record;
  }

  #idOf(req: IncomingMessage): string {
    return this.#header === '' ? crypto.randomUUID() : requestIdFrom(req.headers[this.#header]);
  }

  #finish(r: RequestRecord, status: number, aborted: boolean, bytes: number): void {
    this.#metrics?.request(r.junction ?? NO_JUNCTION, status, r.upstreamMs);
    const log = this.#log;
    if (log === undefined || !log.wants(status, aborted)) return;
    log.write({
      requestId: r.id,
      client: clientAddress(r.req),
      method: r.req.method ?? '',
      path: loggedPath(r.req.url),
      status,
      bytes,
      durationMs: millis(performance.now() - r.startedMs),
      upstreamMs: r.upstreamMs === undefined ? undefined : millis(r.upstreamMs),
      junction: r.junction,
      outcome: r.outcome,
      reason: r.reason,
      user: r.session?.loginId,
      authMethod: r.session?.authMethod,
      // Never the cookie: the first 8 characters of the user session ID, as in the audit log.
      session: r.session === undefined ? undefined : shortId(fleetUserSessionId(r.session)),
      aborted: aborted ? true : undefined,
    });
  }
}

/** Milliseconds to the microsecond. */
function millis(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The body length of one of the proxy's own pages (they all declare it). */
function bodyLength(req: IncomingMessage, res: ServerResponse): number {
  if (req.method === 'HEAD') return 0;
  const n = Number(res.getHeader('content-length') ?? 0);
  return Number.isFinite(n) ? n : 0;
}

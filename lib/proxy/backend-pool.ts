// backend-pool.ts -- the servers behind one junction: one undici Pool per
// server (keep-alive connections), round robin over the healthy ones, and
// passive health: a server that refused a connection or let a connect time
// out is skipped for failureBackoffMs, then tried again by the next request.
// Backend.up is what the metrics report: down from such a failure (or a
// response timeout) until the server next answers.
import { Pool } from 'undici';

export interface BackendTls {
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface BackendPoolOptions {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly failureBackoffMs: number;
  readonly tls?: BackendTls | undefined;
}

export class Backend {
  /** `http://host:port`, as undici and logs name it. */
  readonly origin: string;
  /** The Host header the server receives. */
  readonly host: string;
  readonly pool: Pool;
  /** Date.now() until which the server is skipped; 0 = healthy. */
  downUntil = 0;
  /**
   * As last seen: false after a failed connection or a response timeout,
   * true again when the server answers (any status). Reported, not routed on.
   */
  up = true;

  constructor(url: URL, opts: BackendPoolOptions) {
    this.origin = url.origin;
    this.host = url.host;
    const tls = url.protocol === 'https:' ? opts.tls ?? {} : {};
    this.pool = new Pool(url.origin, {
      connect: {
        timeout: opts.connectTimeoutMs,
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
        ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
      },
      headersTimeout: opts.responseTimeoutMs,
      bodyTimeout: opts.idleTimeoutMs,
    });
  }

  healthy(now: number): boolean {
    return this.downUntil <= now;
  }
}

export class BackendPool {
  readonly servers: readonly Backend[];
  readonly #backoffMs: number;
  #next = 0;

  constructor(servers: readonly URL[], opts: BackendPoolOptions) {
    this.servers = servers.map((u) => new Backend(u, opts));
    this.#backoffMs = opts.failureBackoffMs;
  }

  /**
   * The healthy servers in the order one request should try them: the list
   * rotates by one per call, so load spreads evenly over the healthy ones.
   * Empty when every server is marked down.
   */
  candidates(now?: number): Backend[] {
    // One server, the usual junction: nothing to rotate, and the clock is read only after a failure.
    if (this.servers.length === 1) {
      const only = this.servers[0]!;
      return only.downUntil === 0 || only.healthy(now ?? Date.now()) ? [only] : [];
    }
    const at = now ?? Date.now();
    const healthy = this.servers.filter((b) => b.healthy(at));
    if (healthy.length <= 1) return healthy;
    const start = this.#next % healthy.length;
    this.#next = (this.#next + 1) % 0x40000000;
    return [...healthy.slice(start), ...healthy.slice(0, start)];
  }

  /** A connect to `b` failed: skip it for failureBackoffMs. */
  markDown(b: Backend, now = Date.now()): void {
    b.downUntil = now + this.#backoffMs;
    b.up = false;
  }

  /** Waits for requests in flight, then closes every connection. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((b) => (b.pool.closed ? undefined : b.pool.close())));
  }
}

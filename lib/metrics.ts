// metrics.ts -- the Prometheus metrics of Gatehouse (prom-client), in one
// place so the proxy workers and the admin plane name them the same way.
//
// Counters that each process increments (logins, validate timings, admin
// requests) live in that process's registry. The table figures (live
// sessions, sessions ended per reason) are read from cache.stats() on each
// scrape: the shared-memory table already counts them across every process,
// so they are read, never incremented, and must be exported by ONE process
// only (the admin/primary), or a cluster sum would multiply them.
//
// Cluster mode (node:cluster; docs/admin.md "Metrics"):
//   worker:  const reg = new Registry(); createMetrics(reg, { only: 'proxy' });
//            serveWorkerMetrics(reg);
//   primary: const reg = new Registry(); createMetrics(reg, { only: 'admin', cache });
//            const workers = new AggregatorRegistry();
//            startAdminServer({ ..., metricsRegistry: reg, clusterMetrics: workers });
//   /metrics then serves the primary's registry followed by the workers'
//   aggregate (clusterMetricsText below); the two hold disjoint names.
//   Node's process metrics (processMetricsPrefix) are collected in every
//   process: `gatehouse serve` names the workers' gatehouse_* (summed or
//   averaged by prom-client's per-metric aggregators) and the primary's own
//   gatehouse_primary_*, so that they too stay disjoint.
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type PrometheusContentType } from 'prom-client';
import type { SessionCache } from './session/cache.js';
import { INVALID_REASONS } from './session/reasons.js';

export type LoginOutcome = 'success' | 'failure' | 'refused';
export type AdminOutcome = 'allowed' | 'denied' | 'failed' | 'error' | 'unauthenticated' | 'locked_out' | 'bad_request';

export interface GatehouseMetrics {
  /** Logins by method (forms, basic, certificate, eai, token) and outcome. */
  readonly logins: Counter<'method' | 'outcome'>;
  /** Admin requests by route (the route template, e.g. `POST /api/v1/servers/{server}/tasks`) and outcome. */
  readonly adminRequests: Counter<'route' | 'outcome'>;
  /** Time of one cache.validate() call, in seconds (buckets 100 ns .. 10 ms). */
  readonly validateSeconds: Histogram<string>;
  /**
   * Records one validate duration (seconds) for validateSeconds. Buffered:
   * one observe() costs more than a request's own session work, so the
   * values reach the histogram in bulk, when it is scraped or the buffer fills.
   */
  readonly recordValidate: (seconds: number) => void;
  /** Live sessions in the table; undefined without a cache. */
  readonly sessionsLive?: Gauge<string>;
  /** Sessions ended, per reason, as the table counts them; undefined without a cache. */
  readonly sessionsEnded?: Counter<'reason'>;
  /** Valid sessions evicted to make room in a full table; undefined without a cache. */
  readonly sessionsEvicted?: Counter<string>;
  /** Requests the proxy answered, by junction point (`(none)`, `(pkms)` for the rest) and status code. */
  readonly proxyRequests: Counter<'junction' | 'status'>;
  /** Back-end latency (forwarding to response headers), in seconds, by junction. */
  readonly upstreamSeconds: Histogram<'junction'>;
  /**
   * Counts one answered request for proxyRequests and, when a back-end
   * answered, its latency for upstreamSeconds. Buffered like recordValidate:
   * the metrics are brought up to date when scraped.
   */
  readonly recordRequest: (junction: string, status: number, upstreamSeconds?: number) => void;
  /** 1 while a back-end server is up, 0 while down, per junction and server (read from MetricsOptions.backends). */
  readonly backendUp: Gauge<'junction' | 'server'>;
}

/** One back-end server's passive health, as the proxy last saw it. */
export interface BackendHealth {
  readonly junction: string;
  /** `http://host:port`. */
  readonly server: string;
  readonly up: boolean;
}

export interface MetricsOptions {
  /**
   * Which metrics go into `registry`: 'proxy' (logins, validate timings),
   * 'admin' (admin requests and, with a cache, the table figures) or both
   * (default). Metrics left out are still returned, unregistered, so callers
   * can use them unconditionally.
   */
  only?: 'proxy' | 'admin';
  /** The table whose stats() the collected-on-scrape metrics read. */
  cache?: SessionCache;
  /** The back-end servers whose health gatehouse_backend_up reports, read on each scrape. */
  backends?: () => Iterable<BackendHealth>;
  /**
   * Also collect Node's default process metrics (CPU, memory, event loop,
   * GC) into `registry`, their names prefixed with this. Once per registry.
   */
  processMetricsPrefix?: string;
}

/** Validate takes well under a microsecond; the buckets reach from 100 ns to 10 ms. */
export const VALIDATE_BUCKETS: readonly number[] = [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3, 1e-2];

/** Back-end latency: 1 ms to the default response-timeout of 120 s. */
export const UPSTREAM_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const ENDED_REASONS = INVALID_REASONS.filter((r) => r !== 'unknown');

/** Registers Gatehouse's metrics in `registry` and returns them. */
export function createMetrics(registry: Registry, options: MetricsOptions = {}): GatehouseMetrics {
  const proxy = options.only !== 'admin' ? [registry] : [];
  const admin = options.only !== 'proxy' ? [registry] : [];
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Logins by authentication method and outcome.',
    labelNames: ['method', 'outcome'] as const,
    registers: proxy,
  });
  const pending = new Float64Array(512);
  let pendingCount = 0;
  const flushValidate = (h: Histogram<string>): void => {
    for (let i = 0; i < pendingCount; i++) h.observe(pending[i]!);
    pendingCount = 0;
  };
  const validateSeconds = new Histogram({
    name: 'gatehouse_validate_seconds',
    help: 'Duration of one session validation in the shared-memory table (the proxy times one validation in 64).',
    buckets: [...VALIDATE_BUCKETS],
    registers: proxy,
    collect() { flushValidate(this); },
  });
  const recordValidate = (seconds: number): void => {
    pending[pendingCount++] = seconds;
    if (pendingCount === pending.length) flushValidate(validateSeconds);
  };
  const { proxyRequests, upstreamSeconds, recordRequest } = requestMetrics(proxy);
  const backends = options.backends;
  const backendUp = new Gauge({
    name: 'gatehouse_backend_up',
    help: 'Back-end servers by junction: 1 up, 0 down (its last connection attempt failed or its response timed out). In a cluster, 0 when any worker saw it down.',
    labelNames: ['junction', 'server'] as const,
    registers: proxy,
    aggregator: 'min',
    collect() {
      if (backends === undefined) return;
      this.reset();
      for (const b of backends()) this.set({ junction: b.junction, server: b.server }, b.up ? 1 : 0);
    },
  });
  if (options.processMetricsPrefix !== undefined) collectDefaultMetrics({ register: registry, prefix: options.processMetricsPrefix });
  const adminRequests = new Counter({
    name: 'gatehouse_admin_requests_total',
    help: 'Admin API requests by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    registers: admin,
  });
  const perRequest = { proxyRequests, upstreamSeconds, recordRequest, backendUp };
  const cache = options.cache;
  if (cache === undefined) return { logins, adminRequests, validateSeconds, recordValidate, ...perRequest };

  // Read on scrape. A closed table (shutdown) leaves the last values out rather than failing the scrape.
  const stats = () => {
    try { return cache.closed ? undefined : cache.stats(); } catch { return undefined; }
  };
  const sessionsLive = new Gauge({
    name: 'gatehouse_sessions_live',
    help: 'Live sessions in the session table (all processes).',
    registers: admin,
    aggregator: 'max',
    collect() {
      const s = stats();
      if (s) this.set(s.live);
    },
  });
  // A counter: the table's per-reason totals only grow (until the table is recreated).
  const sessionsEnded = new Counter({
    name: 'gatehouse_sessions_ended_total',
    help: 'Sessions ended, by reason, as counted by the session table across all processes.',
    labelNames: ['reason'] as const,
    registers: admin,
    aggregator: 'max',
    collect() {
      const s = stats();
      if (!s) return;
      this.reset();
      for (const reason of ENDED_REASONS) this.inc({ reason }, s.ended[reason] ?? 0);
    },
  });
  // Its own series (also ended_total{reason="evicted"}) so that an alert on
  // a full table needs no label filter.
  const sessionsEvicted = new Counter({
    name: 'gatehouse_sessions_evicted_total',
    help: 'Valid sessions evicted to make room in the full session table (all processes).',
    registers: admin,
    aggregator: 'max',
    collect() {
      const s = stats();
      if (!s) return;
      this.reset();
      this.inc(s.evictions);
    },
  });
  return { logins, adminRequests, validateSeconds, recordValidate, sessionsLive, sessionsEnded, sessionsEvicted, ...perRequest };
}

/**
 * The request counter and the latency histogram, fed through buffers: a
 * request costs a map update and an array store, and prom-client's label
 * hashing runs once per series per scrape instead of once per request.
 */
function requestMetrics(registers: Registry[]): Pick<GatehouseMetrics, 'proxyRequests' | 'upstreamSeconds' | 'recordRequest'> {
  const counts = new Map<string, Map<number, number>>();
  const latencies = new Map<string, number[]>();
  let pendingLatencies = 0;
  const flushCounts = (c: Counter<'junction' | 'status'>): void => {
    for (const [junction, byStatus] of counts) for (const [status, n] of byStatus) c.inc({ junction, status: String(status) }, n);
    counts.clear();
  };
  const flushLatencies = (h: Histogram<'junction'>): void => {
    for (const [junction, values] of latencies) for (const v of values) h.observe({ junction }, v);
    latencies.clear();
    pendingLatencies = 0;
  };
  const proxyRequests = new Counter({
    name: 'gatehouse_proxy_requests_total',
    help: 'Requests the proxy answered, by junction ((none): no junction, (pkms): the login endpoints) and status code (499: the connection closed before a status was sent).',
    labelNames: ['junction', 'status'] as const,
    registers,
    collect() { flushCounts(this); },
  });
  const upstreamSeconds = new Histogram({
    name: 'gatehouse_proxy_upstream_seconds',
    help: 'Back-end latency by junction: from forwarding a request to the response headers, retries included.',
    labelNames: ['junction'] as const,
    buckets: [...UPSTREAM_BUCKETS],
    registers,
    collect() { flushLatencies(this); },
  });
  const recordRequest = (junction: string, status: number, upstream?: number): void => {
    let byStatus = counts.get(junction);
    if (byStatus === undefined) counts.set(junction, byStatus = new Map());
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (upstream === undefined) return;
    let values = latencies.get(junction);
    if (values === undefined) latencies.set(junction, values = []);
    values.push(upstream);
    if (++pendingLatencies >= 4096) flushLatencies(upstreamSeconds);
  };
  return { proxyRequests, upstreamSeconds, recordRequest };
}

/**
 * The text the primary serves at /metrics in cluster mode: its own registry
 * (admin requests, table figures) followed by the sum over the workers'
 * registries, which prom-client's AggregatorRegistry gathers over cluster IPC.
 */
export async function clusterMetricsText(primary: Registry, workers: AggregatorRegistry<PrometheusContentType>): Promise<string> {
  const [own, summed] = await Promise.all([primary.metrics(), workers.clusterMetrics()]);
  return summed.length === 0 ? own : `${own.replace(/\n*$/, '\n')}${summed}`;
}

/**
 * In a cluster worker: answer the primary's metric requests with `registry`.
 * prom-client installs the worker's IPC listener only when an
 * AggregatorRegistry is constructed (setRegistries alone leaves the primary's
 * requests unanswered until they time out), so this does both.
 */
export function serveWorkerMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries(registry);
  new AggregatorRegistry();
}

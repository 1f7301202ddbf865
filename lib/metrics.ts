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
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, type PrometheusContentType } from 'prom-client';
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
}

/** Validate takes well under a microsecond; the buckets reach from 100 ns to 10 ms. */
export const VALIDATE_BUCKETS: readonly number[] = [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3, 1e-2];

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
  const adminRequests = new Counter({
    name: 'gatehouse_admin_requests_total',
    help: 'Admin API requests by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    registers: admin,
  });
  const cache = options.cache;
  if (cache === undefined) return { logins, adminRequests, validateSeconds, recordValidate };

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
  return { logins, adminRequests, validateSeconds, recordValidate, sessionsLive, sessionsEnded, sessionsEvicted };
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

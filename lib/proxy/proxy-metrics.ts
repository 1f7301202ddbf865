// proxy-metrics.ts -- the two things the request path reports: login
// outcomes and validate latency. Kept behind this tiny interface so the
// gateway does not depend on how metrics are exported.
export interface ProxyMetrics {
  login(method: string, outcome: string): void;
  /** Called with process.hrtime.bigint() taken before cache.validate(). */
  validated(startedNs: bigint): void;
}

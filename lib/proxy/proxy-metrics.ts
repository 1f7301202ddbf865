// proxy-metrics.ts -- what the request path reports: login outcomes,
// validate latency, and each answered request. Kept behind this tiny
// interface so the gateway does not depend on how metrics are exported.
export interface ProxyMetrics {
  login(method: string, outcome: string): void;
  /** Called with process.hrtime.bigint() taken before cache.validate(). */
  validated(startedNs: bigint): void;
  /**
   * One answered request: its junction label (the point, `(none)` or
   * `(pkms)`), the status sent, and the back-end latency in milliseconds
   * when a back-end answered.
   */
  request(junction: string, status: number, upstreamMs: number | undefined): void;
}

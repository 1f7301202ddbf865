// protocol.ts -- what the benchmark's processes share: the back-end's fixed
// answer, the benchmark user, and the IPC messages between runner and children.

/** The back-end's whole response body (small and fixed). */
export const BACKEND_BODY = 'hello from the back-end\n';

/** The user every authenticating contestant logs in (iv-user at the back-end). */
export const BENCH_USER = 'benchuser';
export const BENCH_GROUPS = ['staff', 'dev'] as const;

/** Every contestant is asked for this path; each forwards it to the one back-end. */
export const BENCH_PATH = '/app/data';

/**
 * A health check each baseline answers itself, as a deployed proxy does for
 * its load balancer; the runner asks it once before measuring (Gatehouse's
 * own local answer is its login page, which the runner polls until ready).
 * It matters: the first request a Node process answers itself turns V8's
 * inline caches in Node's http and stream code megamorphic for good, about
 * 4,000 more instructions per proxied request afterwards. A baseline that
 * only ever forwards would be measured in a state no deployed proxy stays in
 * (docs/benchmarks.md, "One local answer").
 */
export const HEALTH_PATH = '/healthz';
export const HEALTH_BODY = 'ok\n';

/** Child -> runner once the child's server is listening. */
export interface ListeningMessage { type: 'listening'; url: string }

/** Runner -> back-end: send the counts (then zero them when reset is set). */
export interface CountsRequest { type: 'counts'; reset?: boolean }

/** Back-end -> runner. */
export interface BackendCounts { total: number; identified: number }
export interface CountsMessage extends BackendCounts { type: 'counts' }

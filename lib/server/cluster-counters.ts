// cluster-counters.ts -- the login counters of a cluster: kept in the
// primary, asked by the workers over the cluster IPC channel
// (rate-limiter-flexible's RateLimiterCluster), so a limit or a used
// pending login holds whichever worker the next request reaches. The
// primary answers each request in turn, so check-and-count is atomic.
import cluster from 'node:cluster';
import { RateLimiterCluster, RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { memoryCounters, type CounterFactory } from '../proxy/counters.js';

/** How long a worker waits for the primary's answer before the login is refused. */
const PRIMARY_TIMEOUT_MS = 3000;

/** In the primary, before the first worker is forked: the store the workers' counters live in. */
export function startCounterStore(): void {
  new RateLimiterClusterMaster();  // a process-wide singleton listening on cluster 'message'
}

/** The counters for this process: the primary's in a cluster worker, else local memory. */
export function countersForThisProcess(): CounterFactory {
  if (!cluster.isWorker) return memoryCounters;
  return (o) => new RateLimiterCluster({ ...o, timeoutMs: PRIMARY_TIMEOUT_MS });
}

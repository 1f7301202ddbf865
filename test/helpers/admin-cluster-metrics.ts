// admin-cluster-metrics.ts -- a tiny node:cluster program for the metrics
// test: two workers count logins in their own registries and serve them with
// serveWorkerMetrics(); the primary prints clusterMetricsText() (its own
// registry + the workers' sum) and stops them.
import cluster from 'node:cluster';
import { AggregatorRegistry, Registry, type PrometheusContentType } from 'prom-client';
import { clusterMetricsText, createMetrics, serveWorkerMetrics } from '../../lib/metrics.js';

if (cluster.isPrimary) {
  const primary = new Registry();
  createMetrics(primary, { only: 'admin' }).adminRequests.inc({ route: 'GET /metrics', outcome: 'allowed' });
  const workers = new AggregatorRegistry<PrometheusContentType>();
  const forked = [cluster.fork({ LOGINS: '1' }), cluster.fork({ LOGINS: '2' })];
  let ready = 0;
  for (const w of forked) {
    w.on('message', async (m: { type?: string }) => {
      if (m?.type !== 'ready' || ++ready < forked.length) return;
      try {
        process.stdout.write(await clusterMetricsText(primary, workers));
      } finally {
        for (const x of forked) x.kill();
      }
    });
  }
} else {
  const reg = new Registry();
  const m = createMetrics(reg, { only: 'proxy' });
  m.logins.inc({ method: 'forms', outcome: 'success' }, Number(process.env.LOGINS));
  serveWorkerMetrics(reg);
  process.send!({ type: 'ready' });
}

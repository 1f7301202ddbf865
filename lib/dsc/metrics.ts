// metrics.ts -- what the distributed session cache reports to Prometheus (on
// the proxy processes' registries, aggregated by the admin listener's /metrics).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface DscMetrics {
  /** A request the near-cache did not settle was looked up in Redis. */
  lookup(outcome: 'valid' | 'invalid' | 'unavailable'): void;
  /** An announcement (user change, sign-out, resync) was applied to the table. */
  invalidation(kind: 'user' | 'everyone' | 'resync'): void;
  trusted(t: boolean): void;
}

export function dscMetrics(registry: Registry): DscMetrics {
  const lookups = new Counter({
    name: 'gatehouse_dsc_lookups_total',
    help: 'Requests whose session the near-cache did not settle, looked up in Redis, by outcome (unavailable = failed closed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'gatehouse_dsc_invalidations_total',
    help: 'Announcements applied to the local table, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const trusted = new Gauge({
    name: 'gatehouse_dsc_near_cache_trusted',
    help: '1 while this process trusts its near-cache (the invalidation stream is whole), else 0',
    registers: [registry],
    aggregator: 'min',
  });
  return {
    lookup: (outcome) => lookups.inc({ outcome }),
    invalidation: (kind) => invalidations.inc({ kind }),
    trusted: (t) => trusted.set(t ? 1 : 0),
  };
}

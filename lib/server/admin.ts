// admin.ts -- maps the config file's `admin` stanza onto the admin server's
// options and starts it in the primary process.
import type { Logger } from '../logger-type.js';
import type { AggregatorRegistry, PrometheusContentType, Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import type { GatehouseMetrics } from '../metrics.js';
import type { AdminServerOptions } from '../admin/options.js';
import { startAdminServer } from '../admin/server.js';
import type { UserRegistry } from '../registry/registry.js';
import type { SessionCache } from '../session/cache.js';
import type { TaskRunner } from '../tasks/runner.js';
import type { SessionSource } from '../session/session-source.js';
import type { AccountInvalidations } from '../registry/account-invalidations.js';

export interface RunningAdmin {
  readonly url: string;
  reopenAudit(): void;
  close(): Promise<void>;
}

export interface AdminDeps {
  cache: SessionCache;
  engine: TaskRunner;
  /** Listings and counts (the fleet's store with dsess-enabled); default: the table. */
  sessions?: SessionSource;
  registry: UserRegistry;
  /** Fleet-wide account invalidation (dsess-enabled); default: the registry records it. */
  accounts?: AccountInvalidations;
  logger: Logger;
  metricsRegistry: Registry;
  metrics: GatehouseMetrics;
  extraRegistries?: readonly Registry[];
  clusterMetrics?: AggregatorRegistry<PrometheusContentType>;
}

export function adminOptions(config: Config, deps: AdminDeps): AdminServerOptions {
  const a = config.admin;
  const tls: AdminServerOptions['tls'] = a.tls === 'generate'
    ? { generate: true, stateDir: config.server['state-dir'] }
    : typeof a.tls === 'object' ? { cert: a.tls.cert, key: a.tls.key } : false;
  return {
    host: a.host,
    port: a.port,
    tls,
    ...(a['client-certificates'] ? { clientCertificates: a['client-certificates'] } : {}),
    engine: deps.engine,
    cache: deps.cache,
    ...(deps.sessions ? { sessions: deps.sessions } : {}),
    registry: deps.registry,
    ...(deps.accounts ? { accounts: deps.accounts } : {}),
    ...(a.policy ? { policyFile: a.policy } : {}),
    ...(a.tokens ? { tokensFile: a.tokens } : {}),
    auditFile: a.audit!,
    metricsAuth: a['metrics-auth'],
    logger: deps.logger,
    metricsRegistry: deps.metricsRegistry,
    metrics: deps.metrics,
    ...(deps.extraRegistries ? { extraRegistries: deps.extraRegistries } : {}),
    ...(deps.clusterMetrics ? { clusterMetrics: deps.clusterMetrics } : {}),
  };
}

export async function startAdmin(config: Config, deps: AdminDeps): Promise<RunningAdmin> {
  const server = await startAdminServer(adminOptions(config, deps));
  return { url: server.url, reopenAudit: () => server.reopenAudit(), close: () => server.close() };
}

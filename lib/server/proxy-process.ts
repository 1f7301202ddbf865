// proxy-process.ts -- one proxy process (a cluster worker, or the only
// process with --workers 0): maps the shared table the primary created,
// opens the registry and the access log, and serves the gateway on the
// configured listeners.
import type { Logger } from '../logger-type.js';
import { Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import { createMetrics } from '../metrics.js';
import { AuditLog } from '../audit/index.js';
import { AccessLog } from '../proxy/access-log.js';
import { Gateway } from '../proxy/gateway.js';
import { Pages } from '../proxy/pages.js';
import type { ProxyMetrics } from '../proxy/proxy-metrics.js';
import { FileRegistry } from '../registry/file-registry.js';
import type { UserRegistry } from '../registry/registry.js';
import { SessionCache } from '../session/cache.js';
import { TaskEngine } from '../tasks/engine.js';
import { countersForThisProcess } from './cluster-counters.js';
import { startListeners, type Listening } from './listeners.js';
import type { RunningFleet } from '../dsc/start.js';

export interface ProxyProcess {
  readonly listening: Listening;
  readonly metricsRegistry: Registry;
  /** Reopens the audit file and the access-log file (after logrotate renamed them). */
  reopenLogs(): void;
  close(): Promise<void>;
}

export function engineFor(cache: SessionCache, config: Config): TaskEngine {
  return new TaskEngine(cache, {
    serverName: config.server['pdadmin-server-name'],
    sessionServerName: config.server['server-name'],
    replicaSet: config.server['replica-set'],
  });
}

export interface ProxyProcessOptions {
  pendingKey: Buffer;
  logger: Logger;
  /** Reuse the caller's registry (in-process mode); else the process opens its own. */
  registry?: UserRegistry;
  /** Reuse the caller's fleet membership (in-process mode); else a dsess-enabled process joins on its own. */
  fleet?: RunningFleet;
}

/** Joins the fleet when session.dsess-enabled (the Redis client is loaded only then). */
export async function joinFleet(config: Config, cache: SessionCache, logger: Logger, role: 'primary' | 'worker',
  metricsRegistry?: Registry): Promise<RunningFleet | undefined> {
  if (!config.session['dsess-enabled']) return undefined;
  const [{ startFleet }, { dscMetrics }] = await Promise.all([import('../dsc/start.js'), import('../dsc/metrics.js')]);
  return startFleet(config, cache, engineFor(cache, config), logger, {
    heartbeat: role === 'primary', role, ...(metricsRegistry ? { metrics: dscMetrics(metricsRegistry) } : {}),
  });
}

export async function startProxyProcess(config: Config, options: ProxyProcessOptions): Promise<ProxyProcess> {
  const { logger } = options;
  const log = config.logging;
  // First: a requests-file that cannot be written stops the start before anything else is opened.
  const accessLog = log.requests ? AccessLog.open({ file: log['requests-file'], sampleRate: log['requests-sample-rate'], logger }) : undefined;
  const cache = SessionCache.open(config.server['table-name']!);
  const ownRegistry = options.registry === undefined;
  const registry = options.registry ?? await FileRegistry.open(config.registry.file, { watch: true, logger });
  const audit = config.admin.audit ? AuditLog.open(config.admin.audit) : undefined;
  const metricsRegistry = new Registry();
  let gateway: Gateway | undefined;
  const m = createMetrics(metricsRegistry, { only: 'proxy', processMetricsPrefix: 'gatehouse_', backends: () => gateway?.backendHealth() ?? [] });
  const metrics: ProxyMetrics = {
    login: (method, outcome) => m.logins.inc({ method, outcome: outcome === 'ok' ? 'success' : outcome }),
    validated: (started) => m.recordValidate(Number(process.hrtime.bigint() - started) / 1e9),
    request: (junction, status, upstreamMs) => m.recordRequest(junction, status, upstreamMs === undefined ? undefined : upstreamMs / 1000),
  };
  const ownFleet = options.fleet === undefined;
  let fleet: RunningFleet | undefined;
  try {
    fleet = options.fleet ?? await joinFleet(config, cache, logger, 'worker', metricsRegistry);
  } catch (err) {
    if (ownRegistry) registry.close();
    await accessLog?.close();
    cache.close();
    throw err;
  }
  const engine = fleet?.engine ?? engineFor(cache, config);
  const pages = Pages.load(config['acnt-mgt'].templates);
  for (const w of pages.warnings) logger.warn({ templates: config['acnt-mgt'].templates }, w);
  gateway = new Gateway({
    config,
    cache,
    engine,
    registry,
    pages,
    pendingKey: options.pendingKey,
    logger,
    metrics,
    // With a fleet, the failed-login counts live in Redis (every host sees them); else in this host.
    counters: fleet?.counters ?? countersForThisProcess(),
    ...(fleet !== undefined ? { fleet: fleet.fleet } : {}),
    ...(accessLog !== undefined ? { accessLog } : {}),
    recordEai: audit === undefined ? undefined : (r) => {
      const line = {
        initiator: `junction:${r.junction}`,
        method: 'eai',
        source: r.clientAddress,
        server: config.server['pdadmin-server-name'],
        task: r.task,
        outcome: r.outcome,
        ...(r.outcome === 'started' ? {} : { ended: r.ended ?? 0 }),
        detail: r.detail,
      };
      // Write-ahead: the started line is durable before the task runs, or this throws and it does not run.
      if (r.outcome === 'started') audit.recordSync(line);
      else audit.record(line).catch((err: unknown) => logger.error({ err }, 'audit write failed'));
    },
  });
  const running = gateway;
  let listening: Listening;
  try {
    listening = await startListeners(config, running);
  } catch (err) {
    await running.close();
    if (ownFleet) await fleet?.close();
    await accessLog?.close();
    cache.close();
    throw err;
  }
  return {
    listening,
    metricsRegistry,
    reopenLogs: () => {
      audit?.reopen().catch((err: unknown) => logger.error({ err: String(err) }, 'audit log reopen failed'));
      accessLog?.reopen();
    },
    async close() {
      await listening.close();
      await running.close();
      if (ownRegistry) registry.close();
      if (ownFleet) await fleet?.close();
      await audit?.close();
      await accessLog?.close();
      cache.close();
    },
  };
}

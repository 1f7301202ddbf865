// primary.ts -- `gatehouse serve`: the primary process opens the shared
// session table (the last run's, sessions and all, when it can be kept; see
// server-table.ts), runs the admin listener and the reaper, and forks the
// proxy workers (node:cluster), which all map the same table: a session
// made through one worker is valid on every other, and a termination
// through any front door holds on all of them at once.
import cluster, { type Worker } from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger-type.js';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import { createMetrics } from '../metrics.js';
import { FileRegistry } from '../registry/file-registry.js';
import { SessionCache } from '../session/cache.js';
import type { RunningAdmin } from './admin.js';
import { startCounterStore } from './cluster-counters.js';
import { engineFor, joinFleet, startProxyProcess, type ProxyProcess } from './proxy-process.js';
import type { RunningFleet } from '../dsc/start.js';
import { RunRecord } from './run-record.js';
import { openServerTable } from './server-table.js';
import { TableLock } from './table-lock.js';

export interface Running {
  readonly http?: string;
  readonly https?: string;
  readonly admin?: string;
  readonly workers: number;
  close(): Promise<void>;
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));
export const WORKER_ENV = 'GATEHOUSE_WORKER_CONFIG';
export const KEY_ENV = 'GATEHOUSE_PENDING_KEY';

export async function serve(config: Config, logger: Logger): Promise<Running> {
  const tableName = config.server['table-name']!;
  fs.mkdirSync(config.server['state-dir'], { recursive: true, mode: 0o700 });
  const lock = TableLock.acquire(config.server['state-dir'], tableName);
  // The previous run's table, with its sessions, when it can be kept (server-table.ts).
  let cache: SessionCache;
  let record: RunRecord;
  let created: boolean;
  try {
    const table = await openServerTable(config, logger, { crashed: lock.crashed });
    ({ cache, created } = table);
    record = RunRecord.begin(config.server['state-dir'], tableName, table.kills);
  } catch (err) {
    lock.release();
    throw err;
  }
  // The table stays for the next run; a start that fails removes only a table it made itself.
  const leave = (failed: boolean): void => {
    cache.close();
    if (failed && created) SessionCache.unlink(tableName);
    record.stopped();
    lock.release();
  };
  const pendingKey = crypto.randomBytes(32);
  let registry: FileRegistry;
  try {
    registry = await FileRegistry.open(config.registry.file, { watch: true, logger });
  } catch (err) {
    leave(true);
    throw err;
  }
  const metricsRegistry = new Registry();
  let fleet: RunningFleet | undefined;
  try {
    // With dsess-enabled the primary joins the fleet too: its admin plane acts fleet-wide, and it heartbeats.
    // Its metrics are the proxy's when it serves requests itself (workers 0); workers report their own.
    fleet = await joinFleet(config, cache, logger, 'primary', config.server.workers === 0 ? metricsRegistry : undefined);
  } catch (err) {
    registry.close();
    leave(true);
    throw err;
  }
  const engine = fleet?.engine ?? engineFor(cache, config);
  // Process metrics: the workers' are summed as gatehouse_*; the primary's own get a name of their own.
  const metrics = createMetrics(metricsRegistry, { only: 'admin', cache, ...(config.server.workers > 0 ? { processMetricsPrefix: 'gatehouse_primary_' } : {}) });
  const workerCount = config.server.workers;

  const reaper = setInterval(() => {
    try { cache.reap(); } catch (err) { logger.error({ err }, 'reap failed'); }
  }, Math.max(1, config.session['reap-interval']) * 1000);
  reaper.unref();

  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async (failed = false): Promise<void> => {
    clearInterval(reaper);
    for (const c of cleanups.reverse()) await c();
    await fleet?.close();
    registry.close();
    leave(failed);
  };

  try {
    let inProcess: ProxyProcess | undefined;
    let urls: { http?: string; https?: string };
    if (workerCount === 0) {
      inProcess = await startProxyProcess(config, { pendingKey, logger, registry, ...(fleet ? { fleet } : {}) });
      cleanups.push(() => inProcess!.close());
      urls = inProcess.listening;
    } else {
      // Failed-login counts and used pending logins, asked by every worker over IPC (in Redis with a fleet).
      if (fleet === undefined) startCounterStore();
      const workers = new Workers(config, pendingKey, logger, record);
      cleanups.push(() => workers.stop());
      urls = await workers.start(workerCount);
    }
    let admin: RunningAdmin | undefined;
    if (config.admin.enabled) {
      // Loaded only when enabled: a proxy-only deployment never loads the admin plane.
      const { startAdmin } = await import('./admin.js');
      admin = await startAdmin(config, {
        cache, engine, registry, logger, metricsRegistry, metrics,
        ...(fleet ? { sessions: fleet.sessions, accounts: fleet.accounts } : {}),
        ...(inProcess ? { extraRegistries: [inProcess.metricsRegistry] } : { clusterMetrics: new AggregatorRegistry() }),
      });
      cleanups.push(() => admin!.close());
    }
    // logrotate: `postrotate kill -HUP <primary>`; workers get it from here.
    const onHup = (): void => {
      admin?.reopenAudit();
      inProcess?.reopenLogs();
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    };
    process.on('SIGHUP', onHup);
    cleanups.push(() => { process.off('SIGHUP', onHup); });
    return { ...urls, admin: admin?.url, workers: workerCount, close: () => close() };
  } catch (err) {
    await close(true);
    throw err;
  }
}

/** The cluster of proxy workers: started together, restarted when one dies. */
class Workers {
  readonly #config: Config;
  readonly #key: Buffer;
  readonly #log: Logger;
  readonly #record: RunRecord;
  #stopping = false;
  readonly #live = new Set<Worker>();

  constructor(config: Config, key: Buffer, log: Logger, record: RunRecord) {
    this.#config = config;
    this.#key = key;
    this.#log = log;
    this.#record = record;
  }

  async start(n: number): Promise<{ http?: string; https?: string }> {
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
    const ready = await Promise.all(Array.from({ length: n }, () => this.#fork()));
    cluster.on('exit', (worker, code, signal) => {
      this.#live.delete(worker);
      if (this.#stopping) return;
      this.#log.error({ pid: worker.process.pid, code, signal }, 'proxy worker died; starting another');
      setTimeout(() => { if (!this.#stopping) this.#fork().catch((err) => this.#log.error({ err }, 'worker restart failed')); }, 500).unref();
    });
    return ready[0]!;
  }

  #fork(): Promise<{ http?: string; https?: string }> {
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(this.#config), [KEY_ENV]: this.#key.toString('hex') });
    this.#live.add(worker);
    // The next start waits for the workers the record names; one killed by a signal may have stopped mid-operation.
    const pid = worker.process.pid;
    if (pid !== undefined) this.#record.workerStarted(pid);
    worker.once('exit', (_code: number | null, signal: string | null) => {
      this.#live.delete(worker);
      if (pid !== undefined) this.#record.workerEnded(pid, signal !== null);
    });
    // A send to a worker whose IPC channel has closed (it failed, or died) fails with EPIPE, emitted
    // here; unhandled, it would crash the primary. The worker's exit is handled on its own.
    worker.on('error', (err) => this.#log.warn({ err, pid: worker.process.pid }, 'proxy worker IPC channel failed'));
    return new Promise((resolve, reject) => {
      const onMessage = (m: { type?: string; http?: string; https?: string; error?: string }): void => {
        if (m?.type === 'gatehouse:listening') { cleanup(); resolve({ http: m.http, https: m.https }); }
        if (m?.type === 'gatehouse:failed') { cleanup(); reject(new Error(m.error ?? 'worker failed to start')); }
      };
      const onExit = (code: number): void => { cleanup(); reject(new Error(`proxy worker exited during start (code ${code})`)); };
      const cleanup = (): void => { worker.off('message', onMessage); worker.off('exit', onExit); };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#live].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) { resolve(); return; }
      const t = setTimeout(() => { w.process.kill('SIGKILL'); }, 10_000);
      w.once('exit', () => { clearTimeout(t); resolve(); });
      // A worker that failed to start has already disconnected: it cannot be told, only signalled.
      if (w.isConnected()) w.send({ type: 'gatehouse:stop' }, (err: Error | null) => { if (err) w.process.kill('SIGTERM'); });
      else w.process.kill('SIGTERM');
    })));
  }
}

// worker-main.ts -- entry point of a proxy worker process (node:cluster).
// The primary passes the validated configuration and the shared HMAC key
// in the environment; the worker reports its listeners over IPC. If the
// primary dies (kill -9), the channel closes and node:cluster ends this
// process at once (it exits on an unexpected disconnect), between two table
// calls; the next primary waits for that before it checks the table.
import { serveWorkerMetrics } from '../metrics.js';
import type { Config } from '../config/types.js';
import { createLogger } from './logger.js';
import { KEY_ENV, WORKER_ENV } from './primary.js';
import { startProxyProcess } from './proxy-process.js';

async function main(): Promise<void> {
  const config = JSON.parse(process.env[WORKER_ENV] ?? 'null') as Config;
  const key = Buffer.from(process.env[KEY_ENV] ?? '', 'hex');
  delete process.env[KEY_ENV];
  const logger = createLogger(config.logging.level, { role: 'worker' });
  try {
    const proc = await startProxyProcess(config, { pendingKey: key, logger });
    serveWorkerMetrics(proc.metricsRegistry);
    logger.info({ http: proc.listening.http, https: proc.listening.https }, 'proxy worker listening');
    process.send?.({ type: 'gatehouse:listening', http: proc.listening.http, https: proc.listening.https });
    process.on('message', (m: { type?: string }) => {
      if (m?.type !== 'gatehouse:stop') return;
      proc.close().finally(() => process.exit(0));
    });
    // The primary decides about shutdown; a worker ignores terminal signals meant for the group.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => { proc.close().finally(() => process.exit(0)); });
    // Log rotation: the audit and access-log files were renamed; append to new ones from now on.
    process.on('SIGHUP', () => proc.reopenLogs());
  } catch (err) {
    logger.error({ err }, 'proxy worker failed to start');
    process.send?.({ type: 'gatehouse:failed', error: (err as Error).message });
    process.exitCode = 1;
    process.disconnect?.();
  }
}

void main();

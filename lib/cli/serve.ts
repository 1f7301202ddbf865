// serve.ts -- `gatehouse serve --config <file> [--workers N] [--check]`:
// validates the configuration (every problem named by key; exit 2), starts
// the proxy and the admin listener, logs one "gatehouse ready" line with the
// URLs, and shuts down cleanly on SIGINT/SIGTERM. With --check it only
// validates (exit 0 "configuration OK", or 1 with the problems).
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger } from '../server/logger.js';
import { serve, type Running } from '../server/primary.js';
import { checkConfig } from './check.js';

export const SERVE_USAGE = `usage: gatehouse serve --config <file> [--workers N] [--check]

  --config <file>   the configuration (YAML or JSON); see docs/proxy.md
  --check           validate the configuration and the files it names, then exit
                    (0: configuration OK; 1: the problems); nothing is started
  --workers N       proxy worker processes sharing one session table
                    (default: server.workers, else the number of cores; 0 = one process)
`;

export interface ServeIo { stdout: Writable; stderr: Writable }

/** Parses arguments and configuration; returns the config or an exit code. */
export function serveConfig(argv: string[], io: ServeIo, check = { wanted: false }): Config | number {
  let values: { config?: string; workers?: string; help?: boolean; check?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, workers: { type: 'string', short: 'w' }, help: { type: 'boolean', short: 'h' }, check: { type: 'boolean' } } }));
  } catch (err) {
    io.stderr.write(`gatehouse serve: ${(err as Error).message}\n${SERVE_USAGE}`);
    return 2;
  }
  if (values.help) { io.stdout.write(SERVE_USAGE); return 0; }
  if (values.config === undefined) { io.stderr.write(`gatehouse serve: --config is required\n${SERVE_USAGE}`); return 2; }
  check.wanted = values.check === true;
  let config: Config;
  try {
    config = loadConfig(values.config);
  } catch (err) {
    // --check reports like nginx -t: 1 for a configuration that would not start.
    if (err instanceof ConfigError) { io.stderr.write(`gatehouse serve: ${err.message}\n`); return check.wanted ? 1 : 2; }
    throw err;
  }
  if (values.workers !== undefined) {
    if (!/^\d{1,3}$/.test(values.workers) || Number(values.workers) > 256) {
      io.stderr.write(`gatehouse serve: --workers must be a whole number 0..256, got '${values.workers}'\n`);
      return 2;
    }
    config = { ...config, server: { ...config.server, workers: Number(values.workers) } };
  }
  return config;
}

/** Runs until a signal; resolves with the exit code. */
export async function runServe(argv: string[], io: ServeIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const check = { wanted: false };
  const config = serveConfig(argv, io, check);
  if (typeof config === 'number') return config;
  if (check.wanted) return runCheck(config, argv, io);
  return runConfigured(config, io);
}

async function runCheck(config: Config, argv: string[], io: ServeIo): Promise<number> {
  const file = argv[argv.findIndex((a) => a === '--config' || a === '-c') + 1] ?? argv.find((a) => a.startsWith('--config='))?.slice(9) ?? 'config';
  const problems = await checkConfig(config);
  if (problems.length === 0) { io.stdout.write(`gatehouse serve: ${file}: configuration OK\n`); return 0; }
  io.stderr.write(`gatehouse serve: ${file}: configuration not OK\n${problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`).join('\n')}\n`);
  return 1;
}

export async function runConfigured(config: Config, io: ServeIo, onReady?: (r: Running) => void): Promise<number> {
  const logger = createLogger(config.logging.level, { role: 'primary' });
  let running: Running;
  try {
    running = await serve(config, logger);
  } catch (err) {
    logger.error({ err }, 'gatehouse failed to start');
    io.stderr.write(`gatehouse serve: ${(err as Error).message}\n`);
    return 1;
  }
  logger.info({ http: running.http, https: running.https, admin: running.admin, workers: running.workers }, 'gatehouse ready');
  onReady?.(running);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'gatehouse stopping');
      running.close().then(() => resolve(0), (err) => { logger.error({ err }, 'shutdown failed'); resolve(1); });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

// commands.ts -- Redis commands per authenticated request at steady state,
// for Gatehouse with dsess-enabled (1 worker) and for express-session +
// connect-redis, each alone on the run's redis-server. After a warm-up on the
// logged-in session, `INFO stats commandstats` is read around a fixed number
// of requests, then around an idle window of the same length (Gatehouse's
// background: a probe PUBLISH every 250 ms per process, a heartbeat every
// 5 s from the primary), which is subtracted.
//
//   node dist/bench/distributed/commands.js [--requests 5000] [--quick] [--out file]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { CONTESTANTS, type Contestant } from '../proxy/contestants.js';
import { forkServer, stop, stopAll } from '../proxy/processes.js';
import { BACKEND_BODY, BENCH_PATH } from '../proxy/protocol.js';
import { sharedRedis, type BenchRedis } from '../proxy/redis.js';
import { commandsPerRequest, parseInfo, type CommandReading, type PerRequest } from './stats.js';

const USAGE = `usage: node dist/bench/distributed/commands.js [--requests 5000] [--quick] [--out file]
  --requests N   authenticated requests measured per contestant (default 5000; --quick: 2000)
  --out file     results JSON (default bench/results/commands-<date>.json)
`;
const CONNECTIONS = 10;
const IDS = ['gatehouse-redis', 'express-session-redis'] as const;

const say = (s: string): void => { process.stderr.write(`${s}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `n` GETs of the benchmark path over CONNECTIONS keep-alive connections; every answer must be the back-end's. */
async function load(url: string, headers: Record<string, string>, n: number): Promise<void> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  let next = 0;
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (next < n) {
        next++;
        const r = await pool.request({ path: BENCH_PATH, method: 'GET', headers });
        const body = await r.body.text();
        if (r.statusCode !== 200 || body !== BACKEND_BODY) throw new Error(`answered ${r.statusCode}: ${body.slice(0, 200)}`);
      }
    }));
  } finally {
    await pool.close();
  }
}

async function reading(redis: BenchRedis): Promise<CommandReading> {
  return parseInfo(await redis.info('stats', 'commandstats'));
}

interface Result extends PerRequest { id: string; label: string; loadSeconds: number }

async function measureOne(c: Contestant, redis: BenchRedis, backend: string, password: string, requests: number): Promise<Result> {
  const running = await c.start(backend, password);
  try {
    await load(running.url, running.headers, Math.min(1000, requests));  // warm-up: the session is known, the code hot
    await sleep(500);
    const l0 = await reading(redis);
    const t = performance.now();
    await load(running.url, running.headers, requests);
    const loadMs = performance.now() - t;
    const l1 = await reading(redis);
    await sleep(loadMs);
    const i1 = await reading(redis);
    return { id: c.id, label: c.label, loadSeconds: Math.round(loadMs) / 1000, ...commandsPerRequest([l0, l1], [l1, i1], requests) };
  } finally {
    await running.stop();
  }
}

const f = (x: number): string => (x === 0 ? '0' : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

export function markdown(results: readonly Result[]): string {
  const lines = [
    '| contestant | requests | load s | commands/request, raw | idle background (same length) | corrected |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.label} | ${r.requests.toLocaleString('en-US')} | ${r.loadSeconds} | ${f(r.raw)} | ${f(r.background)} | **${f(r.corrected)}** |`),
    '',
    '| contestant | command | per request, raw | background | corrected |',
    '|---|---|---:|---:|---:|',
    ...results.flatMap((r) => r.byCommand.map((b) => `| ${r.id} | ${b.command.toUpperCase()} | ${f(b.perRequest)} | ${f(b.background)} | ${f(b.corrected)} |`)),
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const arg = values.requests ?? (values.quick ? '2000' : '5000');
  if (!/^\d+$/.test(arg) || Number(arg) < 1 || Number(arg) > 10_000_000) { say(`--requests must be a whole number from 1, got '${arg}'\n${USAGE}`); return 2; }
  const requests = Number(arg);
  const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  const out = values.out ?? path.join(root, 'bench', 'results', `commands-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  const password = crypto.randomBytes(18).toString('base64url');
  const backend = await forkServer('backend.js');
  let redis: BenchRedis | undefined;
  const results: Result[] = [];
  try {
    redis = await sharedRedis();
    for (const id of IDS) {
      const c = CONTESTANTS.find((x) => x.id === id)!;
      say(`commands per request: ${c.label}, ${requests} requests`);
      results.push(await measureOne(c, redis, backend.url, password, requests));
    }
  } finally {
    await stop(backend.child);
    await redis?.stop();
    await stopAll();
  }
  process.stdout.write(`\n### Redis commands per authenticated request\n\n${markdown(results)}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), options: { requests, connections: CONNECTIONS }, results }, null, 2));
  say(`results: ${out}`);
  return 0;
}

process.once('SIGINT', () => { void stopAll().finally(() => process.exit(130)); });
main().then((code) => { process.exitCode = code; }, async (err: unknown) => {
  say(`bench:distributed commands failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await stopAll();
  process.exitCode = 1;
});

// load.ts -- one measurement: an autocannon warm-up, then the measured run
// against a running contestant, and the proof that it served what it should:
// no error, no non-2xx answer, and every answer came from the back-end
// (the back-end counted at least as many requests as autocannon got answers)
// with the user's identity when the contestant authenticates.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import autocannon, { type Result } from 'autocannon';
import type { RunningContestant } from './contestants.js';
import { cpuSeconds, ownCpuSeconds, totalCpuSeconds } from './cpu.js';
import { backendCounts } from './processes.js';
import { BENCH_PATH, type BackendCounts } from './protocol.js';

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface CpuFigures {
  /** All of the contestant's processes (Gatehouse: primary + workers). */
  proxySeconds: number;
  /** The contestant's CPU per answered request, in microseconds: its cost, whatever the machine. */
  proxyMicrosPerRequest: number;
  backendSeconds: number;
  /** This process: autocannon. */
  loadGeneratorSeconds: number;
  /**
   * (contestant + back-end + autocannon) CPU / (cores x duration). Near 1 when
   * the three had the machine to themselves; well below when something else
   * ran (another engineer's build) or the contestant left cores idle.
   */
  machineShare: number;
  /** Gatehouse only: each worker's share (did both work?). */
  workerSeconds?: number[];
}

export interface Measurement {
  connections: number;
  durationSeconds: number;
  /** Mean of autocannon's one-second samples. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  responses2xx: number;
  /** 2xx answers during the warm-up (a profile covers warm-up and run). */
  warmup2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  backend: BackendCounts;
  /** CPU seconds used during the measured run, where /proc tells (Linux). */
  cpu?: CpuFigures;
  /** Empty when the run proved itself; else what was wrong. */
  problems: string[];
}

interface CpuReading { proxy: number | undefined; backend: number | undefined; own: number; workers: Array<number | undefined> }

function cpuNow(c: RunningContestant, backend: ChildProcess): CpuReading {
  return { proxy: totalCpuSeconds(c.pids()), backend: cpuSeconds(backend.pid), own: ownCpuSeconds(), workers: (c.workerPids?.() ?? []).map(cpuSeconds) };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function cpuFigures(a: CpuReading, b: CpuReading, answered: number, seconds: number): { cpu?: CpuFigures } {
  if (a.proxy === undefined || b.proxy === undefined || a.backend === undefined || b.backend === undefined) return {};
  const proxy = b.proxy - a.proxy;
  const workers = a.workers.length === b.workers.length && a.workers.every((x) => x !== undefined) && b.workers.every((x) => x !== undefined)
    ? b.workers.map((x, i) => round2(x! - a.workers[i]!)) : undefined;
  return {
    cpu: {
      proxySeconds: round2(proxy),
      proxyMicrosPerRequest: Math.round((proxy * 1e7) / Math.max(1, answered)) / 10,
      backendSeconds: round2(b.backend - a.backend),
      loadGeneratorSeconds: round2(b.own - a.own),
      machineShare: round2((proxy + (b.backend - a.backend) + (b.own - a.own)) / (os.availableParallelism() * seconds)),
      ...(workers !== undefined && workers.length > 0 ? { workerSeconds: workers } : {}),
    },
  };
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fire(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Result> {
  return Promise.resolve(autocannon({ url: `${url}${BENCH_PATH}`, connections, duration, pipelining: 1, headers }));
}

export async function measure(c: RunningContestant, authenticates: boolean, backend: ChildProcess, o: LoadOptions): Promise<Measurement> {
  const warm = o.warmupSeconds > 0 ? await fire(c.url, c.headers, o.connections, o.warmupSeconds) : undefined;
  // Requests cut off at the end of the warm-up must not land in the measured counts.
  await settle(300);
  await backendCounts(backend, true);
  const before = cpuNow(c, backend);
  const r = await fire(c.url, c.headers, o.connections, o.durationSeconds);
  const after = cpuNow(c, backend);
  await settle(300);
  const seen = await backendCounts(backend, true);
  const problems: string[] = [];
  if (r.errors > 0) problems.push(`${r.errors} connection errors`);
  if (r.timeouts > 0) problems.push(`${r.timeouts} timeouts`);
  if (r.non2xx > 0) problems.push(`${r.non2xx} non-2xx answers`);
  if (r['2xx'] === 0) problems.push('no 2xx answer at all');
  // Every 2xx must have come from the back-end: an answer the proxy made up (a login page) would not be counted there.
  if (seen.total < r['2xx']) problems.push(`the back-end saw ${seen.total} requests but ${r['2xx']} 2xx answers came back`);
  if (authenticates && seen.identified !== seen.total) problems.push(`${seen.total - seen.identified} back-end requests without the user's iv-user`);
  return {
    connections: o.connections,
    durationSeconds: o.durationSeconds,
    requestsPerSecond: r.requests.average,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMeanMs: r.latency.average,
    responses2xx: r['2xx'],
    warmup2xx: warm?.['2xx'] ?? 0,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    backend: seen,
    ...cpuFigures(before, after, r['2xx'], o.durationSeconds),
    problems,
  };
}

// report.ts -- the benchmark's results: medians over rounds, ratios against
// the two baselines the issue names, the targets, and the markdown table
// printed at the end (the same one docs/benchmarks.md shows). A ratio is
// paired: round i of the contestant over round i of the baseline, then the
// median of those, with their range (see run.ts on drift).
import { median, medianInterval } from './bootstrap.js';
import type { ContestantId } from './contestants.js';
import type { Measurement } from './load.js';

export interface Row {
  id: ContestantId;
  label: string;
  connections: number;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The contestant's own CPU per answered request (median), where /proc tells. */
  proxyMicrosPerRequest: number | undefined;
  /** Median share of the machine the three processes got (see CpuFigures.machineShare). */
  machineShare: number | undefined;
  /** Against the plain undici proxy, same connections; undefined without it. */
  vsPlainUndici: Paired | undefined;
  /** Against express-session. */
  vsExpressSession: Paired | undefined;
  /** Every round's figures. */
  rounds: Measurement[];
  problems: string[];
}

export type Range = readonly [low: number, high: number];

/** A paired comparison with a baseline: req/s of round i over the baseline's round i. */
export interface Paired {
  /** Median of the per-round ratios. */
  readonly ratio: number;
  /** Their lowest and highest. */
  readonly range: Range;
  /** 95% bootstrap interval of the median (bootstrap.ts); undefined with few rounds. */
  readonly interval: Range | undefined;
}

/**
 * `met` / `missed` when the 95% interval of the ratio lies wholly above /
 * below the target, `inconclusive` when it straddles it. Without an
 * interval (few rounds) the median alone decides.
 */
export type Verdict = 'met' | 'missed' | 'inconclusive';

export interface Target {
  what: string; connections: number; ratio: number | undefined; interval: Range | undefined; target: number;
  verdict: Verdict | undefined;
  /** verdict === 'met' */
  met: boolean | undefined;
}


const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** `m` against `base`, over the rounds both have; undefined without a baseline. */
function paired(m: readonly Measurement[], base: readonly Measurement[] | undefined): Paired | undefined {
  if (base === undefined || base.length === 0) return undefined;
  const n = Math.min(m.length, base.length);
  const ratios = Array.from({ length: n }, (_, i) => m[i]!.requestsPerSecond / base[i]!.requestsPerSecond);
  return { ratio: median(ratios), range: [Math.min(...ratios), Math.max(...ratios)], interval: medianInterval(ratios) };
}

export function rows(labels: ReadonlyMap<ContestantId, string>, runs: ReadonlyMap<string, Measurement[]>, connections: readonly number[]): Row[] {
  const key = (id: ContestantId, c: number): string => `${id}@${c}`;
  const out: Row[] = [];
  for (const c of connections) {
    for (const [id, label] of labels) {
      const m = runs.get(key(id, c));
      if (m === undefined || m.length === 0) continue;
      out.push({
        id, label, connections: c,
        requestsPerSecond: median(m.map((x) => x.requestsPerSecond)),
        latencyP50Ms: median(m.map((x) => x.latencyP50Ms)),
        latencyP99Ms: median(m.map((x) => x.latencyP99Ms)),
        proxyMicrosPerRequest: m.every((x) => x.cpu !== undefined) ? round(median(m.map((x) => x.cpu!.proxyMicrosPerRequest)), 1) : undefined,
        machineShare: m.every((x) => x.cpu !== undefined) ? round(median(m.map((x) => x.cpu!.machineShare)), 2) : undefined,
        vsPlainUndici: paired(m, runs.get(key('plain-undici', c))),
        vsExpressSession: paired(m, runs.get(key('express-session', c))),
        rounds: m,
        problems: m.flatMap((x, i) => x.problems.map((p) => (m.length > 1 ? `round ${i + 1}: ${p}` : p))),
      });
    }
  }
  return out;
}

export function verdict(ratio: number | undefined, interval: Range | undefined, target: number): Verdict | undefined {
  if (ratio === undefined) return undefined;
  if (interval === undefined) return ratio >= target ? 'met' : 'missed';
  return interval[0] >= target ? 'met' : interval[1] < target ? 'missed' : 'inconclusive';
}

function target(what: string, connections: number, p: Paired | undefined, goal: number): Target {
  const v = verdict(p?.ratio, p?.interval, goal);
  return { what, connections, ratio: p?.ratio, interval: p?.interval, target: goal, verdict: v, met: v === undefined ? undefined : v === 'met' };
}

/**
 * The issues' targets, judged on one Gatehouse worker against the
 * single-process baselines, and on one Gatehouse worker with its sessions in
 * Redis against the same Gatehouse in local mode and against express-session
 * on the same Redis. A target whose baseline was not run is left out.
 */
export function targets(all: readonly Row[]): Target[] {
  const out: Target[] = [];
  const at = (id: ContestantId, connections: number): Row | undefined => all.find((r) => r.id === id && r.connections === connections);
  for (const r of all) {
    if (r.id === 'gatehouse-1') {
      out.push(target('Gatehouse (1 worker) / plain proxy (undici)', r.connections, r.vsPlainUndici, 0.9));
      out.push(target('Gatehouse (1 worker) / express-session', r.connections, r.vsExpressSession, 2));
    } else if (r.id === 'gatehouse-redis') {
      out.push(target('Gatehouse with Redis (1 worker) / Gatehouse local (1 worker)', r.connections, paired(r.rounds, at('gatehouse-1', r.connections)?.rounds), 0.8));
      out.push(target('Gatehouse with Redis (1 worker) / express-session + connect-redis', r.connections, paired(r.rounds, at('express-session-redis', r.connections)?.rounds), 3));
    }
  }
  return out.filter((g) => g.ratio !== undefined);
}

const ratio = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));
/** `0.93 (0.88-0.97)`: the median of the per-round ratios and their range, when there are several rounds. */
const ranged = (p: Paired | undefined): string =>
  p === undefined ? '-' : p.range[0] === p.range[1] ? ratio(p.ratio) : `${ratio(p.ratio)} (${ratio(p.range[0])}-${ratio(p.range[1])})`;
function verdictText(g: Target): string {
  if (g.verdict === undefined) return '-';
  if (g.verdict === 'met') return 'met';
  const short = `${((1 - (g.ratio ?? 0) / g.target) * 100).toFixed(0)}% short`;
  return g.verdict === 'missed' ? `**missed** (median ${short})` : `**inconclusive** (the interval holds ${g.target})`;
}
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

export function markdown(all: readonly Row[], goals: readonly Target[]): string {
  const lines = [
    '| contestant | connections | req/s | p50 ms | p99 ms | vs plain (undici) | vs express-session | proxy CPU µs/req | machine share | checked |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...all.map((r) => `| ${r.label} | ${r.connections} | ${int(r.requestsPerSecond)} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${ranged(r.vsPlainUndici)} | ${ranged(r.vsExpressSession)} | ${r.proxyMicrosPerRequest ?? '-'} | ${r.machineShare ?? '-'} | ${r.problems.length === 0 ? 'ok' : 'FAILED'} |`),
    '',
    '| target | connections | ratio | 95% interval | target | verdict |',
    '|---|---:|---:|---:|---:|---|',
    ...goals.map((g) => `| ${g.what} | ${g.connections} | ${ratio(g.ratio)} | ${g.interval === undefined ? '-' : `${ratio(g.interval[0])}-${ratio(g.interval[1])}`} | >= ${g.target} | ${verdictText(g)} |`),
  ];
  return lines.join('\n');
}

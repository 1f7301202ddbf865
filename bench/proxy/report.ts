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
  /** Median over rounds of req/s / the plain undici proxy's in the same round, same connections. */
  vsPlainUndici: number | undefined;
  /** The lowest and highest of those per-round ratios. */
  vsPlainUndiciRange: Range | undefined;
  /** 95% bootstrap interval of that median (bootstrap.ts); undefined with few rounds. */
  vsPlainUndiciInterval: Range | undefined;
  /** The same against express-session. */
  vsExpressSession: number | undefined;
  vsExpressSessionRange: Range | undefined;
  vsExpressSessionInterval: Range | undefined;
  /** Every round's figures. */
  rounds: Measurement[];
  problems: string[];
}

export type Range = readonly [low: number, high: number];

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

/** Round i over round i of the baseline, for the rounds both have; undefined without a baseline. */
function pairedRatios(m: readonly Measurement[], base: readonly Measurement[] | undefined): number[] | undefined {
  if (base === undefined || base.length === 0) return undefined;
  const n = Math.min(m.length, base.length);
  return Array.from({ length: n }, (_, i) => m[i]!.requestsPerSecond / base[i]!.requestsPerSecond);
}

export function rows(labels: ReadonlyMap<ContestantId, string>, runs: ReadonlyMap<string, Measurement[]>, connections: readonly number[]): Row[] {
  const key = (id: ContestantId, c: number): string => `${id}@${c}`;
  const out: Row[] = [];
  for (const c of connections) {
    for (const [id, label] of labels) {
      const m = runs.get(key(id, c));
      if (m === undefined || m.length === 0) continue;
      const undici = pairedRatios(m, runs.get(key('plain-undici', c)));
      const express = pairedRatios(m, runs.get(key('express-session', c)));
      out.push({
        id, label, connections: c,
        requestsPerSecond: median(m.map((x) => x.requestsPerSecond)),
        latencyP50Ms: median(m.map((x) => x.latencyP50Ms)),
        latencyP99Ms: median(m.map((x) => x.latencyP99Ms)),
        proxyMicrosPerRequest: m.every((x) => x.cpu !== undefined) ? round(median(m.map((x) => x.cpu!.proxyMicrosPerRequest)), 1) : undefined,
        machineShare: m.every((x) => x.cpu !== undefined) ? round(median(m.map((x) => x.cpu!.machineShare)), 2) : undefined,
        vsPlainUndici: undici === undefined ? undefined : median(undici),
        vsPlainUndiciRange: undici === undefined ? undefined : [Math.min(...undici), Math.max(...undici)],
        vsPlainUndiciInterval: undici === undefined ? undefined : medianInterval(undici),
        vsExpressSession: express === undefined ? undefined : median(express),
        vsExpressSessionRange: express === undefined ? undefined : [Math.min(...express), Math.max(...express)],
        vsExpressSessionInterval: express === undefined ? undefined : medianInterval(express),
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

function target(what: string, connections: number, ratio: number | undefined, interval: Range | undefined, goal: number): Target {
  const v = verdict(ratio, interval, goal);
  return { what, connections, ratio, interval, target: goal, verdict: v, met: v === undefined ? undefined : v === 'met' };
}

/** The issue's targets, judged on one Gatehouse worker against the single-process baselines. */
export function targets(all: readonly Row[]): Target[] {
  const out: Target[] = [];
  for (const r of all) {
    if (r.id !== 'gatehouse-1') continue;
    out.push(target('Gatehouse (1 worker) / plain proxy (undici)', r.connections, r.vsPlainUndici, r.vsPlainUndiciInterval, 0.9));
    out.push(target('Gatehouse (1 worker) / express-session', r.connections, r.vsExpressSession, r.vsExpressSessionInterval, 2));
  }
  return out;
}

const ratio = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));
/** `0.93 (0.88-0.97)`: the median of the per-round ratios and their range, when there are several rounds. */
const ranged = (x: number | undefined, r: Range | undefined): string =>
  x === undefined ? '-' : r === undefined || r[0] === r[1] ? ratio(x) : `${ratio(x)} (${ratio(r[0])}-${ratio(r[1])})`;
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
    ...all.map((r) => `| ${r.label} | ${r.connections} | ${int(r.requestsPerSecond)} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${ranged(r.vsPlainUndici, r.vsPlainUndiciRange)} | ${ranged(r.vsExpressSession, r.vsExpressSessionRange)} | ${r.proxyMicrosPerRequest ?? '-'} | ${r.machineShare ?? '-'} | ${r.problems.length === 0 ? 'ok' : 'FAILED'} |`),
    '',
    '| target | connections | ratio | 95% interval | target | verdict |',
    '|---|---:|---:|---:|---:|---|',
    ...goals.map((g) => `| ${g.what} | ${g.connections} | ${ratio(g.ratio)} | ${g.interval === undefined ? '-' : `${ratio(g.interval[0])}-${ratio(g.interval[1])}`} | >= ${g.target} | ${verdictText(g)} |`),
  ];
  return lines.join('\n');
}

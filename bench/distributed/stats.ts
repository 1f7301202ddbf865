// stats.ts -- the distributed benchmark's arithmetic: percentiles of a
// latency sample, and Redis commands per request from `INFO stats` and
// `INFO commandstats` readings taken around a load window and an idle
// window of the same length (the background: probes and heartbeats).

/** The nearest-rank percentile (p in 0..100) of `xs`: a value that was measured, never an interpolation. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

export interface Summary { n: number; min: number; p50: number; p90: number; p99: number; max: number; mean: number }

export function summarize(xs: readonly number[]): Summary {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    n: xs.length, min: percentile(xs, 0), p50: percentile(xs, 50), p90: percentile(xs, 90), p99: percentile(xs, 99),
    max: percentile(xs, 100), mean,
  };
}

/** One INFO reading: total_commands_processed and calls per command (lower case, e.g. `evalsha`). */
export interface CommandReading { total: number; calls: ReadonlyMap<string, number> }

/** Parses the text of `INFO stats commandstats` (`key:value` lines; `cmdstat_<name>:calls=N,...`). */
export function parseInfo(text: string): CommandReading {
  let total: number | undefined;
  const calls = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^total_commands_processed:(\d+)$/.exec(line);
    if (m) { total = Number(m[1]); continue; }
    const c = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (c) calls.set(c[1]!.toLowerCase(), Number(c[2]));
  }
  if (total === undefined) throw new Error('INFO has no total_commands_processed (ask for the stats section)');
  return { total, calls };
}

export interface CommandRow { command: string; perRequest: number; background: number; corrected: number }

export interface PerRequest {
  requests: number;
  /** Commands during the load window, per request (the INFO calls of the measurement itself left out). */
  raw: number;
  /** Commands during the idle window of the same length, per request. */
  background: number;
  /** raw - background, never below 0. */
  corrected: number;
  /** By command, most per request first. */
  byCommand: CommandRow[];
}

/**
 * Commands per request: `load` and `idle` are [before, after] readings of two
 * windows of equal length, `requests` were answered in the first. Each
 * reading is one INFO call, which Redis counts in the next one: INFO is left
 * out of everything.
 */
export function commandsPerRequest(load: readonly [CommandReading, CommandReading], idle: readonly [CommandReading, CommandReading], requests: number): PerRequest {
  if (!(requests > 0)) throw new RangeError('commandsPerRequest needs at least one request');
  const delta = (w: readonly [CommandReading, CommandReading], name: string): number => (w[1].calls.get(name) ?? 0) - (w[0].calls.get(name) ?? 0);
  const total = (w: readonly [CommandReading, CommandReading]): number => w[1].total - w[0].total - delta(w, 'info');
  const names = new Set([...load[1].calls.keys(), ...idle[1].calls.keys()]);
  names.delete('info');
  const byCommand = [...names].map((command) => {
    const perRequest = delta(load, command) / requests;
    const background = delta(idle, command) / requests;
    return { command, perRequest, background, corrected: Math.max(0, perRequest - background) };
  }).filter((r) => r.perRequest > 0 || r.background > 0).sort((a, b) => b.perRequest - a.perRequest || a.command.localeCompare(b.command));
  const raw = total(load) / requests;
  const background = total(idle) / requests;
  return { requests, raw, background, corrected: Math.max(0, raw - background), byCommand };
}

// bench-report.test.ts -- the proxy benchmark's arithmetic (bench/proxy/report.ts):
// ratios pair round i with the baseline's round i and report the median and
// range of those; targets are judged on that median.
import test from 'ava';
import type { Measurement } from '../bench/proxy/load.js';
import { markdown, rows, targets } from '../bench/proxy/report.js';
import type { ContestantId } from '../bench/proxy/contestants.js';

const m = (requestsPerSecond: number): Measurement => ({
  connections: 50, durationSeconds: 10, requestsPerSecond, latencyP50Ms: 1, latencyP99Ms: 2, latencyMeanMs: 1,
  responses2xx: requestsPerSecond * 10, warmup2xx: 0, non2xx: 0, errors: 0, timeouts: 0,
  backend: { total: requestsPerSecond * 10, identified: requestsPerSecond * 10 }, problems: [],
});

const labels = new Map<ContestantId, string>([['plain-undici', 'plain'], ['gatehouse-1', 'gh1']]);

test('ratios pair rounds: a machine that slows down between rounds does not move them', (t) => {
  // The machine halves its speed after round 1; every pair keeps a ratio of 0.9.
  const runs = new Map([
    ['plain-undici@50', [m(20_000), m(10_000), m(10_000)]],
    ['gatehouse-1@50', [m(18_000), m(9_000), m(9_000)]],
  ]);
  const [plain, gh] = rows(labels, runs, [50]);
  t.is(plain!.vsPlainUndici, 1);
  t.is(gh!.requestsPerSecond, 9_000);
  t.is(gh!.vsPlainUndici, 0.9);
  t.deepEqual(gh!.vsPlainUndiciRange, [0.9, 0.9]);
  t.is(gh!.vsExpressSession, undefined);
  const goal = targets([plain!, gh!]).find((g) => g.what.includes('plain'))!;
  t.is(goal.ratio, 0.9);
  t.true(goal.met);
});

test('the median of per-round ratios, with their range; a miss is reported as a miss', (t) => {
  const runs = new Map([
    ['plain-undici@50', [m(100), m(100), m(100)]],
    ['gatehouse-1@50', [m(80), m(95), m(85)]],
  ]);
  const gh = rows(labels, runs, [50]).find((r) => r.id === 'gatehouse-1')!;
  t.is(gh.vsPlainUndici, 0.85);
  t.deepEqual(gh.vsPlainUndiciRange, [0.8, 0.95]);
  const goals = targets([gh]);
  t.false(goals.find((g) => g.what.includes('plain'))!.met);
  const text = markdown([gh], goals);
  t.regex(text, /\| 0\.85 \(0\.80-0\.95\) \|/);
  t.regex(text, /\*\*no\*\* \(6% short\)/);
});

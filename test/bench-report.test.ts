// bench-report.test.ts -- the proxy benchmark's arithmetic (bench/proxy/report.ts):
// ratios pair round i with the baseline's round i and report the median and
// range of those; targets are judged on that median.
import test from 'ava';
import type { Measurement } from '../bench/proxy/load.js';
import { medianInterval } from '../bench/proxy/bootstrap.js';
import { markdown, rows, targets, verdict } from '../bench/proxy/report.js';
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
  t.is(plain!.vsPlainUndici!.ratio, 1);
  t.is(gh!.requestsPerSecond, 9_000);
  t.is(gh!.vsPlainUndici!.ratio, 0.9);
  t.deepEqual(gh!.vsPlainUndici!.range, [0.9, 0.9]);
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
  t.is(gh.vsPlainUndici!.ratio, 0.85);
  t.deepEqual(gh.vsPlainUndici!.range, [0.8, 0.95]);
  const goals = targets([gh]);
  t.false(goals.find((g) => g.what.includes('plain'))!.met);
  const text = markdown([gh], goals);
  t.regex(text, /\| 0\.85 \(0\.80-0\.95\) \|/);
  t.regex(text, /\*\*missed\*\* \(median 6% short\)/, 'three rounds: no interval, the median decides');
});

test('the bootstrap interval of the median: seeded, holds the median, narrows with more rounds', (t) => {
  t.is(medianInterval([0.9, 1, 1.1, 0.95]), undefined, 'fewer than five rounds give no interval');
  const noisy = [0.56, 0.71, 0.83, 0.84, 0.88, 0.9, 0.93, 0.97, 1.1, 1.33];
  const ci = medianInterval(noisy)!;
  t.deepEqual(medianInterval(noisy), ci, 'the same rounds give the same interval');
  t.true(ci[0] <= 0.89 && 0.89 <= ci[1], `${ci}`);
  t.true(ci[0] >= 0.56 && ci[1] <= 1.33);
  const many = Array.from({ length: 10 }, () => noisy).flat();
  const narrow = medianInterval(many)!;
  t.true(narrow[1] - narrow[0] < ci[1] - ci[0], `${narrow} vs ${ci}`);
  const flat = medianInterval([1, 1, 1, 1, 1, 1])!;
  t.deepEqual(flat, [1, 1]);
});

test('verdicts: the interval above the target is met, below is missed, across it is inconclusive', (t) => {
  t.is(verdict(0.95, [0.91, 0.99], 0.9), 'met');
  t.is(verdict(0.85, [0.8, 0.89], 0.9), 'missed');
  t.is(verdict(0.92, [0.87, 0.96], 0.9), 'inconclusive');
  t.is(verdict(0.88, [0.85, 0.9], 0.9), 'inconclusive', 'an interval reaching the target exactly still holds it');
  t.is(verdict(0.9, undefined, 0.9), 'met', 'without an interval the median decides');
  t.is(verdict(undefined, undefined, 0.9), undefined);
  // Through rows() and targets(): ten rounds of a noisy 0.9 straddle the target.
  const rounds = [0.7, 0.8, 0.85, 0.88, 0.9, 0.91, 0.93, 0.95, 1.0, 1.1];
  const runs = new Map([
    ['plain-undici@50', rounds.map(() => m(10_000))],
    ['gatehouse-1@50', rounds.map((r) => m(10_000 * r))],
  ]);
  const goal = targets(rows(labels, runs, [50])).find((g) => g.what.includes('plain'))!;
  t.is(goal.verdict, 'inconclusive');
  t.false(goal.met);
  t.regex(markdown([], [goal]), /\*\*inconclusive\*\* \(the interval holds 0\.9\)/);
});

test('sessions in Redis are judged against Gatehouse in local mode (0.8) and express-session on the same Redis (3), pairing rounds', (t) => {
  const all = new Map<ContestantId, string>([['gatehouse-1', 'gh1'], ['gatehouse-redis', 'ghr'], ['express-session-redis', 'esr']]);
  const runs = new Map([
    ['gatehouse-1@50', [m(10_000), m(5_000), m(10_000)]],
    ['gatehouse-redis@50', [m(9_000), m(4_000), m(9_500)]],
    ['express-session-redis@50', [m(2_000), m(1_000), m(3_000)]],
  ]);
  const goals = targets(rows(all, runs, [50]));
  t.deepEqual(goals.map((g) => [g.what, g.ratio, g.target, g.verdict]), [
    ['Gatehouse with Redis (1 worker) / Gatehouse local (1 worker)', 0.9, 0.8, 'met'],
    ['Gatehouse with Redis (1 worker) / express-session + connect-redis', 4, 3, 'met'],
  ], 'no plain or MemoryStore baseline was run: those targets are left out');
  const slow = targets(rows(all, new Map([...runs, ['gatehouse-redis@50', [m(7_000), m(3_000), m(7_000)]]]), [50]));
  t.is(slow[0]!.ratio, 0.7);
  t.is(slow[0]!.verdict, 'missed');
  t.regex(markdown([], slow), /\| Gatehouse with Redis \(1 worker\) \/ Gatehouse local \(1 worker\) \| 50 \| 0\.70 \| - \| >= 0\.8 \| \*\*missed\*\*/);
});

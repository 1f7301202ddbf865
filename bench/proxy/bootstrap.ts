// bootstrap.ts -- a confidence interval for the median of the per-round
// ratios (percentile bootstrap). On a machine this noisy a median alone
// hides how far it could move; the interval says whether a target is met,
// missed, or cannot be told apart from it. Seeded, so a results file
// always gives the same interval.

export const MIN_ROUNDS_FOR_CI = 5;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** xorshift32: small, seedable, good enough to resample with. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/**
 * The `level` (default 95%) percentile-bootstrap interval of the median of
 * `xs`; undefined with fewer than MIN_ROUNDS_FOR_CI values.
 */
export function medianInterval(xs: readonly number[], level = 0.95, resamples = 4000, seed = 0x9e3779b9): readonly [number, number] | undefined {
  if (xs.length < MIN_ROUNDS_FOR_CI) return undefined;
  const next = random(seed);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(next() * xs.length)]!;
    medians[r] = median(sample);
  }
  medians.sort();
  const tail = (1 - level) / 2;
  return [medians[Math.floor(tail * (resamples - 1))]!, medians[Math.ceil((1 - tail) * (resamples - 1))]!];
}

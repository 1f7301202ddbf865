// bench-distributed-stats.test.ts -- the distributed benchmark's arithmetic
// (bench/distributed/stats.ts): nearest-rank percentiles, and Redis commands
// per request from INFO readings with the idle background subtracted.
import test from 'ava';
import { commandsPerRequest, parseInfo, percentile, summarize } from '../bench/distributed/stats.js';

test('percentiles are nearest-rank: always a measured value, the slowest trial is p100', (t) => {
  const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i);  // 1..1000, unsorted
  t.is(percentile(xs, 50), 500);
  t.is(percentile(xs, 99), 990);
  t.is(percentile(xs, 100), 1000);
  t.is(percentile(xs, 0), 1);
  t.is(percentile([7], 99), 7);
  t.is(percentile([1, 2, 3, 40], 99), 40, 'with fewer than 100 values p99 is the maximum');
  const s = summarize([3, 1, 2, Number.POSITIVE_INFINITY]);
  t.is(s.p50, 2);
  t.is(s.max, Number.POSITIVE_INFINITY, 'a trial that never ended is slower than any other');
  t.throws(() => percentile([], 50), { instanceOf: RangeError });
  t.throws(() => percentile([1], 101), { instanceOf: RangeError });
  t.throws(() => percentile([1], Number.NaN), { instanceOf: RangeError });
});

const info = (total: number, calls: Record<string, number>): string => [
  '# Stats', 'total_connections_received:4', `total_commands_processed:${total}`, 'instantaneous_ops_per_sec:3', '',
  '# Commandstats', ...Object.entries(calls).map(([c, n]) => `cmdstat_${c}:calls=${n},usec=10,usec_per_call=1.00,rejected_calls=0,failed_calls=0`),
].join('\r\n');

test('INFO stats and commandstats are parsed; a reading without the stats section is refused', (t) => {
  const r = parseInfo(info(120, { get: 100, expire: 10, 'client|setname': 2 }));
  t.is(r.total, 120);
  t.is(r.calls.get('get'), 100);
  t.is(r.calls.get('client|setname'), 2);
  t.throws(() => parseInfo('# Commandstats\r\ncmdstat_get:calls=1'), { message: /total_commands_processed/ });
});

test('commands per request leave out the INFO calls and subtract the idle background, per command', (t) => {
  // Load window: 1,000 requests, 1,000 GET + 1,000 EXPIRE + 8 PUBLISH, and the INFO that opened it.
  const l0 = parseInfo(info(100, { info: 1, publish: 10 }));
  const l1 = parseInfo(info(100 + 2009, { info: 2, get: 1000, expire: 1000, publish: 18 }));
  // Idle window of the same length: 8 PUBLISH (probes) and the INFO that opened it.
  const i1 = parseInfo(info(100 + 2009 + 9, { info: 3, get: 1000, expire: 1000, publish: 26 }));
  const r = commandsPerRequest([l0, l1], [l1, i1], 1000);
  t.is(r.raw, 2.008);
  t.is(r.background, 0.008);
  t.is(r.corrected, 2);
  t.deepEqual(r.byCommand.map((b) => [b.command, b.perRequest, b.background, b.corrected]), [
    ['expire', 1, 0, 1], ['get', 1, 0, 1], ['publish', 0.008, 0.008, 0],
  ]);
  t.false(r.byCommand.some((b) => b.command === 'info'));
  // A quieter load window than the idle one never gives a negative count.
  const quiet = commandsPerRequest([l0, l0], [l0, l1], 1000);
  t.is(quiet.corrected, 0);
  t.throws(() => commandsPerRequest([l0, l1], [l1, i1], 0), { instanceOf: RangeError });
});

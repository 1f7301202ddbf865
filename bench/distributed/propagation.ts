// propagation.ts -- how fast a termination on one host reaches another: two
// real `gatehouse serve` hosts A and B (one worker each) on one redis-server.
// Each trial logs the benchmark user in on A, has B adopt the session (one
// request on B is served), then ends the user's sessions through A's admin
// API (DELETE /api/v1/users/<user>/sessions) and, the moment that call has
// returned, polls B with the cookie on one keep-alive connection, back to
// back, until B answers with the login page. The figure is the time from the
// admin call's return to that first refused answer. Target: p99 < 5 ms.
//
//   node dist/bench/distributed/propagation.js [--trials 1000] [--quick] [--out file]
//
// Resolution: a poll is one request to B, so the figure is at least one
// refused request's round trip (B asks Redis about a session it no longer
// holds). The served round trip (a request B answers from its near-cache) is
// measured too and reported beside it, and so is the moment the termination's
// invalidation message reaches a subscriber in this process (the same
// channel B listens on), relative to the admin call's return: the
// propagation itself, without a poll's round trip.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from 'redis';
import { Client } from 'undici';
import { Keys } from '../../lib/dsc/keys.js';
import { GATEHOUSE_COOKIE, startGatehouse, type RunningGatehouse } from '../proxy/gatehouse.js';
import { formLogin } from '../proxy/login.js';
import { forkServer, stop, stopAll } from '../proxy/processes.js';
import { BACKEND_BODY, BENCH_PATH, BENCH_USER } from '../proxy/protocol.js';
import { startRedis, type BenchRedis } from '../proxy/redis.js';
import { summarize, type Summary } from './stats.js';

const USAGE = `usage: node dist/bench/distributed/propagation.js [--trials 1000] [--quick] [--out file]
  --trials N   terminations measured (default 1000; --quick: 50)
  --out file   results JSON (default bench/results/propagation-<date>.json)
`;
const TARGET_P99_MS = 5;
/** A trial whose B still serves the session this long after the call counts as never refused. */
const GIVE_UP_MS = 2_000;
const ADMIN = 'sec_master';

const say = (s: string): void => { process.stderr.write(`${s}\n`); };
const ms = (x: number): number => Math.round(x * 1000) / 1000;

interface Trial {
  /** From the admin call's return to B's first refused answer; undefined when B still served after GIVE_UP_MS. */
  propagationMs: number | undefined;
  /** Requests B got after the call, the refused one included. */
  polls: number;
  /** The admin call's own duration. */
  adminCallMs: number;
  /** One request B served from its near-cache, before the call. */
  servedRoundTripMs: number;
  /** The refused answer's own round trip (the last poll). */
  refusedRoundTripMs: number | undefined;
  /** When this process's subscriber got the invalidation, from the call's return (negative: before it). */
  invalidationMs: number | undefined;
}

/** When the last `u\t<user>` invalidation reached this process's subscriber (performance.now()). */
const heard = { at: undefined as number | undefined };

interface Answer { status: number; body: string; ms: number }

async function get(client: Client, cookie: string): Promise<Answer> {
  const t = performance.now();
  const r = await client.request({ path: BENCH_PATH, method: 'GET', headers: { cookie } });
  const body = await r.body.text();
  return { status: r.statusCode, body, ms: performance.now() - t };
}

const isServed = (a: Answer): boolean => a.status === 200 && a.body === BACKEND_BODY;
const isRefused = (a: Answer): boolean => a.status === 200 && a.body.includes('pkmslogin.form');

async function trial(a: RunningGatehouse, onB: Client, admin: Client, password: string, adminAuth: string): Promise<Trial> {
  const cookie = await formLogin(a.url, '/pkmslogin.form', { username: BENCH_USER, password, 'login-form-type': 'pwd', url: BENCH_PATH }, GATEHOUSE_COOKIE);
  const adopted = await get(onB, cookie);
  if (!isServed(adopted)) throw new Error(`B did not serve the session logged in on A: ${adopted.status} ${adopted.body.slice(0, 200)}`);
  const served = await get(onB, cookie);
  if (!isServed(served)) throw new Error(`B did not serve the adopted session: ${served.status} ${served.body.slice(0, 200)}`);

  heard.at = undefined;
  const t0 = performance.now();
  const r = await admin.request({ path: `/api/v1/users/${BENCH_USER}/sessions`, method: 'DELETE', headers: { authorization: adminAuth } });
  const text = await r.body.text();
  const returned = performance.now();
  if (r.statusCode !== 200) throw new Error(`DELETE sessions on A answered ${r.statusCode}: ${text.slice(0, 200)}`);
  const ended = (JSON.parse(text) as { ended?: number }).ended;
  if (ended === undefined || ended < 1) throw new Error(`DELETE sessions on A ended ${String(ended)} sessions: ${text.slice(0, 200)}`);

  for (let polls = 1; ; polls++) {
    const p = await get(onB, cookie);
    const now = performance.now();
    if (isRefused(p)) {
      if (!p.body.includes('data-reason="all_sessions_terminated"')) throw new Error(`B refused without the termination's reason: ${p.body.slice(0, 300)}`);
      for (let i = 0; i < 100 && heard.at === undefined; i++) await new Promise((r) => setTimeout(r, 1));
      return { propagationMs: now - returned, polls, adminCallMs: returned - t0, servedRoundTripMs: served.ms, refusedRoundTripMs: p.ms, invalidationMs: heard.at === undefined ? undefined : heard.at - returned };
    }
    if (!isServed(p)) throw new Error(`B answered neither the back-end nor the login page: ${p.status} ${p.body.slice(0, 200)}`);
    if (now - returned > GIVE_UP_MS) return { propagationMs: undefined, polls, adminCallMs: returned - t0, servedRoundTripMs: served.ms, refusedRoundTripMs: undefined, invalidationMs: undefined };
  }
}

export interface PropagationReport {
  trials: number;
  neverRefused: number;
  propagationMs: Summary | undefined;
  /** Trials whose first poll was already refused (the invalidation had arrived before the call returned). */
  refusedAtFirstPoll: number;
  servedRoundTripMs: Summary;
  refusedRoundTripMs: Summary | undefined;
  /** The invalidation message at a subscriber in the benchmark process, from the call's return. */
  invalidationMs: Summary | undefined;
  adminCallMs: Summary;
  pollsMax: number;
  target: { p99BelowMs: number; met: boolean };
}

function rounded(s: Summary): Summary {
  return { n: s.n, min: ms(s.min), p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max), mean: ms(s.mean) };
}

export function report(trials: readonly Trial[]): PropagationReport {
  const done = trials.flatMap((t) => (t.propagationMs === undefined ? [] : [t.propagationMs]));
  const refused = trials.flatMap((t) => (t.refusedRoundTripMs === undefined ? [] : [t.refusedRoundTripMs]));
  const heardAt = trials.flatMap((t) => (t.invalidationMs === undefined ? [] : [t.invalidationMs]));
  const neverRefused = trials.length - done.length;
  // A trial never refused counts as slower than any other: with one in a hundred, p99 fails.
  const all = [...done, ...Array.from({ length: neverRefused }, () => Number.POSITIVE_INFINITY)];
  const propagation = all.length === 0 ? undefined : rounded(summarize(all));
  return {
    trials: trials.length,
    neverRefused,
    propagationMs: propagation,
    refusedAtFirstPoll: trials.filter((t) => t.propagationMs !== undefined && t.polls === 1).length,
    servedRoundTripMs: rounded(summarize(trials.map((t) => t.servedRoundTripMs))),
    refusedRoundTripMs: refused.length === 0 ? undefined : rounded(summarize(refused)),
    invalidationMs: heardAt.length === 0 ? undefined : rounded(summarize(heardAt)),
    adminCallMs: rounded(summarize(trials.map((t) => t.adminCallMs))),
    pollsMax: Math.max(...trials.map((t) => t.polls)),
    target: { p99BelowMs: TARGET_P99_MS, met: propagation !== undefined && propagation.p99 < TARGET_P99_MS },
  };
}

export function markdown(r: PropagationReport): string {
  const row = (what: string, s: Summary | undefined): string =>
    s === undefined ? `| ${what} | - | - | - | - | - |` : `| ${what} | ${s.n} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.max} |`;
  return [
    '| ms | trials | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|',
    row('terminate returned on A -> B refuses', r.propagationMs),
    row('B serves a known session (one poll, for scale)', r.servedRoundTripMs),
    row('B refuses an ended session (the last poll)', r.refusedRoundTripMs),
    row('the admin call on A (DELETE .../sessions)', r.adminCallMs),
    row('invalidation message at a subscriber here, from the call\'s return (negative: before)', r.invalidationMs),
    '',
    `Refused at the first poll: ${r.refusedAtFirstPoll} of ${r.trials}; most polls in a trial: ${r.pollsMax}; never refused within ${GIVE_UP_MS} ms: ${r.neverRefused}.`,
    `Target p99 < ${TARGET_P99_MS} ms: ${r.target.met ? 'met' : '**missed**'} (p99 ${r.propagationMs?.p99 ?? '-'} ms).`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { trials: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const trialsArg = values.trials ?? (values.quick ? '50' : '1000');
  if (!/^\d+$/.test(trialsArg) || Number(trialsArg) < 1 || Number(trialsArg) > 1_000_000) { say(`--trials must be a whole number from 1, got '${trialsArg}'\n${USAGE}`); return 2; }
  const n = Number(trialsArg);
  const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  const out = values.out ?? path.join(root, 'bench', 'results', `propagation-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);

  const password = crypto.randomBytes(18).toString('base64url');
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const adminAuth = `Basic ${Buffer.from(`${ADMIN}:${adminPassword}`).toString('base64')}`;
  const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  say(`propagation: ${n} trials; load average ${loadAverage.join(' ')}`);
  let redis: BenchRedis | undefined;
  const hosts: RunningGatehouse[] = [];
  const clients: Client[] = [];
  let subscriber: ReturnType<typeof createClient> | undefined;
  const backend = await forkServer('backend.js');
  const trials: Trial[] = [];
  try {
    redis = await startRedis();
    const keyPrefix = `gh-prop-${process.pid}`;
    const shared = { backend: backend.url, workers: 1, password, redis: { url: redis.url, keyPrefix } };
    subscriber = createClient({ url: redis.url, name: 'gatehouse-bench-listener' });
    subscriber.on('error', () => { /* a lost message shows as a trial without the figure */ });
    await subscriber.connect();
    const mine = `u\t${BENCH_USER}`;
    await subscriber.subscribe(new Keys(keyPrefix).channel, (m) => { if (m === mine) heard.at = performance.now(); });
    const a = await startGatehouse({ ...shared, admin: true, extraUsers: [{ id: ADMIN, password: adminPassword, groups: ['iv-admin'] }] });
    hosts.push(a);
    hosts.push(await startGatehouse(shared));
    const onB = new Client(hosts[1]!.url, { pipelining: 1 });
    const admin = new Client(a.admin!, { pipelining: 1 });
    clients.push(onB, admin);
    for (let i = 0; i < n; i++) {
      trials.push(await trial(a, onB, admin, password, adminAuth));
      if ((i + 1) % 100 === 0) say(`  ${i + 1} trials`);
    }
  } finally {
    for (const c of clients) await c.close();
    await subscriber?.close().catch(() => {});
    for (const h of hosts) await h.stop();
    await stop(backend.child);
    await redis?.stop();
    await stopAll();
  }
  const logs = hosts.flatMap((h) => h.log);
  const r = report(trials);
  process.stdout.write(`\n### Propagation (${n} trials)\n\n${markdown(r)}\n`);
  if (logs.length > 0) say(`the hosts logged ${logs.length} warning/error lines, e.g.: ${logs[0]}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverageAtStart: loadAverage,
    options: { trials: n, giveUpMs: GIVE_UP_MS, hosts: 2, workersPerHost: 1 }, report: r, trials, logs,
  }, null, 2));
  say(`results: ${out}`);
  return logs.length > 0 || r.neverRefused > 0 ? 1 : 0;
}

process.once('SIGINT', () => { void stopAll().finally(() => process.exit(130)); });
main().then((code) => { process.exitCode = code; }, async (err: unknown) => {
  say(`bench:distributed propagation failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await stopAll();
  process.exitCode = 1;
});

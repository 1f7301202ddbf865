// run.ts -- `npm run bench:proxy`: Gatehouse (1 worker, then 2) against a
// plain Node proxy (undici; and http.request + keep-alive Agent) and
// express + express-session + http-proxy-middleware (and, for
// `npm run bench:distributed`, both with their sessions in Redis), all serving
// authenticated GETs from the same back-end, loaded with autocannon one
// contestant at a time. Prints a markdown table and writes the results to
// bench/results/proxy-<date>.json. Every child runs in its own process; the
// load generator runs in this one and competes with them for the same cores.
//
//   node dist/bench/proxy/run.js [--connections 50,10] [--duration 10] [--warmup 2]
//        [--rounds 1] [--interleave] [--only gatehouse-1,plain-undici] [--profile 5] [--quick] [--out file]
//
// Ratios are paired: each round's Gatehouse figure over the same round's
// baseline figure, then the median over rounds. On a shared machine whose
// speed drifts over minutes, a pair measured seconds apart cancels the drift
// that a ratio of two medians taken minutes apart keeps.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONTESTANTS, type Contestant, type ContestantId, type RunningContestant } from './contestants.js';
import { measure, type LoadOptions, type Measurement } from './load.js';
import { forkServer, stopAll, stop } from './processes.js';
import { busiestProfile, summarize, type Frame, type ProfileSummary } from './profile.js';
import { markdown, rows, targets } from './report.js';

const USAGE = `usage: node dist/bench/proxy/run.js [options]
  --connections 50,10   autocannon connections, one measurement each (default 50,10)
  --duration 10         seconds measured per contestant and connection count
  --warmup 2            seconds of warm-up before each measurement
  --rounds 1            repeat everything (alternating order); medians are reported
  --interleave          start every contestant once and keep it running; each round then measures
                        them one after the other per connection count (rotating order), so the
                        measurements a ratio pairs are seconds apart
  --only a,b            contestants: ${CONTESTANTS.map((c) => c.id).join(', ')}
  --profile 5           afterwards, profile one contestant (--cpu-prof) under 50 connections this long
  --profile-of a,b      which ones (default gatehouse-1; its worker's profile is summarised)
  --quick               --duration 3 --warmup 1 --connections 50
  --out <file>          results JSON (default bench/results/proxy-<date>.json)
`;

interface Args { connections: number[]; load: Omit<LoadOptions, 'connections'>; rounds: number; interleave: boolean; only: Contestant[]; profileSeconds: number; profileOf: Contestant[]; out: string }

function positive(name: string, s: string, min = 1): number {
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > 100_000) throw new Error(`--${name} must be a whole number from ${min}, got '${s}'`);
  return Number(s);
}

function args(argv: string[]): Args | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      connections: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string', default: '1' }, interleave: { type: 'boolean', default: false },
      only: { type: 'string' }, profile: { type: 'string' }, 'profile-of': { type: 'string', default: 'gatehouse-1' }, quick: { type: 'boolean', default: false }, out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) { process.stdout.write(USAGE); return undefined; }
  const connections = (values.connections ?? (values.quick ? '50' : '50,10')).split(',').map((s) => positive('connections', s.trim()));
  const ids = values.only?.split(',').map((s) => s.trim());
  const unknown = ids?.filter((id) => !CONTESTANTS.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown contestant ${unknown.join(', ')}`);
  const profileIds = values['profile-of'].split(',').map((s) => s.trim());
  const profileOf = CONTESTANTS.filter((c) => profileIds.includes(c.id));
  if (profileOf.length !== profileIds.length) throw new Error(`--profile-of: unknown contestant in ${values['profile-of']}`);
  const date = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  return {
    connections,
    load: {
      durationSeconds: positive('duration', values.duration ?? (values.quick ? '3' : '10')),
      warmupSeconds: positive('warmup', values.warmup ?? (values.quick ? '1' : '2'), 0),
    },
    rounds: positive('rounds', values.rounds),
    interleave: values.interleave,
    only: ids === undefined ? [...CONTESTANTS] : CONTESTANTS.filter((c) => ids.includes(c.id)),
    profileSeconds: values.profile === undefined ? 0 : positive('profile', values.profile),
    profileOf,
    out: values.out ?? path.join(root, 'bench', 'results', `proxy-${date}.json`),
  };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version, platform: `${os.type()} ${os.release()}`, cpus: cpus.length, cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const say = (s: string): void => { process.stderr.write(`${s}\n`); };

function profileText(p: ProfileSummary & { label: string }): string {
  const list = (title: string, frames: Frame[]): string => frames.length === 0 ? '' : `\n${title}:\n${frames.map((f) =>
    `  ${f.percent.toFixed(1).padStart(5)}%${f.microsPerRequest === undefined ? '' : `  ${f.microsPerRequest.toFixed(2).padStart(6)} µs/req`}  ${f.frame}`).join('\n')}\n`;
  const per = p.busyMicrosPerRequest === undefined ? '' : `, ${p.requests} requests, ${p.busyMicrosPerRequest} µs busy per request`;
  return `\nProfile of ${p.label}, busiest process: ${p.totalMs} ms from the first request, ${p.idlePercent}% idle${per}; ${p.file}\n`
    + list('by origin', p.byOrigin) + list('top frames (self time)', p.topSelf) + list('Gatehouse functions (inclusive)', p.gatehouseInclusive);
}

/** Runs `c` under --cpu-prof for `seconds` at 50 connections and summarises its busiest process. */
async function profileOne(c: Contestant, backend: string, password: string, backendChild: Parameters<typeof measure>[2], seconds: number, outDir: string): Promise<ProfileSummary | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-prof-'));
  try {
    const running = await c.start(backend, password, ['--cpu-prof', '--cpu-prof-dir', dir]);
    let requests: number;
    try {
      const m = await measure(running, c.authenticates, backendChild, { connections: 50, durationSeconds: seconds, warmupSeconds: 1 });
      requests = m.warmup2xx + m.responses2xx;
    } finally {
      await running.stop();
    }
    const file = busiestProfile(dir);
    if (file === undefined) { say('no .cpuprofile was written'); return undefined; }
    fs.mkdirSync(outDir, { recursive: true });
    const kept = path.join(outDir, `proxy-${c.id}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.cpuprofile`);
    fs.copyFileSync(file, kept);
    // From the first request on: module loading and start-up are not the steady state.
    return { ...summarize(file, (f) => f.functionName === 'parserOnIncoming' && f.url === 'node:_http_server', requests), file: kept };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let a: Args | undefined;
  try {
    a = args(process.argv.slice(2));
  } catch (err) {
    say(`bench:proxy: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (a === undefined) return 0;
  const info = machine();
  say(`machine: ${info['cpus']} x ${info['cpuModel']}, Node ${process.version}, load average ${(info['loadAverageAtStart'] as number[]).join(' ')}`);
  if (((info['loadAverageAtStart'] as number[])[0] ?? 0) > 0.5) say('warning: the machine is not idle; other work skews these numbers');
  const password = crypto.randomBytes(18).toString('base64url');
  const backend = await forkServer('backend.js');
  const runs = new Map<string, Measurement[]>();
  const logs: Record<string, string[]> = {};
  const profiles: Array<ProfileSummary & { of: ContestantId; label: string }> = [];
  const record = async (c: Contestant, running: RunningContestant, connections: number): Promise<void> => {
    const m = await measure(running, c.authenticates, backend.child, { ...a.load, connections });
    const cpu = m.cpu === undefined ? '' : `; CPU s: proxy ${m.cpu.proxySeconds}${m.cpu.workerSeconds ? ` (workers ${m.cpu.workerSeconds.join(' + ')})` : ''}, back-end ${m.cpu.backendSeconds}, autocannon ${m.cpu.loadGeneratorSeconds}; machine share ${m.cpu.machineShare}; proxy ${m.cpu.proxyMicrosPerRequest} µs/req`;
    say(`  ${c.id} @ ${connections} connections: ${Math.round(m.requestsPerSecond)} req/s, p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms${cpu}${m.problems.length ? `; PROBLEMS: ${m.problems.join('; ')}` : ''}`);
    const key = `${c.id}@${connections}`;
    runs.set(key, [...(runs.get(key) ?? []), m]);
  };
  const keepLog = (c: Contestant, running: RunningContestant): void => {
    if (running.log !== undefined && running.log.length > 0) (logs[c.id] ??= []).push(...running.log.slice(0, 20));
  };
  try {
    if (a.interleave) {
      const started = new Map<Contestant, RunningContestant>();
      try {
        for (const c of a.only) {
          say(`${c.label}: starting`);
          started.set(c, await c.start(backend.url, password));
        }
        for (let round = 0; round < a.rounds; round++) {
          say(`[round ${round + 1}/${a.rounds}]`);
          // Rotate the order so no contestant always runs first (or right after another).
          const order = a.only.map((_, i) => a.only[(i + round) % a.only.length]!);
          for (const connections of a.connections) for (const c of order) await record(c, started.get(c)!, connections);
        }
      } finally {
        for (const [c, running] of started) { await running.stop(); keepLog(c, running); }
      }
    } else {
      for (let round = 0; round < a.rounds; round++) {
        // Alternate the order so drift (heat, neighbours) does not always favour the same contestant.
        const order = round % 2 === 0 ? a.only : [...a.only].reverse();
        for (const c of order) {
          say(`[round ${round + 1}/${a.rounds}] ${c.label}: starting`);
          const running = await c.start(backend.url, password);
          try {
            for (const connections of a.connections) await record(c, running, connections);
          } finally {
            await running.stop();
          }
          keepLog(c, running);
        }
      }
    }
    for (const c of a.profileSeconds > 0 ? a.profileOf : []) {
      say(`profiling ${c.label} for ${a.profileSeconds} s (--cpu-prof)`);
      const p = await profileOne(c, backend.url, password, backend.child, a.profileSeconds, path.dirname(a.out));
      if (p !== undefined) profiles.push({ of: c.id, label: c.label, ...p });
    }
  } finally {
    await stop(backend.child);
    await stopAll();
  }

  const labels = new Map<ContestantId, string>(a.only.map((c) => [c.id, c.label]));
  const table = rows(labels, runs, a.connections);
  const goals = targets(table);
  process.stdout.write(`\n${markdown(table, goals)}\n`);
  for (const p of profiles) process.stdout.write(profileText(p));
  for (const [id, lines] of Object.entries(logs)) say(`${id} logged ${lines.length} warning/error lines, e.g.: ${lines[0]}`);
  fs.mkdirSync(path.dirname(a.out), { recursive: true });
  fs.writeFileSync(a.out, JSON.stringify({
    date: new Date().toISOString(), machine: info,
    options: { connections: a.connections, ...a.load, rounds: a.rounds, interleave: a.interleave, pipelining: 1, contestants: a.only.map((c) => c.id) },
    results: table, targets: goals, profiles, logs,
  }, null, 2));
  say(`\nresults: ${a.out}`);
  const failed = table.filter((r) => r.problems.length > 0);
  for (const r of failed) say(`FAILED ${r.label} @ ${r.connections}: ${r.problems.join('; ')}`);
  return failed.length > 0 || Object.keys(logs).length > 0 ? 1 : 0;
}

process.once('SIGINT', () => { void stopAll().finally(() => process.exit(130)); });
main().then((code) => { process.exitCode = code; }, async (err: unknown) => {
  say(`bench:proxy failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await stopAll();
  process.exitCode = 1;
});

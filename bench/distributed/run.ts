// run.ts -- `npm run bench:distributed`: the distributed session cache's
// three benchmarks, one after the other, each in its own process:
//   1. propagation.ts: a termination on host A until host B refuses the session;
//   2. commands.ts: Redis commands per authenticated request at steady state;
//   3. the proxy harness (bench/proxy/run.ts): Gatehouse with sessions in
//      Redis against the same Gatehouse in local mode and against
//      express-session + connect-redis on the same Redis, interleaved rounds.
// The whole run takes about 5 minutes on a 2-core machine; --quick about 1.
//
//   node dist/bench/distributed/run.js [--quick]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const script = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

function steps(quick: boolean): Array<{ what: string; args: string[] }> {
  const q = quick ? ['--quick'] : [];
  return [
    { what: 'propagation', args: [script('./propagation.js'), ...q] },
    { what: 'commands per request', args: [script('./commands.js'), ...q] },
    {
      what: 'proxy throughput',
      args: [script('../proxy/run.js'), '--only', 'gatehouse-1,gatehouse-redis,express-session-redis', '--interleave',
        ...(quick ? ['--quick', '--rounds', '2'] : ['--rounds', '6', '--duration', '3', '--warmup', '1'])],
    },
  ];
}

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { process.stdout.write('usage: node dist/bench/distributed/run.js [--quick]\n'); return 0; }
  let worst = 0;
  for (const s of steps(values.quick)) {
    process.stderr.write(`\n== bench:distributed: ${s.what} ==\n`);
    const code = await run(s.args);
    if (code !== 0) process.stderr.write(`bench:distributed: ${s.what} exited with ${code}\n`);
    worst = Math.max(worst, code);
  }
  return worst;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bench:distributed failed: ${String(err)}\n`);
  process.exitCode = 1;
});

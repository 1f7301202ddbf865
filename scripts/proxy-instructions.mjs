// proxy-instructions.mjs -- instructions per proxied request, counted by
// valgrind (cachegrind, no cache simulation) instead of timed: on a shared VM
// whose speed moves by 2x within seconds, a count is what can tell a 3%
// change. The proxy runs under valgrind and serves N1, then (afresh) N2
// authenticated GETs from autocannon at 50 connections; instructions per
// request = (count(N2) - count(N1)) / (N2 - N1), which cancels start-up and
// login. Also printed: how many of them ran in V8's megamorphic inline-cache
// builtins, the figure that moves when a process has answered a request itself.
//
//   npm run build:ts
//   node scripts/proxy-instructions.mjs plain|gatehouse [--requests 5000,25000] [--local-first /healthz]
//
// plain = dist/bench/proxy/plain-undici.js; gatehouse = `gatehouse serve
// --workers 0` (one process, so one count) with the benchmark's config.
// --local-first PATH: one GET of PATH before the measured requests (a path the
// proxy answers itself: /healthz for plain, /pkmslogin.form for Gatehouse).
// Needs valgrind (Debian package valgrind). Takes a few minutes per contestant.
import { execFileSync, fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);
const { FileRegistry } = await import(dist('lib/registry/file-registry.js'));
const { formLogin } = await import(dist('bench/proxy/login.js'));
const { BENCH_PATH, BENCH_USER, BENCH_GROUPS } = await import(dist('bench/proxy/protocol.js'));

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  requests: { type: 'string', default: '5000,25000' }, 'local-first': { type: 'string' },
} });
const kind = positionals[0];
if (kind !== 'plain' && kind !== 'gatehouse') { process.stderr.write('usage: proxy-instructions.mjs plain|gatehouse [--requests N1,N2] [--local-first PATH]\n'); process.exit(2); }
const [n1, n2] = values.requests.split(',').map(Number);
const PASSWORD = 'pw-instructions-1';
const VALGRIND = ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file'];

const listening = (child) => new Promise((resolve, reject) => {
  child.on('message', (m) => { if (m?.type === 'listening') resolve(m.url); });
  child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
});
const freePort = () => new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** SIGTERM, then the exit (valgrind writes its count file on the way out). */
const stop = (child) => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
});

const backend = fork(dist('bench/proxy/backend.js'), [], { stdio: 'inherit' });
const backendUrl = await listening(backend);

/** Starts the proxy under valgrind; returns its URL, the headers to send, and the child. */
async function startProxy(dir, out) {
  if (kind === 'plain') {
    const child = spawn('valgrind', [...VALGRIND, `--cachegrind-out-file=${out}`, process.execPath, dist('bench/proxy/plain-undici.js'), backendUrl],
      { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    return { child, url: await listening(child), headers: {}, path: BENCH_PATH };
  }
  const registryFile = path.join(dir, 'users.yaml');
  const registry = await FileRegistry.create(registryFile, { watch: false, hash: { ln: 4 } });
  await registry.createUser({ id: BENCH_USER, password: PASSWORD, groups: [...BENCH_GROUPS] });
  registry.close();
  const port = await freePort();
  const tag = crypto.randomBytes(3).toString('hex');
  fs.writeFileSync(path.join(dir, 'gatehouse.yaml'), YAML.stringify({
    server: { 'server-name': `ins${tag}-default`, 'pdadmin-server-name': `default-webseald-ins${tag}`, 'state-dir': dir, 'table-name': `gh-ins-${tag}` },
    listen: { http: { host: '127.0.0.1', port } }, registry: { file: registryFile }, admin: { enabled: 'no' }, logging: { level: 'warn' },
    junctions: { '/app': { servers: [backendUrl], c: ['iv_user', 'iv_groups'] } },
  }));
  const child = spawn('valgrind', [...VALGRIND, `--cachegrind-out-file=${out}`, process.execPath, dist('lib/cli/main.js'),
    'serve', '--config', path.join(dir, 'gatehouse.yaml'), '--workers', '0'], { stdio: ['ignore', 'inherit', 'pipe'], cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const cookie = await formLogin(url, '/pkmslogin.form', { username: BENCH_USER, password: PASSWORD, 'login-form-type': 'pwd' }, 'PD-H-SESSION-ID');
      return { child, url, headers: { cookie }, path: BENCH_PATH };
    } catch (err) {
      if (i > 600) { await stop(child); throw err; }
      await sleep(500);
    }
  }
}

/** Instructions counted (all threads) after serving `n` requests, with the megamorphic-IC part. */
async function count(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-instructions-'));
  const out = path.join(dir, 'cachegrind.out');
  const p = await startProxy(dir, out);
  let result;
  try {
    if (values['local-first'] !== undefined) { const r = await fetch(p.url + values['local-first']); await r.arrayBuffer(); }
    // Under valgrind a request can wait seconds while V8 recompiles: a generous timeout, not autocannon's 10 s.
    result = await new Promise((resolve, reject) => autocannon({ url: p.url + p.path, connections: 50, amount: n, headers: p.headers, timeout: 120 },
      (err, r) => (err ? reject(err) : resolve(r))));
  } finally {
    await stop(p.child);  // also when a step failed: never leave a valgrind process behind
  }
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors (${result.timeouts} timeouts)`);
  const text = execFileSync('cg_annotate', ['--threshold=0', out], { maxBuffer: 1 << 28 }).toString();
  fs.rmSync(dir, { recursive: true, force: true });
  const total = Number(/^([\d,]+)\s.*PROGRAM TOTALS/m.exec(text)?.[1]?.replaceAll(',', '') ?? NaN);
  let megamorphic = 0;
  for (const m of text.matchAll(/^\s*([\d,]+)\s.*Builtins_\w*Megamorphic/gm)) megamorphic += Number(m[1].replaceAll(',', ''));
  return { total, megamorphic };
}

try {
  const a = await count(n1);
  const b = await count(n2);
  const per = (k) => Math.round((b[k] - a[k]) / (n2 - n1));
  process.stdout.write(`${kind}${values['local-first'] ? ` (one GET ${values['local-first']} first)` : ''}: ` +
    `${per('total')} instructions per request, ${per('megamorphic')} of them in megamorphic inline-cache builtins\n`);
} finally {
  backend.kill();
}

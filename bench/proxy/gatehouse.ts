// gatehouse.ts -- runs a real `gatehouse serve` for the benchmark: a temp
// folder with a registry (one user) and a config file (admin plane off unless
// asked for, log level warn, one junction /app with `c: [iv_user, iv_groups]`,
// optionally session.dsess-enabled with a redis section), the CLI as a child
// process with --workers N. Log level warn hides the "gatehouse ready"
// line, so the runner picks the port itself and polls until it answers.
// (Adapted from test/helpers/gatehouse.ts; bench/ does not import test/.)
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import YAML from 'yaml';
import { FileRegistry } from '../../lib/registry/file-registry.js';
import { childPids } from './cpu.js';
import { stop, track } from './processes.js';
import { BENCH_GROUPS, BENCH_USER } from './protocol.js';

const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
export const GATEHOUSE_COOKIE = 'PD-H-SESSION-ID';

export interface GatehouseOptions {
  backend: string;
  workers: number;
  password: string;
  /** Extra node flags for the primary; cluster workers inherit them (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Share sessions through this Redis (session.dsess-enabled), under its own key prefix. */
  redis?: { url: string; keyPrefix: string };
  /** Users besides the benchmark user (e.g. an admin in group iv-admin). */
  extraUsers?: Array<{ id: string; password: string; groups: string[] }>;
  /** Turn the admin plane on (plain HTTP on a free loopback port). */
  admin?: boolean;
}

export interface RunningGatehouse {
  readonly url: string;
  /** The admin plane's base URL, when `admin` was asked for. */
  readonly admin?: string;
  readonly child: ChildProcess;
  /** Lines the server logged (warn and above): a clean run logs none. */
  readonly log: string[];
  /** The worker processes' IDs ([] where /proc cannot tell). */
  workerPids(): number[];
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the child binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function startGatehouse(o: GatehouseOptions): Promise<RunningGatehouse> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-'));
  const registryFile = path.join(dir, 'users.yaml');
  // ln 4: a cheap scrypt, the login is not what is measured.
  const registry = await FileRegistry.create(registryFile, { watch: false, hash: { ln: 4 } });
  await registry.createUser({ id: BENCH_USER, password: o.password, groups: [...BENCH_GROUPS] });
  for (const u of o.extraUsers ?? []) await registry.createUser(u);
  registry.close();
  const port = await freePort();
  const adminPort = o.admin ? await freePort() : undefined;
  const tag = `${process.pid}x${crypto.randomBytes(3).toString('hex')}`;
  const config = {
    server: { 'server-name': `bench${tag}-default`, 'pdadmin-server-name': `default-webseald-bench${tag}`, 'state-dir': dir, 'table-name': `gh-bench-${tag}` },
    listen: { http: { host: '127.0.0.1', port } },
    registry: { file: registryFile },
    admin: adminPort === undefined ? { enabled: 'no' } : { enabled: 'yes', host: '127.0.0.1', port: adminPort, tls: 'no' },
    ...(o.redis === undefined ? {} : { session: { 'dsess-enabled': 'yes' }, redis: { servers: [o.redis.url], 'key-prefix': o.redis.keyPrefix } }),
    logging: { level: 'warn' },
    junctions: { '/app': { servers: [o.backend], c: ['iv_user', 'iv_groups'] } },
  };
  const configFile = path.join(dir, 'gatehouse.yaml');
  fs.writeFileSync(configFile, YAML.stringify(config));
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), CLI, 'serve', '--config', configFile, '--workers', String(o.workers)],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  track(child);
  const log: string[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { for (const l of d.toString().split('\n')) if (l.trim() !== '') log.push(l); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = `http://127.0.0.1:${port}`;
  const running: RunningGatehouse = {
    url, child, log,
    ...(adminPort === undefined ? {} : { admin: `http://127.0.0.1:${adminPort}` }),
    workerPids: () => childPids(child.pid),
    stop: async () => { await stop(child); fs.rmSync(dir, { recursive: true, force: true }); },
  };
  try {
    await waitAnswering(`${url}/pkmslogin.form`, (status) => status === 200, child, () => `${log.join('\n')}\n${stderr}`);
    await waitWorkers(child, o.workers);
    // Any answer (401 without credentials) means the admin plane listens.
    if (running.admin !== undefined) await waitAnswering(`${running.admin}/api/v1/`, () => true, child, () => `${log.join('\n')}\n${stderr}`);
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

/**
 * Waits until the primary has forked all its workers (Linux: /proc children),
 * then a moment for the last one to listen; the warm-up follows anyway.
 */
async function waitWorkers(child: ChildProcess, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && fs.existsSync(`/proc/${child.pid}`) && childPids(child.pid).length < n)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
}

/** Polls `url` (the login page: every worker forked and listening) until its status is `ok`. */
async function waitAnswering(url: string, ok: (status: number) => boolean, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gatehouse exited with ${child.exitCode}\n${output()}`);
    try {
      const r = await request(url, { method: 'GET' });
      await r.body.dump();
      if (ok(r.statusCode)) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`gatehouse did not answer in 30 s\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

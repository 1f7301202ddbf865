// redis.ts -- a real redis-server per test, on a free loopback port, that the
// test can stop (SIGKILL, SIGSTOP/SIGCONT) and start again empty.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Starts (again) on the same port, empty (no persistence). */
  start(): Promise<void>;
  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT ...). */
  signal(sig: NodeJS.Signals): void;
  /** Runs redis-cli against it. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-redis-'));
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', dir, '--protected-mode', 'no', ...extra], { stdio: 'ignore' });
      await waitForPort(port, 10_000);
    },
    signal(sig) {
      child?.kill(sig);
    },
    cli(...args) {
      return runCli(['-p', String(port), ...args]);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGCONT');
      const done = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await done;
    },
  };
  await server.start();
  return server;
}

export function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli ${args.join(' ')}: exit ${code}: ${out}`))));
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await runCli(['-p', String(port), 'PING']);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A three-master Cluster on free ports (redis-cli --cluster create). */
export async function startRedisCluster(): Promise<{ urls: string[]; nodes: RedisServer[]; stop(): Promise<void> }> {
  const nodes: RedisServer[] = [];
  for (let i = 0; i < 3; i++)
    nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']));
  await runCli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
  // Wait until every node agrees the cluster is up.
  const deadline = Date.now() + 15_000;
  for (const n of nodes) {
    for (;;) {
      const info = await n.cli('CLUSTER', 'INFO');
      if (info.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`cluster did not come up: ${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { urls: nodes.map((n) => n.url), nodes, stop: async () => { await Promise.all(nodes.map((n) => n.stop())); } };
}

// redis.ts -- a redis-server for the benchmark: a free loopback port, no
// persistence (`--save ''`, no AOF), started as a tracked child so a failed
// run still ends it. The proxy harness starts one on first need and shares it
// for the whole run (gatehouse-redis and express-session-redis, each under its
// own key prefix). (Adapted from test/helpers/redis.ts; bench/ does not import test/.)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { stop, track } from './processes.js';

export interface BenchRedis {
  readonly url: string;
  readonly port: number;
  /** `INFO <sections>` as text, on a connection of its own (opened on first use, closed by stop()). */
  info(...sections: string[]): Promise<string>;
  stop(): Promise<void>;
}

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

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-redis-'));
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--protected-mode', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await listening(port, child, 10_000);
  } catch (err) {
    await stop(child);
    throw new Error(`redis-server did not start on port ${port}: ${(err as Error).message}\n${stderr}`);
  }
  // Opened on the first info() only: a client left open would keep the runner alive after the server stops.
  let client: ReturnType<typeof createClient> | undefined;
  const connected = async (): Promise<NonNullable<typeof client>> => {
    if (client === undefined) {
      client = createClient({ url, name: 'gatehouse-bench-info' });
      client.on('error', () => { /* a command that needs the connection fails loudly */ });
      await client.connect();
    }
    return client;
  };
  return {
    url, port,
    info: async (...sections) => (await connected()).sendCommand(['INFO', ...sections]) as Promise<string>,
    stop: async () => {
      await client?.close().catch(() => {});
      await stop(child, 5_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the port accepts a connection; rejects when the child exits or the time is up. */
async function listening(port: number, child: ChildProcess, ms: number): Promise<void> {
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`${err.message} (is redis-server installed?)`))));
  spawnFailed.catch(() => {});
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const ok = await Promise.race([spawnFailed, new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    })]);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not listening after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let shared: Promise<BenchRedis> | undefined;

/** The run's one redis-server, started on first call; stopAll() (processes.ts) ends it with the other children. */
export function sharedRedis(): Promise<BenchRedis> {
  shared ??= startRedis();
  return shared;
}

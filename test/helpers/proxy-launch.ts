// proxy-launch.ts -- a real `gatehouse serve` for the proxy tests that need
// more than startGatehouse offers: their own listeners (HTTPS beside HTTP),
// the primary's PID (to find and kill workers) and its stderr. Like
// startGatehouse it writes a registry and a config file to a temp folder and
// runs the CLI as a child process, so cluster workers are real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { NewUser } from '../../lib/registry/file-registry.js';
import { makeRegistry } from './gatehouse.js';

export const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
let counter = 0;

export interface LaunchSetup {
  users: NewUser[];
  /** Merged over the defaults (junctions must be given). `listen` replaces the default HTTP listener. */
  config: Record<string, unknown>;
  /** Cluster workers; 0 (the default) = one process. */
  workers?: number;
}

export interface LaunchedGatehouse {
  readonly dir: string;
  readonly http?: string;
  readonly https?: string;
  readonly registryFile: string;
  readonly serverName: string;
  readonly tableName: string;
  /** The primary process. */
  readonly pid: number;
  /** Every stdout line so far (pino JSON). */
  readonly log: string[];
  stderr(): string;
  /** Parsed log lines (non-JSON lines skipped). */
  entries(): Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export async function launchGatehouse(setup: LaunchSetup): Promise<LaunchedGatehouse> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-pl-'));
  const registryFile = path.join(dir, 'users.yaml');
  await makeRegistry(registryFile, setup.users);
  const n = counter++;
  const serverName = `pl${process.pid}x${n}-default`;
  const tableName = `gh-pl-${process.pid}-${Date.now().toString(36)}-${n}`;
  const config = {
    ...setup.config,
    server: { 'server-name': serverName, 'pdadmin-server-name': `default-webseald-pl${process.pid}`, 'state-dir': dir, 'table-name': tableName, workers: setup.workers ?? 0, ...(setup.config['server'] as object ?? {}) },
    listen: setup.config['listen'] ?? { http: { host: '127.0.0.1', port: 0 } },
    registry: { file: registryFile },
    admin: { enabled: 'no', ...(setup.config['admin'] as object ?? {}) },
    logging: { level: 'info' },
  };
  const configFile = path.join(dir, 'gatehouse.yaml');
  fs.writeFileSync(configFile, YAML.stringify(config));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const err = { text: '' };
  let ready: { http?: string; https?: string };
  try {
    ready = await waitReady(child, log, err);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir, registryFile, serverName, tableName, log,
    http: ready.http,
    https: ready.https,
    pid: child.pid!,
    stderr: () => err.text,
    entries: () => log.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } }),
    stop: () => stop(child, dir),
  };
}

function waitReady(child: ChildProcess, log: string[], err: { text: string }): Promise<{ http?: string; https?: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`gatehouse did not start in 30 s\n${log.join('\n')}\n${err.text}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => { err.text += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log.push(line);
        try {
          const o = JSON.parse(line) as { msg?: string; http?: string; https?: string };
          if (o.msg === 'gatehouse ready') { clearTimeout(timer); resolve({ http: o.http, https: o.https }); }
        } catch { /* not JSON */ }
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gatehouse exited with ${code}\n${log.join('\n')}\n${err.text}`)); });
  });
}

async function stop(child: ChildProcess, dir: string): Promise<number | null> {
  let code = child.exitCode;
  if (code === null && child.signalCode === null) {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    code = await exited;
    clearTimeout(t);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return code;
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

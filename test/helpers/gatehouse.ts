// gatehouse.ts -- runs a real `gatehouse serve` for integration tests: a
// temp folder with a registry and a config file, the CLI as a child process
// (so cluster workers are real processes), and a small browser-like client
// that keeps cookies and never follows redirects on its own. A server can
// be stopped or killed and started again on the same folder (a restart).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import YAML from 'yaml';
import { SessionCache } from '../../lib/session/cache.js';
import { FileRegistry } from '../../lib/registry/file-registry.js';
import type { NewUser } from '../../lib/registry/file-registry.js';

export const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
let counter = 0;

export interface RunningGatehouse {
  readonly dir: string;
  readonly http: string;
  readonly https?: string;
  readonly admin?: string;
  readonly config: Record<string, unknown>;
  readonly configFile: string;
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
  /** Stops the server, removes its folder and its session table (which a stop keeps for the next run). */
  stop(): Promise<number | null>;
  /** Sends `signal` to the primary and waits for it to exit; folder and table stay for `restartGatehouse`. */
  halt(signal: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface GatehouseSetup {
  users: NewUser[];
  /** Merged over the defaults below (junctions must be given); `listen` replaces the default HTTP listener. */
  config: Record<string, unknown>;
  /** Cluster workers; 0 (the default) = one process. */
  workers?: number;
}

export async function makeRegistry(file: string, users: readonly NewUser[]): Promise<void> {
  const registry = await FileRegistry.create(file, { watch: false, hash: { ln: 4 } });
  for (const u of users) await registry.createUser(u);
  registry.close();
}

export async function startGatehouse(setup: GatehouseSetup): Promise<RunningGatehouse> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-it-'));
  const registryFile = path.join(dir, 'users.yaml');
  await makeRegistry(registryFile, setup.users);
  const n = counter++;
  const serverName = `it${process.pid}x${n}-default`;
  const tableName = `gh-it-${process.pid}-${Date.now().toString(36)}-${n}`;
  const config: Record<string, unknown> = {
    ...setup.config,
    server: { 'server-name': serverName, 'pdadmin-server-name': `default-webseald-it${process.pid}`, 'state-dir': dir, 'table-name': tableName, workers: setup.workers ?? 0, ...(setup.config['server'] as object ?? {}) },
    listen: setup.config['listen'] ?? { http: { host: '127.0.0.1', port: 0 } },
    registry: { file: registryFile },
    admin: { port: 0, tls: 'no', ...(setup.config['admin'] as object ?? {}) },
    logging: { level: 'info', ...(setup.config['logging'] as object ?? {}) },
  };
  try {
    return await launch({ dir, config, registryFile, serverName, tableName });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

type Instance = Pick<RunningGatehouse, 'dir' | 'config' | 'registryFile' | 'serverName' | 'tableName'>;

/**
 * `gatehouse serve` again on a halted server's folder (state dir, registry,
 * session table), with its configuration changed by `change` if given.
 * Rejects with the log and stderr when the server does not get ready.
 */
export function restartGatehouse(previous: RunningGatehouse, change?: (config: Record<string, unknown>) => Record<string, unknown>): Promise<RunningGatehouse> {
  const { dir, registryFile, serverName, tableName } = previous;
  return launch({ dir, registryFile, serverName, tableName, config: change ? change(structuredClone(previous.config)) : previous.config });
}

async function launch(i: Instance): Promise<RunningGatehouse> {
  const configFile = path.join(i.dir, 'gatehouse.yaml');
  fs.writeFileSync(configFile, YAML.stringify(i.config));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const err = { text: '' };
  const ready = await waitReady(child, log, err);
  return {
    ...i, configFile, log,
    http: ready.http!,
    https: ready.https,
    admin: ready.admin,
    pid: child.pid!,
    stderr: () => err.text,
    entries: () => log.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } }),
    stop: async () => {
      const code = await stop(child, i.dir);
      SessionCache.unlink(i.tableName);
      return code;
    },
    halt: (signal) => halt(child, signal),
  };
}

async function halt(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  child.kill(signal);
  return exited;
}

function waitReady(child: ChildProcess, log: string[], err: { text: string }): Promise<{ http?: string; https?: string; admin?: string }> {
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
          const o = JSON.parse(line) as { msg?: string; http?: string; https?: string; admin?: string };
          if (o.msg === 'gatehouse ready') { clearTimeout(timer); resolve({ http: o.http, https: o.https, admin: o.admin }); }
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

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A browser stand-in: a cookie jar, no automatic redirects, a fresh connection per request when asked. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly #base: string;
  readonly #agent: Agent;

  constructor(base: string, options: { freshConnections?: boolean } = {}) {
    this.#base = base;
    this.#agent = new Agent(options.freshConnections ? { pipelining: 0, keepAliveTimeout: 1, connections: 1 } : {});
  }

  cookieHeader(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(pathname: string, init: { method?: string; headers?: Record<string, string>; form?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader();
    if (cookie !== undefined && headers['cookie'] === undefined) headers['cookie'] = cookie;
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const r = await request(`${this.#base}${pathname}`, { method: (init.method ?? (body ? 'POST' : 'GET')) as 'GET', headers, body, dispatcher: this.#agent });
    const text = await r.body.text();
    const setCookie = r.headers['set-cookie'];
    for (const c of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: r.statusCode, headers: r.headers as Reply['headers'], body: text };
  }

  /** Forms login through /pkmslogin.form. */
  login(username: string, password: string, url = '/'): Promise<Reply> {
    return this.fetch('/pkmslogin.form', { form: { username, password, 'login-form-type': 'pwd', url } });
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

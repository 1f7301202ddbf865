// contestants.ts -- the proxies under test, each started against the same
// back-end, asked for one answer of its own (a baseline's health check,
// Gatehouse's login page) and, where it authenticates, logged in once; the
// runner then sends the returned headers (the session cookie) with every request.
// The -redis contestants keep their sessions in the run's one redis-server
// (redis.ts), each under its own key prefix.
import { startGatehouse, GATEHOUSE_COOKIE } from './gatehouse.js';
import { formLogin, health, probe } from './login.js';
import { forkServer, stop } from './processes.js';
import { BENCH_PATH, BENCH_USER } from './protocol.js';
import { sharedRedis } from './redis.js';

export type ContestantId = 'plain-undici' | 'plain-http' | 'express-session' | 'gatehouse-1' | 'gatehouse-2'
  | 'gatehouse-redis' | 'express-session-redis';

export interface RunningContestant {
  readonly url: string;
  /** Sent with every benchmark request (the session cookie, when there is one). */
  readonly headers: Record<string, string>;
  /** Warnings and errors the contestant logged (Gatehouse only). */
  readonly log?: readonly string[];
  /** Every process serving requests (Gatehouse: primary and workers), for CPU accounting. */
  pids(): number[];
  /** Gatehouse's worker processes, to show how the load spread over them. */
  workerPids?(): number[];
  stop(): Promise<void>;
}

export interface Contestant {
  readonly id: ContestantId;
  readonly label: string;
  /** True when the back-end must see iv-user on every request. */
  readonly authenticates: boolean;
  /** `nodeFlags` go to every process of the contestant (e.g. --cpu-prof). */
  start(backend: string, password: string, nodeFlags?: string[]): Promise<RunningContestant>;
}

async function plain(file: string, backend: string, nodeFlags?: string[]): Promise<RunningContestant> {
  const s = await forkServer(file, [backend], {}, nodeFlags);
  try {
    await health(s.url);
    await probe(s.url, {});
  } catch (err) {
    await stop(s.child);
    throw err;
  }
  return { url: s.url, headers: {}, pids: () => [s.child.pid!], stop: () => stop(s.child) };
}

/** express-session.js; BENCH_REDIS_URL in `env` puts its sessions in Redis. */
async function expressSession(backend: string, env: Record<string, string>, nodeFlags?: string[]): Promise<RunningContestant> {
  const s = await forkServer('express-session.js', [backend], env, nodeFlags);
  try {
    await health(s.url);
    const cookie = await formLogin(s.url, '/login', { username: BENCH_USER, password: env['BENCH_PASSWORD']! }, 'connect.sid');
    const headers = { cookie };
    await probe(s.url, headers);
    return { url: s.url, headers, pids: () => [s.child.pid!], stop: () => stop(s.child) };
  } catch (err) {
    await stop(s.child);
    throw err;
  }
}

async function gatehouse(workers: number, backend: string, password: string, nodeFlags?: string[], redis?: { url: string; keyPrefix: string }): Promise<RunningContestant> {
  const gh = await startGatehouse({ backend, workers, password, ...(nodeFlags ? { nodeFlags } : {}), ...(redis ? { redis } : {}) });
  try {
    const cookie = await formLogin(gh.url, '/pkmslogin.form',
      { username: BENCH_USER, password, 'login-form-type': 'pwd', url: BENCH_PATH }, GATEHOUSE_COOKIE);
    const headers = { cookie };
    await probe(gh.url, headers);
    return {
      url: gh.url, headers, log: gh.log,
      pids: () => [gh.child.pid!, ...gh.workerPids()],
      workerPids: () => gh.workerPids(),
      stop: () => gh.stop(),
    };
  } catch (err) {
    await gh.stop();
    throw err;
  }
}

export const CONTESTANTS: readonly Contestant[] = [
  { id: 'plain-undici', label: 'plain proxy (undici Pool)', authenticates: false, start: (b, _p, f) => plain('plain-undici.js', b, f) },
  { id: 'plain-http', label: 'plain proxy (http.request + keep-alive Agent)', authenticates: false, start: (b, _p, f) => plain('plain-http.js', b, f) },
  {
    id: 'express-session', label: 'express 5 + express-session (MemoryStore) + http-proxy-middleware 3', authenticates: true,
    start: (backend, password, nodeFlags) => expressSession(backend, { BENCH_PASSWORD: password }, nodeFlags),
  },
  { id: 'gatehouse-1', label: 'Gatehouse, 1 worker', authenticates: true, start: (b, p, f) => gatehouse(1, b, p, f) },
  { id: 'gatehouse-2', label: 'Gatehouse, 2 workers', authenticates: true, start: (b, p, f) => gatehouse(2, b, p, f) },
  {
    id: 'gatehouse-redis', label: 'Gatehouse, 1 worker, sessions in Redis (dsess-enabled)', authenticates: true,
    start: async (b, p, f) => gatehouse(1, b, p, f, { url: (await sharedRedis()).url, keyPrefix: `gh-bench-${process.pid}` }),
  },
  {
    id: 'express-session-redis', label: 'express 5 + express-session + connect-redis 9 (node-redis 5) + http-proxy-middleware 3', authenticates: true,
    start: async (backend, password, nodeFlags) => expressSession(backend,
      { BENCH_PASSWORD: password, BENCH_REDIS_URL: (await sharedRedis()).url, BENCH_REDIS_PREFIX: `es-bench-${process.pid}:` }, nodeFlags),
  },
];

// start.ts -- joins this process to the fleet (session.dsess-enabled): one
// store connection, one invalidation subscription applied to the local
// table, the fleet-wide task engine, and (in the primary) the heartbeat that
// `replica set list/show` report.
import fs from 'node:fs';
import type { Logger } from '../logger-type.js';
import type { Config, RedisConfig } from '../config/schema.js';
import type { SessionCache } from '../session/cache.js';
import type { TaskEngine } from '../tasks/engine.js';
import type { CounterFactory } from '../proxy/counters.js';
import type { AccountInvalidations } from '../registry/account-invalidations.js';
import { FleetAccounts } from './accounts.js';
import type { SessionListingResult, SessionSource } from '../session/session-source.js';
import { fleetCounters } from './counters.js';
import { FleetSessions } from './fleet.js';
import { FleetTaskEngine, HOST_STALE_MS } from './fleet-tasks.js';
import { InvalidationStream } from './invalidations.js';
import type { RedisOptions } from './link.js';
import type { DscMetrics } from './metrics.js';
import { matchingUsers } from './pattern.js';
import { SessionStore, type FleetSession } from './store.js';

/** A process publishes a probe this often and distrusts its near-cache when none came back for STALE_MS. */
export const PROBE_MS = 250;
export const STALE_MS = 1000;
const HEARTBEAT_MS = 5000;

export interface RunningFleet {
  readonly fleet: FleetSessions;
  readonly engine: FleetTaskEngine;
  readonly sessions: SessionSource;
  /** The failed-login counters, kept in Redis: fleet-wide. */
  readonly counters: CounterFactory;
  /** Account invalidation through the admin plane, kept in Redis: fleet-wide. */
  readonly accounts: AccountInvalidations;
  close(): Promise<void>;
}

/** The node-redis options of a `redis` config section (the password read from its file or variable). */
export function redisOptions(r: RedisConfig): RedisOptions {
  let password: string | undefined;
  if (r['password-file'] !== undefined) {
    password = fs.readFileSync(r['password-file'], 'utf8').split(/\r?\n/)[0];
  } else if (r['password-env'] !== undefined) {
    password = process.env[r['password-env']];
    if (password === undefined) throw new Error(`redis.password-env: the environment variable ${r['password-env']} is not set`);
  }
  return {
    servers: r.servers,
    cluster: r.cluster,
    ...(r.username !== undefined ? { username: r.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(r.tls !== undefined ? { tls: r.tls } : {}),
    connectTimeoutMs: r['connect-timeout-ms'],
    commandTimeoutMs: r['command-timeout-ms'],
  };
}

export async function startFleet(config: Config, cache: SessionCache, local: TaskEngine, logger: Logger,
  options: { heartbeat: boolean; role: string; metrics?: DscMetrics }): Promise<RunningFleet> {
  const m = options.metrics;
  const r = config.redis!;
  const name = `gatehouse:${config.server['server-name']}:${options.role}:${process.pid}`;
  const store = SessionStore.create(redisOptions(r), r['key-prefix'], name);
  await store.open();
  // Every line says it is the distributed cache's (a pino logger would use child(); any Logger works).
  const tag = (fields: Record<string, unknown>): Record<string, unknown> => ({ component: 'dsc', ...fields });
  const log: Logger = {
    error: (f, m) => logger.error(tag(f), m),
    warn: (f, m) => logger.warn(tag(f), m),
    info: (f, m) => logger.info(tag(f), m),
  };
  const stream = new InvalidationStream(store.link.duplicate(`${name}:sub`), store.link, {
    // A user's sessions changed somewhere: drop them here; their next request asks Redis.
    user: (login) => {
      m?.invalidation('user');
      try { cache.terminateAllSessions(login); } catch (err) { log.warn({ err: String(err) }, 'could not apply an invalidation'); }
    },
    everyone: () => { m?.invalidation('everyone'); cache.signOutEveryone(); },
    resync: () => {
      m?.invalidation('resync');
      cache.signOutEveryone();
      log.warn({}, 'invalidation stream resumed: the near-cache was dropped and is refilled from Redis');
    },
    trust: (trusted, why) => {
      m?.trusted(trusted);
      log[trusted ? 'info' : 'warn']({ why }, trusted ? 'near-cache trusted' : 'near-cache not trusted: every request is checked in Redis');
    },
  }, { channel: store.keys.channel, probeMs: PROBE_MS, staleMs: STALE_MS });
  try {
    await stream.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  const fleet = new FleetSessions(cache, store, stream, {
    serverName: config.server['server-name'],
    lastAccessUpdateMs: config.session['dsess-last-access-update-interval'] * 1000,
    logger: log,
    ...(m !== undefined ? { metrics: m } : {}),
  });
  const engine = new FleetTaskEngine(local, store, cache);
  let beat: NodeJS.Timeout | undefined;
  if (options.heartbeat) {
    const joined = Date.now();
    const once = (): void => {
      store.heartbeat(config.server['pdadmin-server-name'], config.server['replica-set'], joined, Date.now(), HOST_STALE_MS)
        .catch((err: unknown) => log.warn({ err: String(err) }, 'heartbeat to the session store failed'));
    };
    once();
    beat = setInterval(once, HEARTBEAT_MS);
    beat.unref();
  }
  return {
    fleet,
    engine,
    sessions: storeSessions(store),
    counters: fleetCounters(store, r['command-timeout-ms']),
    accounts: new FleetAccounts(store),
    async close() {
      clearInterval(beat);
      if (options.heartbeat) await store.leave(config.server['pdadmin-server-name']).catch(() => {});
      await stream.close();
      await store.close();
    },
  };
}

/** The admin plane's listings and counts, read from the fleet's store. */
function storeSessions(store: SessionStore): SessionSource {
  const listing = (all: FleetSession[], max: number): SessionListingResult => {
    all.sort((a, b) => a.createdAt - b.createdAt);
    return { total: all.length, sessions: all.slice(0, max) };
  };
  const sessionsOf = async (users: string[]): Promise<FleetSession[]> => {
    const now = Date.now();
    const out: FleetSession[] = [];
    for (const u of users) out.push(...await store.sessionsOf(u, now));
    return out;
  };
  return {
    list: async (loginId, max) => listing(await sessionsOf([loginId]), max),
    listByPattern: async (pattern, max) => listing(await sessionsOf(await matchingUsers(store, pattern)), max),
    count: (loginId) => store.count(loginId, Date.now()),
    live: async () => {
      let n = 0;
      for await (const u of store.users()) n += await store.count(u, Date.now());
      return n;
    },
  };
}

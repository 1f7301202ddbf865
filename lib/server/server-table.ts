// server-table.ts -- the session table a starting `gatehouse serve` works
// on: the one its previous run left, with every live session, whenever that
// is safe; else a new, empty one, and one log line that says why.
//
// Kept: the segment this state folder's last run served (its run record
// names it), with the geometry the configuration asks for, and, when that
// run did not stop cleanly, once its workers have let go of it and it passes
// the table's own consistency check (reap, then check; docs/table.md §5).
// Not kept: a segment of another layout version, a corrupt or unsafe one,
// one made by someone else, a changed max-entries or credential-bytes,
// `session.keep-on-restart: no`, and with `session.dsess-enabled` always
// (Redis holds the fleet's sessions; see docs/distributed.md).
import type { Logger } from '../logger-type.js';
import type { Config } from '../config/types.js';
import { SessionCache } from '../session/cache.js';
import { RunRecord, segmentInode, type RunRecordData } from './run-record.js';
import { waitForRelease } from './table-holders.js';

export interface ServerTable {
  readonly cache: SessionCache;
  /** This start made the table (a start that fails removes it again; a kept one stays). */
  readonly created: boolean;
  /** Kills the kept table may carry (each at most one user count too high); 0 for a new table. */
  readonly kills: number;
}

export interface ServerTableOptions {
  /** The previous run left its PID file: it was killed or crashed. */
  crashed: boolean;
  /** How long the crashed run's workers get to exit (they do at once when its primary is gone). */
  holdersWaitMs?: number;
}

/** The capacity the table derives from `max-entries` (docs/table.md §1: rounded up to a multiple of 32). */
export function capacityFor(maxEntries: number): number {
  return Math.ceil(Math.max(32, maxEntries) / 32) * 32;
}

const UNUSABLE: Record<string, string> = {
  ERR_GH_INCOMPATIBLE_TABLE: 'another layout version',
  ERR_GH_CORRUPT_TABLE: 'the segment is corrupt',
  ERR_GH_UNSAFE_TABLE: 'the segment is not private to this user',
};

export async function openServerTable(config: Config, logger: Logger, options: ServerTableOptions): Promise<ServerTable> {
  const name = config.server['table-name']!;
  const stateDir = config.server['state-dir'];
  const capacity = capacityFor(config.session['max-entries']);
  const credentialBytes = config.session['credential-bytes'];
  const startEmpty = (): ServerTable => {
    SessionCache.unlink(name);
    return { cache: SessionCache.create(name, { capacity, credentialBytes }), created: true, kills: 0 };
  };

  let old: SessionCache;
  try {
    old = SessionCache.open(name);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ERR_GH_TABLE_NOT_FOUND') {
      logger.info({ table: name }, 'session table new: there was none to keep');
      return startEmpty();
    }
    const why = UNUSABLE[code];
    if (why === undefined) throw err;
    logger.warn({ table: name, err: (err as Error).message }, `session table kept: no — ${why} (${(err as Error).message}); its sessions are dropped`);
    return startEmpty();
  }

  const previous = RunRecord.read(stateDir, name);
  const drop = (level: 'info' | 'warn', why: string): ServerTable => {
    const live = old.stats().live;
    old.close();
    logger[level]({ table: name, dropped: live }, `session table kept: no — ${why}; ${live} live sessions dropped`);
    return startEmpty();
  };
  if (!config.session['keep-on-restart']) return drop('info', 'session.keep-on-restart is no');
  if (config.session['dsess-enabled'])
    return drop('info', 'session.dsess-enabled: Redis holds the sessions, and this host may have missed invalidations while it was down (they are fetched again on their next request)');
  if (previous === undefined) return drop('warn', `no record of it in ${RunRecord.fileOf(stateDir, name)} (made by another server, or by a Gatehouse that kept no run record)`);
  if (previous.inode !== segmentInode(name)) return drop('warn', 'the segment was made again since the last run');
  const stats = old.stats();
  const changed = [
    ...(stats.capacity !== capacity ? [`capacity ${stats.capacity} -> ${capacity} in config (session.max-entries)`] : []),
    ...(stats.credentialBytes !== credentialBytes ? [`credential bytes ${stats.credentialBytes} -> ${credentialBytes} in config (session.credential-bytes)`] : []),
  ];
  if (changed.length > 0) return drop('warn', changed.join(', '));
  if (!options.crashed && previous.clean) {
    logger.info({ table: name, live: stats.live }, `session table kept: ${stats.live} live sessions`);
    return { cache: old, created: false, kills: previous.kills };
  }
  return keepAfterCrash(old, previous, logger, options, startEmpty);
}

/**
 * The previous run did not stop: let its workers go, free what its dead
 * processes left half-done (reap), and keep the table only if the whole
 * table then passes the consistency check with the over-count the docs allow
 * (one per process that may have died mid-operation).
 */
async function keepAfterCrash(old: SessionCache, previous: RunRecordData, logger: Logger, options: ServerTableOptions,
  startEmpty: () => ServerTable): Promise<ServerTable> {
  const name = old.name;
  const left = await waitForRelease(name, previous.workers, options.holdersWaitMs ?? 10_000);
  if (left.length > 0) {
    old.close();
    throw new Error(`session table '${name}': processes ${left.join(', ')} of the run that ended abruptly (pid ${previous.primary}) still have it open; stop them, then start again`);
  }
  // The primary and every worker it had may each have been killed inside a table operation.
  const kills = previous.kills + 1 + previous.workers.length;
  old.reap({ max: 0xffffffff });
  const problem = checkQuiet(old, kills);
  const live = old.stats().live;
  if (problem !== null) {
    old.close();
    logger.warn({ table: name, dropped: live, problem }, `session table kept: no — the consistency check after an abrupt end of pid ${previous.primary} failed (${problem}); ${live} live sessions dropped`);
    return startEmpty();
  }
  logger.info({ table: name, live, slack: kills },
    `session table kept: ${live} live sessions (after an abrupt end of pid ${previous.primary}: consistency check passed)`);
  return { cache: old, created: false, kills };
}

/** check(), tried again when another process (a `gatehouse table` command) changed a slot under it. */
function checkQuiet(cache: SessionCache, slack: number): string | null {
  let problem: string | null = null;
  for (let i = 0; i < 3; i++) {
    problem = cache.check(slack);
    if (problem === null || !problem.includes('not quiescent')) return problem;
  }
  return problem;
}

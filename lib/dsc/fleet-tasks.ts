// fleet-tasks.ts -- the task engine of a host in a fleet: the same task
// strings and the same catalogue messages as TaskEngine, but every session
// command acts on the fleet's store (Redis), so `terminate all_sessions bob`
// sent to any host ends bob's sessions on every host. What is not about
// sessions (help, a task addressed to another server, a syntax error) is
// answered by the local engine, so every front door reads one grammar.
//
// `terminate all_sessions` and `signout all_sessions` stay O(1) in sessions
// (one script each); the dscadmin pattern forms visit each matching user.
import { native } from '../native.js';
import type { SessionCache } from '../session/cache.js';
import { InvalidArgumentError } from '../session/errors.js';
import type { Task, TaskCommand } from '../tasks/command.js';
import type { TaskEngine, TaskMessage, TaskResponse } from '../tasks/engine.js';
import { parseTask } from '../tasks/parse.js';
import { quoteUserId } from '../tasks/quote.js';
import type { TaskRunner } from '../tasks/runner.js';
import { DscUnavailableError } from './link.js';
import { matchingUsers } from './pattern.js';
import type { FleetSession, SessionStore } from './store.js';


/** A host's heartbeat lapses after this long without a renewal. */
export const HOST_STALE_MS = 15_000;

function msg(id: string, ...args: Array<string | number>): TaskMessage {
  // IDs passed here are the catalogue's own (the test of fleet-tasks checks each), so the cast holds.
  return native.formatMessage(id, args.map(String)) as TaskMessage;
}

function respond(messages: TaskMessage[], results: string[] = []): TaskResponse {
  return { ok: !messages.some((m) => m.severity === 'error'), results, messages };
}

export class FleetTaskEngine implements TaskRunner {
  readonly #local: TaskEngine;
  readonly #store: SessionStore;
  readonly #cache: SessionCache;
  readonly #now: () => number;

  constructor(local: TaskEngine, store: SessionStore, cache: SessionCache, now: () => number = Date.now) {
    this.#local = local;
    this.#store = store;
    this.#cache = cache;
    this.#now = now;
  }

  get serverName(): string { return this.#local.serverName; }
  get sessionServerName(): string { return this.#local.sessionServerName; }

  async run(task: Task | string, server = ''): Promise<TaskResponse> {
    const text = typeof task === 'string' ? task : task?.text;
    if (typeof text !== 'string') throw new InvalidArgumentError('task must be a Task or a string');
    if (server !== '' && server !== this.#local.serverName) return this.#local.run(text, server);
    const p = parseTask(text);
    if (!p.ok || (p.serverName !== undefined && p.serverName !== this.#local.serverName)) return this.#local.run(text, server);
    try {
      return await this.#dispatch(p.command, p.sessionServerName !== undefined);
    } catch (err) {
      if (err instanceof DscUnavailableError) return respond([msg('GHWAT0056E', 'the session store is unavailable', err.message)]);
      throw err;
    }
  }

  async #dispatch(c: TaskCommand, wholeString: boolean): Promise<TaskResponse> {
    const now = this.#now();
    switch (c.kind) {
      case 'terminate_session':
      case 'dsc_terminate_session': {
        if (c.kind === 'dsc_terminate_session' && !(await this.#knownReplicaSet(c.replicaSet))) return this.#unknownReplicaSet(c.replicaSet);
        // A whole `base64(server-name)_<id>` string may name any host of the
        // fleet: the store knows the session wherever it was made. (Standard
        // base64 has no '_', so the first one ends the server part.)
        const id = wholeString ? c.userSessionId.slice(c.userSessionId.indexOf('_') + 1) : c.userSessionId;
        const r = await this.#store.endByUserSessionId(id, 'terminated', now);
        if (r.ended) this.#dropLocal(r.loginId);
        return respond([r.ended ? msg('GHWAT0001I', id) : msg('GHWAT0004W', id, 'no live session in the fleet has this user session ID')]);
      }
      case 'terminate_all_sessions': {
        const n = await this.#store.endAll(c.userId, 'all_sessions_terminated', now);
        this.#dropLocal(c.userId);
        return respond([n === 0 ? msg('GHWAT0003W', quoteUserId(c.userId)) : msg('GHWAT0002I', n, quoteUserId(c.userId))]);
      }
      case 'refresh_all_sessions': {
        const n = await this.#store.refreshAll(c.userId, now);
        this.#dropLocal(c.userId);
        return respond([n === 0 ? msg('GHWAT0003W', quoteUserId(c.userId)) : msg('GHWAT0005I', n, quoteUserId(c.userId))]);
      }
      case 'signout_all_sessions': {
        const epoch = await this.#store.signOutEveryone();
        this.#cache.signOutEveryone();
        return respond([msg('GHWAT0006I', epoch)]);
      }
      case 'list_sessions':
        return this.#list([c.userId], 100_000, quoteUserId(c.userId), true);
      case 'list_sessions_pattern':
        return this.#list(await this.#matching(c.pattern), c.max, quoteUserId(c.pattern), false);
      case 'dsc_session_list':
        if (!(await this.#knownReplicaSet(c.replicaSet))) return this.#unknownReplicaSet(c.replicaSet);
        return this.#list(await this.#matching(c.pattern), c.max, quoteUserId(c.pattern), false);
      case 'dsc_terminate_all_sessions': {
        if (!(await this.#knownReplicaSet(c.replicaSet))) return this.#unknownReplicaSet(c.replicaSet);
        const results: string[] = [];
        let sessions = 0;
        for (const user of await this.#matching(c.pattern)) {
          const n = await this.#store.endAll(user, 'all_sessions_terminated', now);
          this.#dropLocal(user);
          if (n === 0) continue;
          sessions += n;
          results.push(`terminated=${n} user=${quoteUserId(user)}`);
        }
        if (results.length === 0) return respond([msg('GHWAT0009W', quoteUserId(c.pattern))]);
        return respond([msg('GHWAT0010I', sessions, results.length, quoteUserId(c.pattern))], results);
      }
      case 'replica_set_list': {
        const sets = [...new Set((await this.#store.hosts(now, HOST_STALE_MS)).map((h) => h.replicaSet))].sort();
        return respond([msg('GHWAT0013I', sets.length)], sets);
      }
      case 'replica_set_show': {
        const hosts = (await this.#store.hosts(now, HOST_STALE_MS)).filter((h) => h.replicaSet === c.replicaSet);
        if (hosts.length === 0) return this.#unknownReplicaSet(c.replicaSet);
        const lines = hosts.map((h) => `${h.serverName} joined=${new Date(h.joinedAt).toISOString()} last_seen=${new Date(h.lastSeen).toISOString()}`);
        return respond([msg('GHWAT0014I', quoteUserId(c.replicaSet), hosts.length)], lines);
      }
      case 'help':
        return this.#local.run(formatHelp(c.topic));
    }
  }

  /** This host drops its own near-cache entries at once (the announcement does it too, a moment later). */
  #dropLocal(loginId: string | undefined): void {
    if (loginId !== undefined) this.#cache.terminateAllSessions(loginId);
  }

  async #knownReplicaSet(name: string): Promise<boolean> {
    const hosts = await this.#store.hosts(this.#now(), HOST_STALE_MS);
    return hosts.some((h) => h.replicaSet === name);
  }

  #unknownReplicaSet(name: string): TaskResponse {
    return respond([msg('GHWAT0053E', quoteUserId(name), 'no live host of the fleet belongs to it')]);
  }

  #matching(pattern: string): Promise<string[]> {
    return matchingUsers(this.#store, pattern);
  }

  async #list(users: string[], max: number, shown: string, oneUser: boolean): Promise<TaskResponse> {
    const now = this.#now();
    const all: FleetSession[] = [];
    for (const u of users) all.push(...await this.#store.sessionsOf(u, now));
    all.sort((a, b) => a.createdAt - b.createdAt);
    if (all.length === 0) return respond([oneUser ? msg('GHWAT0003W', shown) : msg('GHWAT0009W', shown)]);
    const listed = all.slice(0, max);
    const lines = listed.map(sessionLine);
    if (listed.length < all.length) {
      lines.push(`total=${all.length} listed=${listed.length}`);
      return respond([msg('GHWAT0008I', all.length, listed.length)], lines);
    }
    return respond([msg('GHWAT0007I', listed.length)], lines);
  }
}

/** One listing line, as the native executor writes it (session_line.cpp), with the creating host's name. */
function sessionLine(s: FleetSession): string {
  const usid = `${Buffer.from(`${s.host}\0`, 'utf8').toString('base64')}_${s.userSessionId}`;
  return `${usid} created=${new Date(s.createdAt).toISOString()} last_access=${new Date(s.lastAccessAt).toISOString()} `
    + `auth=${s.authMethod} level=${s.authLevel} refresh=${s.refreshNeeded ? 'yes' : 'no'} user=${quoteUserId(s.loginId)}`;
}


function formatHelp(topic: readonly string[]): string {
  return topic.length === 0 ? 'help' : `help ${topic.map((t) => quoteUserId(t)).join(' ')}`;
}

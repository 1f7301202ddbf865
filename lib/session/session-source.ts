// session-source.ts -- where the admin plane's listings and counts come
// from: this host's table, or (dsess-enabled) the fleet's store. Changes
// never go through here: every change is a task run by the engine.
import type { SessionCache, SessionView } from './cache.js';

export type ListedSession = Pick<SessionView, 'userSessionId' | 'loginId' | 'createdAt' | 'lastAccessAt' | 'authMethod' | 'refreshNeeded'>;

export interface SessionListingResult {
  /** How many sessions matched (may exceed sessions.length). */
  readonly total: number;
  readonly sessions: readonly ListedSession[];
}

export interface SessionSource {
  list(loginId: string, max: number): Promise<SessionListingResult>;
  listByPattern(pattern: string, max: number): Promise<SessionListingResult>;
  /** Live sessions of one login ID. */
  count(loginId: string): Promise<number>;
  /** Live sessions of everyone (the audit's count for a sign-out). */
  live(): Promise<number>;
}

export function tableSessions(cache: SessionCache): SessionSource {
  return {
    list: async (loginId, max) => cache.listSessions(loginId, { max }),
    listByPattern: async (pattern, max) => cache.listByPattern(pattern, { max }),
    count: async (loginId) => cache.countSessions(loginId).count,
    live: async () => cache.stats().live,
  };
}

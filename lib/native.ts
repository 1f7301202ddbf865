// native.ts -- loads the compiled addon (prebuilds/ first, then build/) and
// describes its functions. Nothing else in lib/ touches the binding directly
// except lib/session/, which validates every argument before calling it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Opaque, type-tagged handle on a mapped table. */
export type NativeHandle = { readonly __brand: 'GatehouseTable' };

export interface NativeSessionInfo {
  slot: number;
  seq: number;
  createdMs: number;
  lastAccessMs: number;
  lifetimeS: number;
  inactiveS: number;
  generation: number;
  epoch: number;
  flags: number;
  authMethod: number;
  authLevel: number;
  refreshNeeded: boolean;
  userSessionId: string;
  sessionId?: string;
}

export interface NativeStats {
  capacity: number;
  credBytes: number;
  slotBytes: number;
  segmentBytes: number;
  live: number;
  tombstones: number;
  users: number;
  epoch: number;
  createdTotal: number;
  evictions: number;
  ended: Record<string, number>;
}

export type NativeValidate = (sessionId: string, nowMs: number, touch: boolean) => number;

export interface NativeBinding {
  create(name: string, capacity: number, credBytes: number): NativeHandle;
  open(name: string): NativeHandle;
  close(h: NativeHandle): void;
  unlink(name: string): boolean;
  /** Returns this table's validate(sessionId, nowMs, touch) -> reason code; numbers go to `out`. */
  bindValidator(h: NativeHandle, out: Float64Array): NativeValidate;
  readSession(h: NativeHandle, slot: number, seq: number): [string, Buffer, string] | undefined;
  createSession(
    h: NativeHandle, login: string, attrs: Buffer | null, lifetimeS: number, inactiveS: number,
    maxSessions: number, flags: number, method: number, level: number, nowMs: number,
  ): NativeSessionInfo & { sessionId: string };
  adoptSession(
    h: NativeHandle, sessionId: string, login: string, attrs: Buffer | null, lifetimeS: number, inactiveS: number,
    flags: number, method: number, level: number, createdMs: number, lastMs: number,
  ): NativeSessionInfo & { sessionId: string };
  logout(h: NativeHandle, sessionId: string): boolean;
  touch(h: NativeHandle, sessionId: string, nowMs: number): boolean;
  terminate(h: NativeHandle, userSessionId: string, reason: number): boolean;
  terminateAll(h: NativeHandle, login: string, reason: number): number;
  refreshAll(h: NativeHandle, login: string): number;
  userCount(h: NativeHandle, login: string): [number, number];
  signOutEveryone(h: NativeHandle): number;
  list(h: NativeHandle, kind: 0 | 1, text: string, nowMs: number, max: number): { total: number; sessions: NativeSessionInfo[] };
  reap(h: NativeHandle, nowMs: number, max: number): number;
  stats(h: NativeHandle, nowMs: number): NativeStats;
  check(h: NativeHandle, slack: number): string | null;
  parseTask(text: string): NativeParsedTask;
  performTask(h: NativeHandle, serverName: string, sessionServerName: string, replicaSet: string, server: string, task: string): NativeTaskResponse;
  taskList(): string[];
  formatMessage(id: string, args: string[]): NativeTaskResponse['messages'][number];
}

export interface NativeTaskResponse {
  ok: boolean;
  results: string[];
  messages: Array<{ id: string; code: number; severity: 'info' | 'warning' | 'error'; text: string }>;
}

export type NativeParsedTask =
  | { ok: true; command: Record<string, unknown> & { kind: string }; serverName?: string; sessionServerName?: string; canonical: string }
  | { ok: false; error: { messageId: string; text: string; offset: number } };

/** Indices into the Float64Array that a bound validator fills (native/src/addon/addon.cpp). */
export const OUT = {
  slot: 0, seq: 1, created: 2, last: 3, lifetime: 4, inactive: 5, generation: 6, epoch: 7,
  flags: 8, method: 9, level: 10, refresh: 11, length: 12,
} as const;

const require = createRequire(import.meta.url);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = require('node-gyp-build') as (dir: string) => unknown;

export const native = load(packageRoot) as NativeBinding;

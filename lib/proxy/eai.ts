// eai.ts -- the EAI trigger: a back-end response to a configured trigger
// URL may carry `am-eai-server-task: terminate all_sessions <id>` (or
// `terminate session <id>`). The proxy runs it through the one task engine,
// with the permission the junction's configuration grants, records it, and
// never lets the header reach the browser.
import type { Logger } from '../logger-type.js';
import type { JunctionConfig } from '../config/types.js';
import { redactTask } from '../audit/index.js';
import { parseTask } from '../tasks/parse.js';
import { endedBy, messageIds } from '../tasks/response-facts.js';
import type { TaskResponse } from '../tasks/engine.js';
import type { TaskRunner } from '../tasks/runner.js';
import type { TaskKind } from '../tasks/command.js';

export const EAI_TASK_HEADER = 'am-eai-server-task';

const ALLOWED_NAMES: Record<JunctionConfig['eai-tasks'][number], TaskKind> = {
  'terminate session': 'terminate_session',
  'terminate all_sessions': 'terminate_all_sessions',
  'refresh all_sessions': 'refresh_all_sessions',
};

export interface EaiRecord {
  junction: string;
  path: string;
  clientAddress: string;
  task: string;
  /** started: about to run; its record must be durable first (the callback throws if it is not). */
  outcome: 'started' | 'allowed' | 'denied' | 'failed';
  ended?: number;
  detail?: string;
}

/** Turns a `*` glob over a path into a matcher (the reference's trigger syntax). */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const re = new RegExp(`^(?:${patterns.map((p) => p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|')})$`);
  return (path) => re.test(path);
}

export class EaiTrigger {
  readonly #isTrigger: (path: string) => boolean;
  readonly #allowed: ReadonlySet<TaskKind>;
  readonly #engine: TaskRunner;
  readonly #point: string;
  readonly #log: Logger;
  readonly #record: (r: EaiRecord) => void;

  constructor(point: string, junction: JunctionConfig, engine: TaskRunner, log: Logger, record: (r: EaiRecord) => void) {
    this.#point = point;
    this.#isTrigger = globMatcher(junction['eai-trigger-urls']);
    this.#allowed = new Set(junction['eai-tasks'].map((n) => ALLOWED_NAMES[n]));
    this.#engine = engine;
    this.#log = log;
    this.#record = record;
  }

  /** Whether responses to this (client-side) path are inspected at all. */
  isTrigger(path: string): boolean {
    return this.#isTrigger(path);
  }

  /**
   * Removes the header from a response (always, trigger URL or not: a
   * back-end cannot leak it to browsers) and runs it when the path is a
   * trigger URL, both as received and in its canonical (decoded) form:
   * a path that is a trigger in only one reading runs nothing. Called for
   * every response a back-end sends through the junction, upgrades
   * included. Returns the task's response when one ran.
   */
  handle(path: string, canonical: string, headers: Record<string, string | string[]>, clientAddress: string): TaskResponse | undefined {
    // The junction hands response headers over with lower-case names.
    const value = headers[EAI_TASK_HEADER];
    if (value === undefined) return undefined;
    delete headers[EAI_TASK_HEADER];
    if (!this.#isTrigger(path) || (canonical !== path && !this.#isTrigger(canonical))) return undefined;
    const tasks = Array.isArray(value) ? value : [value];
    let last: TaskResponse | undefined;
    for (const task of tasks) last = this.#run(task.trim(), path, clientAddress);
    return last;
  }

  #run(task: string, path: string, clientAddress: string): TaskResponse | undefined {
    const base = { junction: this.#point, path, clientAddress, task: redactTask(task) };
    const parsed = parseTask(task);
    if (!parsed.ok || !this.#allowed.has(parsed.command.kind)) {
      const detail = parsed.ok ? `task ${parsed.command.kind} is not granted to this junction (eai-tasks)` : parsed.error.text;
      this.#log.warn({ junction: this.#point, path, detail }, 'EAI server task refused');
      this.#record({ ...base, outcome: 'denied', detail });
      return undefined;
    }
    try {
      this.#record({ ...base, outcome: 'started' });  // write-ahead: no record, no run
    } catch (err) {
      this.#log.error({ junction: this.#point, path, err: (err as Error).message }, 'EAI server task not run: the audit log cannot be written');
      return undefined;
    }
    const done = (r: TaskResponse): TaskResponse => {
      const ended = endedBy(r);
      this.#record({ ...base, outcome: r.ok ? 'allowed' : 'failed', ended, detail: messageIds(r) || undefined });
      this.#log.info({ junction: this.#point, path, task: base.task, ok: r.ok, ended }, 'EAI server task ran');
      return r;
    };
    const r = this.#engine.run(parsed.canonical);
    if (!(r instanceof Promise)) return done(r);
    // The fleet-wide engine answers later; the response to the browser does not wait for it.
    r.then(done, (err: unknown) => {
      this.#record({ ...base, outcome: 'failed', detail: String(err).slice(0, 200) });
      this.#log.error({ junction: this.#point, path, err: String(err) }, 'EAI server task failed');
    });
    return undefined;
  }
}

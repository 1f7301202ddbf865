// response.ts -- what running a task answers (the engine, the admin API and
// the AdminClient share these shapes). Types only: no addon behind them.
import type { MessageId } from './message-ids.js';

export interface TaskMessage {
  /** Stable message ID, e.g. GHWAT0003W (catalogue in docs/tasks.md; GHWAA IDs in docs/admin.md). */
  readonly id: MessageId;
  /** 32-bit status code, as pdadmin shows it in hex. */
  readonly code: number;
  readonly severity: 'info' | 'warning' | 'error';
  readonly text: string;
}

export interface TaskResponse {
  /** False when any message is an error. */
  readonly ok: boolean;
  /** Result lines (listings, help). */
  readonly results: readonly string[];
  readonly messages: readonly TaskMessage[];
}

// response-facts.ts -- what every front door reads out of a TaskResponse for
// its audit record: how many sessions the task ended and which messages it
// gave. Read from the engine's stable message IDs (docs/tasks.md), never
// from message text alone.
import type { TaskResponse } from './engine.js';

/**
 * Sessions a task ended: GHWAT0001I one session, GHWAT0002I / GHWAT0010I
 * "N session(s) ...", GHWAT0006I (sign everyone out) the live count the
 * caller took just before.
 */
export function endedBy(r: TaskResponse, liveBefore = 0): number {
  let n = 0;
  for (const m of r.messages) {
    if (m.id === 'GHWAT0001I') n += 1;
    else if (m.id === 'GHWAT0002I' || m.id === 'GHWAT0010I') n += Number(/^\d+/.exec(m.text)?.[0] ?? 0);
    else if (m.id === 'GHWAT0006I') n += liveBefore;
  }
  return n;
}

/** The response's message IDs, comma-separated (audit `detail`). */
export function messageIds(r: TaskResponse): string {
  return r.messages.map((m) => m.id).join(',');
}

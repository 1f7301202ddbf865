// messages.ts -- the admin plane's message catalogue, in the task engine's
// style (docs/tasks.md, "Message catalogue"): ID `GHWAA<nnnn><I|W|E>` (Gatehouse
// WebSEAL-compatible Administration, Admin plane), code 0x4741nnnn ("GA" and
// the ID's four digits read as hex), severity, text. GHWAA0067E mirrors the
// reference product's DPWAP0067E. IDs never change meaning.
import type { AdminMessageId } from '../tasks/message-ids.js';
import type { TaskMessage } from '../tasks/response.js';

function message(id: AdminMessageId, severity: TaskMessage['severity'], text: string): TaskMessage {
  const digits = id.slice(5, 9);
  return Object.freeze({ id, code: 0x47410000 + parseInt(digits, 16), severity, text });
}

export const MESSAGES = {
  authenticationFailed: message('GHWAA0001E', 'error', 'Authentication failed.'),
  lockedOut: message('GHWAA0002E', 'error', 'Too many failed authentication attempts; try again later.'),
  commandDenied: message('GHWAA0067E', 'error', 'Authorization for the requested command has been denied.'),
  unknownServer: message('GHWAA0069E', 'error', 'Unknown server; `server list` shows this server\'s name.'),
} as const;

/** Every admin-plane message, for docs and tests. */
export const ADMIN_MESSAGES: readonly TaskMessage[] = Object.values(MESSAGES);

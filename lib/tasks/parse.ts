// parse.ts -- reads a task string with the native grammar (the same parser
// the task engine uses), as a typed command or a typed error.
import { native } from '../native.js';
import { InvalidArgumentError } from '../session/errors.js';
import type { TaskCommand } from './command.js';
import type { TaskParseErrorId } from './message-ids.js';

export interface TaskSyntaxError {
  /** Stable message ID, e.g. GHWAT0104E (see docs/tasks.md). */
  readonly messageId: TaskParseErrorId;
  readonly text: string;
  /** Byte offset in the UTF-8 input where the problem was found. */
  readonly offset: number;
}

export type ParsedTask =
  | {
      readonly ok: true;
      readonly command: TaskCommand;
      /** From a leading `server task <server-name>`. */
      readonly serverName?: string;
      /** Decoded from a whole `base64(server-name)_<id>` user session ID string. */
      readonly sessionServerName?: string;
      /** The canonical spelling (what the builders produce). */
      readonly canonical: string;
    }
  | { readonly ok: false; readonly error: TaskSyntaxError };

export function parseTask(text: string): ParsedTask {
  if (typeof text !== 'string') throw new InvalidArgumentError('task must be a string');
  return native.parseTask(text) as ParsedTask;
}

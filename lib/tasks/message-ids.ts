// message-ids.ts -- every message ID the task engine can answer with, as
// literal types. The catalogue itself lives in native/src/task/messages.cpp;
// test/message-ids.test.ts fails when this list and that file disagree.

/** GHWAT01xxE: the parser's errors (parseTask, and `bad_task` replies). */
export const TASK_PARSE_ERROR_IDS = [
  'GHWAT0101E', 'GHWAT0102E', 'GHWAT0103E', 'GHWAT0104E', 'GHWAT0105E', 'GHWAT0106E', 'GHWAT0107E',
] as const;
export type TaskParseErrorId = (typeof TASK_PARSE_ERROR_IDS)[number];

/** Every GHWAT message of the task engine (docs/tasks.md, "Message catalogue"). */
export const TASK_MESSAGE_IDS = [
  'GHWAT0001I', 'GHWAT0002I', 'GHWAT0003W', 'GHWAT0004W', 'GHWAT0005I', 'GHWAT0006I', 'GHWAT0007I',
  'GHWAT0008I', 'GHWAT0009W', 'GHWAT0010I', 'GHWAT0011I', 'GHWAT0012I', 'GHWAT0013I', 'GHWAT0014I',
  'GHWAT0051E', 'GHWAT0052E', 'GHWAT0053E', 'GHWAT0054E', 'GHWAT0055E', 'GHWAT0056E', 'GHWAT0057E',
  'GHWAT0058E', 'GHWAT0059E',
  ...TASK_PARSE_ERROR_IDS,
] as const;
export type TaskMessageId = (typeof TASK_MESSAGE_IDS)[number];

/** GHWAA: the admin plane's own messages (lib/admin/messages.ts). */
export const ADMIN_PLANE_MESSAGE_IDS = ['GHWAA0001E', 'GHWAA0002E', 'GHWAA0067E', 'GHWAA0069E'] as const;
export type AdminMessageId = (typeof ADMIN_PLANE_MESSAGE_IDS)[number];

/** Any message a task response or an admin API error can carry. */
export type MessageId = TaskMessageId | AdminMessageId;

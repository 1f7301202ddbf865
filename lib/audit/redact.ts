// redact.ts -- what the audit log (and anything else that records tasks)
// does to a task before writing it: user session IDs cut to their first 8
// characters and "…", so a log line can never be replayed as an ID.

/** A user session ID shortened for logs: its first 8 characters and "…". */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

const SESSION_TASK = /^(\s*(?:server\s+task\s+\S+\s+)?(?:session\s+)?terminate\s+session\s+)(\S+)/i;

/** Shortens the user session ID in a `terminate session` task (any spelling the grammar accepts). */
export function redactTask(task: string): string {
  return task.replace(SESSION_TASK, (_all, head: string, id: string) => {
    const marked = id.endsWith('…');  // already shortened (idempotent)
    const bare = marked ? id.slice(0, -1) : id;
    return `${head}${marked || bare.length > 8 ? `${bare.slice(0, 8)}…` : bare}`;
  });
}

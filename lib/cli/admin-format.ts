// admin-format.ts -- how `gatehouse admin` prints replies: like pdadmin,
// result lines first, then each message as `<ID> <text>` (errors with their
// status code in hex, as pdadmin shows failures), errors on stderr; or the
// reply as one line of JSON with --json.
import type { AdminApiError, WhoAmI } from '../admin/client.js';
import type { TaskMessage, TaskResponse } from '../tasks/engine.js';

/** Where output goes: ordinary lines and error lines. */
export interface Printer {
  out(line: string): void;
  err(line: string): void;
}

export function messageLine(m: TaskMessage): string {
  return m.severity === 'error' ? `${m.id} ${m.text} (0x${m.code.toString(16).padStart(8, '0')})` : `${m.id} ${m.text}`;
}

export function printTaskResponse(p: Printer, r: TaskResponse, json: boolean): void {
  if (json) { p.out(JSON.stringify(r)); return; }
  for (const line of r.results) p.out(line);
  for (const m of r.messages) (m.severity === 'error' ? p.err : p.out)(messageLine(m));
}

export function printLines(p: Printer, key: string, lines: readonly string[], json: boolean): void {
  if (json) p.out(JSON.stringify({ [key]: lines }));
  else for (const line of lines) p.out(line);
}

/** An AdminApiError with the server's message, its stable code and any task messages with their IDs. */
export function printApiError(p: Printer, e: AdminApiError, json: boolean): void {
  if (json) {
    p.out(JSON.stringify({ error: { code: e.apiCode, message: e.message, status: e.status }, messages: e.messages }));
    return;
  }
  for (const m of e.messages) p.err(messageLine(m));
  const where = e.status === 0 ? e.apiCode : `${e.apiCode}, HTTP ${e.status}`;
  const retry = e.retryAfterSeconds === undefined ? '' : `; retry in ${e.retryAfterSeconds} s`;
  p.err(`Error: ${e.message} (${where}${retry})`);
}

export function printError(p: Printer, message: string, json: boolean, code = 'usage'): void {
  if (json) p.out(JSON.stringify({ error: { code, message } }));
  else p.err(`Error: ${message}`);
}

/** `sec_master (password) groups: iv-admin; Tsl on /WebSEAL/host1-default/; AUTH_ADMINISTRATOR` */
export function printWhoami(p: Printer, me: WhoAmI, json: boolean): void {
  if (json) { p.out(JSON.stringify(me)); return; }
  const parts = [`${me.principal} (${me.method}) groups: ${me.groups.join(', ') || '-'}`];
  // The permissions object is the server's to shape; show its well-known parts when present.
  const perms = (me.permissions ?? {}) as { acl?: unknown; object?: unknown; privileges?: unknown; scopes?: unknown };
  if (typeof perms.acl === 'string' && typeof perms.object === 'string') parts.push(`${perms.acl || 'no permissions'} on ${perms.object}`);
  if (Array.isArray(perms.privileges) && perms.privileges.length > 0) parts.push(perms.privileges.join(', '));
  if (Array.isArray(perms.scopes)) parts.push(`token scopes: ${perms.scopes.join(', ')}`);
  p.out(parts.join('; '));
}

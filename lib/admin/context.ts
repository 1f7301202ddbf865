// context.ts -- what a route handler works with, and the two steps every
// admin action shares: authorize (a denial is audited, then refused with
// 403 and changes nothing) and audit the outcome (durably, before the reply).
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { UserRegistry } from '../registry/registry.js';
import type { SessionCache } from '../session/cache.js';
import type { TaskEngine, TaskMessage } from '../tasks/engine.js';
import { authorize, type AdminAction, type AdminPolicy } from './acl.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import type { AuthenticatedPrincipal } from './authn.js';
import { HttpError } from './http.js';
import { MESSAGES } from './messages.js';

export { endedBy, messageIds } from '../tasks/response-facts.js';

export interface AdminContext {
  readonly engine: TaskEngine;
  readonly cache: SessionCache;
  readonly registry: UserRegistry;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** The policy in force (re-read when its file changes). */
  policy(): AdminPolicy;
  /** The protected object, /WebSEAL/<host>-<instance>/. */
  readonly object: string;
  /** Prometheus text for /metrics and its content type. */
  metrics(): Promise<{ text: string; contentType: string }>;
  /** The OpenAPI document (built once). */
  openapi(): unknown;
}

export interface RequestContext {
  readonly admin: AdminContext;
  readonly req: IncomingMessage;
  /** Route id, e.g. `POST /api/v1/servers/{server}/tasks`. */
  readonly route: string;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly source: string;
  /** Set on every route that requires authentication. */
  readonly principal?: AuthenticatedPrincipal;
  /** The validated JSON body, for routes that take one. */
  readonly body?: unknown;
  /** What the request is about, noted as the handler learns it: the audit entry of a failure uses it. */
  readonly note: { kind?: string; task?: string };
}

/** What a handler answers; `outcome` labels the admin request metric. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: { readonly data: string; readonly contentType: string };
  readonly outcome: 'allowed' | 'failed';
}

export function principalOf(ctx: RequestContext): AuthenticatedPrincipal {
  if (ctx.principal === undefined) throw new Error(`route ${ctx.route} ran without a principal`);
  return ctx.principal;
}

/** An audit entry with the request's initiator, method, source, server and route filled in. */
export function entry(ctx: RequestContext, fields: Omit<AuditEntry, 'initiator' | 'method' | 'source' | 'server'>): AuditEntry {
  const p = ctx.principal;
  return {
    initiator: p?.name ?? '(unauthenticated)',
    method: p?.method ?? 'none',
    source: ctx.source,
    server: ctx.admin.engine.serverName,
    route: ctx.route,
    ...fields,
    ...(p?.tokenId !== undefined ? { tokenId: p.tokenId } : {}),
  };
}

/** Writes an audit entry; a log that cannot be written fails the request (500) rather than going unrecorded. */
export async function audit(ctx: RequestContext, fields: Omit<AuditEntry, 'initiator' | 'method' | 'source' | 'server'>): Promise<void> {
  try {
    await ctx.admin.audit.record(entry(ctx, fields));
  } catch (err) {
    ctx.admin.logger.error({ err: (err as Error).message, route: ctx.route }, 'audit log write failed');
    throw new HttpError(500, 'audit_unavailable', 'the audit log could not be written; the action may have taken effect');
  }
}

/** The 403 every denial answers with. */
export function deniedError(detail?: string): HttpError {
  const message = MESSAGES.commandDenied.text;
  return new HttpError(403, 'forbidden', detail ? `${message} (${detail})` : message, { messages: [MESSAGES.commandDenied] });
}

/**
 * Authorizes `action` for the request's principal. A denial is audited and
 * thrown as 403 before anything changes.
 */
export async function permit(ctx: RequestContext, action: AdminAction, task?: string): Promise<void> {
  ctx.note.kind = action;
  if (task !== undefined) ctx.note.task = task;
  const decision = authorize(principalOf(ctx), action, ctx.admin.policy());
  if (decision.allowed) return;
  await audit(ctx, { kind: action, ...(task !== undefined ? { task } : {}), outcome: 'denied', detail: decision.detail });
  throw deniedError();
}

/** 404 unless `name` is this server's pdadmin name (`server list` shows it). */
export function requireServer(ctx: RequestContext, name: string): void {
  if (name !== ctx.admin.engine.serverName)
    throw new HttpError(404, 'unknown_server', `unknown server '${name.slice(0, 256)}'; this server is ${ctx.admin.engine.serverName}`, { messages: [MESSAGES.unknownServer] });
}

/** A parse error as a TaskMessage (code 0x4754nnnn, as the engine's catalogue). */
export function parseErrorMessage(error: { messageId: string; text: string; offset: number }): TaskMessage {
  return { id: error.messageId, code: 0x47540000 + parseInt(error.messageId.slice(5, 9), 16), severity: 'error', text: `${error.text} (at byte ${error.offset}).` };
}

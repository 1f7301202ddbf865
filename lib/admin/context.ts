// context.ts -- what a route handler works with, and the steps every admin
// action shares: authorize (a denial is audited, then refused with 403 and
// changes nothing), write-ahead audit of an action that changes state (the
// `started` line is durable before the action runs; if it cannot be written,
// nothing runs and the answer is 503), and audit of the outcome.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger-type.js';
import type { UserRegistry } from '../registry/registry.js';
import type { AccountInvalidations } from '../registry/account-invalidations.js';
import type { SessionCache } from '../session/cache.js';
import type { TaskMessage } from '../tasks/engine.js';
import type { TaskSyntaxError } from '../tasks/parse.js';
import type { TaskRunner } from '../tasks/runner.js';
import type { SessionSource } from '../session/session-source.js';
import { authorize, type AdminAction, type AdminPolicy } from './acl.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import type { AuthenticatedPrincipal } from './authn.js';
import { HttpError } from './http.js';
import { MESSAGES } from './messages.js';

export { endedBy, messageIds } from '../tasks/response-facts.js';

export interface AdminContext {
  readonly engine: TaskRunner;
  readonly cache: SessionCache;
  readonly sessions: SessionSource;
  readonly registry: UserRegistry;
  /** With the distributed session cache: where account invalidation is kept (fleet-wide), instead of the registry. */
  readonly accounts?: AccountInvalidations;
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

type Fields = Omit<AuditEntry, 'initiator' | 'method' | 'source' | 'server'>;

/** The 503 when the audit log cannot be written: nothing was done (or disclosed). */
export function auditUnavailable(): HttpError {
  return new HttpError(503, 'audit_unavailable',
    'the audit log cannot be written, so the request was not carried out and nothing changed; see the server log');
}

function auditFailed(ctx: RequestContext, err: unknown, what: string): void {
  ctx.admin.logger.error({ err: (err as Error).message, route: ctx.route, audit: ctx.admin.audit.path }, what);
}

/**
 * Writes the audit entry of a read-only action before its reply; a log that
 * cannot be written refuses the request (503) rather than leaving it unrecorded.
 */
export async function audit(ctx: RequestContext, fields: Fields): Promise<void> {
  try {
    await ctx.admin.audit.record(entry(ctx, fields));
  } catch (err) {
    auditFailed(ctx, err, 'audit log write failed; request refused');
    throw auditUnavailable();
  }
}

/**
 * Write-ahead: records that an authorized action is about to run (outcome
 * `started`), durably, before it runs. If the line cannot be written the
 * action must not run: throws 503 audit_unavailable.
 */
export async function auditIntent(ctx: RequestContext, fields: Omit<Fields, 'outcome'>): Promise<void> {
  try {
    await ctx.admin.audit.record(entry(ctx, { ...fields, outcome: 'started' }));
  } catch (err) {
    auditFailed(ctx, err, 'audit log write failed; the action was not run');
    throw auditUnavailable();
  }
}

/**
 * Records the outcome of an action that has run (its `started` line is on
 * disk). A failure here is logged, not answered with an error: the action
 * took effect, and a 5xx would invite the caller to repeat it.
 */
export async function auditOutcome(ctx: RequestContext, fields: Fields): Promise<void> {
  try {
    await ctx.admin.audit.record(entry(ctx, fields));
  } catch (err) {
    auditFailed(ctx, err, 'audit log write failed after the action ran; its started line is the record');
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
  await auditDenial(ctx, { kind: action, ...(task !== undefined ? { task } : {}), outcome: 'denied', detail: decision.detail });
  throw deniedError();
}

/** Records a denial. If the log cannot be written the answer is still the refusal (403): nothing runs either way. */
export async function auditDenial(ctx: RequestContext, fields: Fields): Promise<void> {
  try {
    await ctx.admin.audit.record(entry(ctx, fields));
  } catch (err) {
    auditFailed(ctx, err, 'audit log write failed for a denial; refused anyway');
  }
}

/** 404 unless `name` is this server's pdadmin name (`server list` shows it). */
export function requireServer(ctx: RequestContext, name: string): void {
  if (name !== ctx.admin.engine.serverName)
    throw new HttpError(404, 'unknown_server', `unknown server '${name.slice(0, 256)}'; this server is ${ctx.admin.engine.serverName}`, { messages: [MESSAGES.unknownServer] });
}

/** A parse error as a TaskMessage (code 0x4754nnnn, as the engine's catalogue). */
export function parseErrorMessage(error: TaskSyntaxError): TaskMessage {
  return { id: error.messageId, code: 0x47540000 + parseInt(error.messageId.slice(5, 9), 16), severity: 'error', text: `${error.text} (at byte ${error.offset}).` };
}

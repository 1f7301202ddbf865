// routes-api.ts -- handlers for the server-level routes: health, OpenAPI,
// metrics, whoami, servers, the task list, and running one task string
// through the engine (POST /api/v1/servers/{server}/tasks).
import { parseTask } from '../tasks/parse.js';
import { TaskEngine } from '../tasks/engine.js';
import {
  ADMIN_ACTIONS, actionOf, authorize, changesState, permissionsOf, privilegesOf,
} from './acl.js';
import {
  audit, auditIntent, auditOutcome, endedBy, messageIds, parseErrorMessage, permit, principalOf, requireServer, type Reply, type RequestContext,
} from './context.js';
import { HttpError, checkTaskLength } from './http.js';
import type { TaskRequest } from './schemas.js';
import type { z } from 'zod';

export async function health(): Promise<Reply> {
  return { status: 200, body: { status: 'ok' }, outcome: 'allowed' };
}

export async function openapi(ctx: RequestContext): Promise<Reply> {
  return { status: 200, body: ctx.admin.openapi(), outcome: 'allowed' };
}

export async function metrics(ctx: RequestContext): Promise<Reply> {
  const m = await ctx.admin.metrics();
  return { status: 200, text: { data: m.text, contentType: m.contentType }, outcome: 'allowed' };
}

export async function whoami(ctx: RequestContext): Promise<Reply> {
  const p = principalOf(ctx);
  const policy = ctx.admin.policy();
  const actions: Record<string, boolean> = {};
  for (const a of ADMIN_ACTIONS) actions[a] = authorize(p, a, policy).allowed;
  await audit(ctx, { kind: 'whoami', outcome: 'allowed' });
  return {
    status: 200,
    outcome: 'allowed',
    body: {
      principal: p.name,
      method: p.method,
      groups: [...p.groups],
      permissions: {
        object: ctx.admin.object,
        acl: permissionsOf(p, policy),
        privileges: privilegesOf(p, policy),
        scopes: p.scopes ? [...p.scopes] : null,
        actions,
      },
    },
  };
}

export async function servers(ctx: RequestContext): Promise<Reply> {
  await permit(ctx, 'server_list');
  await audit(ctx, { kind: 'server_list', outcome: 'allowed' });
  return { status: 200, body: { servers: [ctx.admin.engine.serverName] }, outcome: 'allowed' };
}

export async function listTasks(ctx: RequestContext): Promise<Reply> {
  requireServer(ctx, ctx.params.server!);
  await permit(ctx, 'server_listtasks');
  await audit(ctx, { kind: 'server_listtasks', outcome: 'allowed' });
  return { status: 200, body: { tasks: TaskEngine.taskList() }, outcome: 'allowed' };
}

/** authenticate -> authorize (by the parsed kind) -> engine -> audit -> reply. */
export async function runTask(ctx: RequestContext): Promise<Reply> {
  const { task } = ctx.body as z.infer<typeof TaskRequest>;
  ctx.note.task = task;
  requireServer(ctx, ctx.params.server!);
  checkTaskLength(task);
  const parsed = parseTask(task);
  if (!parsed.ok) {
    throw new HttpError(400, 'bad_task', `the task does not parse: ${parsed.error.text}`, { messages: [parseErrorMessage(parsed.error)] });
  }
  if (parsed.serverName !== undefined) requireServer(ctx, parsed.serverName);
  const kind = actionOf(parsed.command);
  await permit(ctx, kind, task);
  const writeAhead = changesState(kind);
  if (writeAhead) await auditIntent(ctx, { kind, task });
  const liveBefore = kind === 'signout_all_sessions' ? await ctx.admin.sessions.live() : 0;
  const r = await ctx.admin.engine.run(task, ctx.params.server!);
  await (writeAhead ? auditOutcome : audit)(ctx, {
    kind, task, outcome: r.ok ? 'allowed' : 'failed', ended: endedBy(r, liveBefore), detail: messageIds(r),
  });
  return { status: 200, body: { ok: r.ok, results: r.results, messages: r.messages }, outcome: r.ok ? 'allowed' : 'failed' };
}

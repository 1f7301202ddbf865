// routes-sessions.ts -- the REST routes over sessions and users. Each is
// authorized by the task kind it stands for, then calls the SessionCache
// method the engine itself uses (or the engine, where the task string form
// matters), and audits before replying. Arguments are checked by the task
// builders, so REST accepts exactly what the task grammar accepts.
import { checkLoginId } from '../session/checks.js';
import { InvalidArgumentError } from '../session/errors.js';
import { tasks } from '../tasks/builders.js';
import {
  audit, auditIntent, auditOutcome, endedBy, messageIds, permit, type Reply, type RequestContext,
} from './context.js';
import { HttpError } from './http.js';
import type { InvalidateRequest } from './schemas.js';
import type { ListedSession } from '../session/session-source.js';
import type { TaskResponse } from '../tasks/engine.js';
import type { z } from 'zod';

/**
 * A call to the distributed session cache's store: its outage (or a foreign
 * value under the prefix) is a 503, not an internal error.
 */
async function fromStore<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_GH_DSC'))
      throw new HttpError(503, 'session_store_unavailable', `${what}: ${(err as Error).message}`);
    throw err;
  }
}

/** A task that failed (the store is unavailable, ...) is a 503 with the engine's messages. */
function succeeded(r: TaskResponse): TaskResponse {
  if (r.ok) return r;
  throw new HttpError(503, 'session_store_unavailable', r.messages.find((m) => m.severity === 'error')?.text ?? 'the task failed', { messages: r.messages });
}

/** The number a message of the given ID carries (its first, or the pattern's group). */
function countIn(r: TaskResponse, id: string, pattern = /^(\d+)/): number {
  const m = r.messages.find((x) => x.id === id);
  return Number(m === undefined ? 0 : pattern.exec(m.text)?.[1] ?? 0);
}

/** Runs an argument check (builders, checks) and turns its error into a 400. */
function arg<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new HttpError(400, 'bad_request', err.message);
    throw err;
  }
}

function sessionJson(s: ListedSession) {
  return {
    userSessionId: s.userSessionId,
    loginId: s.loginId,
    createdAt: new Date(s.createdAt).toISOString(),
    lastAccessAt: new Date(s.lastAccessAt).toISOString(),
    authMethod: s.authMethod,
    refreshNeeded: s.refreshNeeded,
  };
}

function maxParam(ctx: RequestContext): number {
  const raw = ctx.query.get('max');
  if (raw === null) return 100;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100_000)
    throw new HttpError(400, 'bad_request', 'max must be a whole number in 1..100000');
  return Number(raw);
}

/**
 * 404 for a login ID that is neither a registry user nor holds a session
 * (sessions of users outside the registry, e.g. EAI logins, still count).
 */
async function requireUser(ctx: RequestContext, loginId: string): Promise<void> {
  if (ctx.admin.registry.lookup(loginId) !== undefined) return;
  if (await ctx.admin.sessions.count(loginId) > 0) return;
  throw new HttpError(404, 'unknown_user', `unknown user '${loginId.slice(0, 256)}': not in the registry and holding no session`);
}

/** Whether the account is valid here: this server's registry and (dsess-enabled) the fleet's invalidation. */
async function accountState(ctx: RequestContext, loginId: string): Promise<{ accountValid: boolean; invalidated?: { at: string; server: string; by: string } }> {
  const registryValid = ctx.admin.registry.lookup(loginId)?.accountValid ?? true;
  const accounts = ctx.admin.accounts;
  const mark = accounts === undefined ? undefined : await fromStore('the account state could not be read', () => accounts.get(loginId));
  if (mark === undefined) return { accountValid: registryValid };
  return { accountValid: false, invalidated: { at: new Date(mark.at).toISOString(), server: mark.server, by: mark.by } };
}

export async function listUserSessions(ctx: RequestContext): Promise<Reply> {
  const loginId = arg(() => checkLoginId(ctx.params.loginId, 'loginId'));
  const max = maxParam(ctx);
  const task = tasks.listSessions(loginId).text;
  await permit(ctx, 'list_sessions', task);
  await requireUser(ctx, loginId);
  const listing = await ctx.admin.sessions.list(loginId, max);
  const account = await accountState(ctx, loginId);
  await audit(ctx, { kind: 'list_sessions', task, outcome: 'allowed', detail: `${listing.total} session(s)` });
  return { status: 200, body: { total: listing.total, ...account, sessions: listing.sessions.map(sessionJson) }, outcome: 'allowed' };
}

export async function listSessions(ctx: RequestContext): Promise<Reply> {
  const pattern = ctx.query.get('pattern') ?? '*';
  const max = maxParam(ctx);
  const task = arg(() => tasks.listSessionsByPattern(pattern, max)).text;
  await permit(ctx, 'list_sessions_pattern', task);
  const listing = await ctx.admin.sessions.listByPattern(pattern, max);
  await audit(ctx, { kind: 'list_sessions_pattern', task, outcome: 'allowed', detail: `${listing.total} session(s)` });
  return { status: 200, body: { total: listing.total, sessions: listing.sessions.map(sessionJson) }, outcome: 'allowed' };
}

/** Through the engine: it takes the bare ID or the whole `base64(server-name)_id` string and checks the server. */
export async function terminateSession(ctx: RequestContext): Promise<Reply> {
  const t = arg(() => tasks.terminateSession(ctx.params.userSessionId!));
  await permit(ctx, 'terminate_session', t.text);
  await auditIntent(ctx, { kind: 'terminate_session', task: t.text });
  const r = await ctx.admin.engine.run(t);
  const ended = endedBy(r);
  await auditOutcome(ctx, { kind: 'terminate_session', task: t.text, outcome: r.ok ? 'allowed' : 'failed', ended, detail: messageIds(r) });
  if (!r.ok) {
    const otherServer = r.messages.some((m) => m.id === 'GHWAT0052E');
    throw new HttpError(otherServer ? 404 : 400, otherServer ? 'unknown_server' : 'bad_request',
      r.messages.find((m) => m.severity === 'error')?.text ?? 'the session could not be terminated', { messages: r.messages });
  }
  return { status: 200, body: { ended }, outcome: 'allowed' };
}

export async function terminateUserSessions(ctx: RequestContext): Promise<Reply> {
  const loginId = arg(() => checkLoginId(ctx.params.loginId, 'loginId'));
  const task = tasks.terminateAllSessions(loginId).text;
  await permit(ctx, 'terminate_all_sessions', task);
  await requireUser(ctx, loginId);
  await auditIntent(ctx, { kind: 'terminate_all_sessions', task });
  const ended = endedBy(succeeded(await ctx.admin.engine.run(task)));
  await auditOutcome(ctx, { kind: 'terminate_all_sessions', task, outcome: 'allowed', ended });
  return { status: 200, body: { ended }, outcome: 'allowed' };
}

export async function refreshUserSessions(ctx: RequestContext): Promise<Reply> {
  const loginId = arg(() => checkLoginId(ctx.params.loginId, 'loginId'));
  const task = tasks.refreshAllSessions(loginId).text;
  await permit(ctx, 'refresh_all_sessions', task);
  await requireUser(ctx, loginId);
  await auditIntent(ctx, { kind: 'refresh_all_sessions', task });
  const refreshed = countIn(succeeded(await ctx.admin.engine.run(task)), 'GHWAT0005I');
  await auditOutcome(ctx, { kind: 'refresh_all_sessions', task, outcome: 'allowed', detail: `${refreshed} session(s) marked for refresh` });
  return { status: 200, body: { refreshed }, outcome: 'allowed' };
}

export async function signOutEveryone(ctx: RequestContext): Promise<Reply> {
  const task = tasks.signOutEveryone().text;
  await permit(ctx, 'signout_all_sessions', task);
  await auditIntent(ctx, { kind: 'signout_all_sessions', task });
  const liveBefore = await ctx.admin.sessions.live();
  const epoch = countIn(succeeded(await ctx.admin.engine.run(task)), 'GHWAT0006I', /epoch (\d+)/);
  await auditOutcome(ctx, { kind: 'signout_all_sessions', task, outcome: 'allowed', ended: liveBefore, detail: `new epoch ${epoch}` });
  return { status: 200, body: { epoch }, outcome: 'allowed' };
}

/** The login ID of an account route, authorized for `action`; a registry user of this server, else 404. */
async function accountRoute(ctx: RequestContext, action: 'invalidate' | 'validate'): Promise<{ loginId: string; task: string }> {
  const loginId = arg(() => checkLoginId(ctx.params.loginId, 'loginId'));
  const task = `${action} ${tasks.terminateAllSessions(loginId).text.slice('terminate all_sessions '.length)}`;
  await permit(ctx, action, task);
  if (ctx.admin.registry.lookup(loginId) === undefined)
    throw new HttpError(404, 'unknown_user', `unknown user '${loginId.slice(0, 256)}' in the registry`);
  return { loginId, task };
}

/**
 * Invalidates the account first (so no new login can start), then ends its
 * sessions: the reference's advice, since a terminated user with a valid
 * account simply logs in again. On one server the registry records it; with
 * the distributed session cache, Redis does, for every host of the fleet
 * (this server's registry file is left as its operator set it).
 */
export async function invalidateUser(ctx: RequestContext): Promise<Reply> {
  const { endSessions = true } = ctx.body as z.infer<typeof InvalidateRequest>;
  const { loginId, task } = await accountRoute(ctx, 'invalidate');
  await auditIntent(ctx, { kind: 'invalidate', task });
  const accounts = ctx.admin.accounts;
  if (accounts === undefined) await ctx.admin.registry.update(loginId, { accountValid: false });
  else await fromStore('the account could not be invalidated', () => accounts.invalidate(loginId, { at: Date.now(), server: ctx.admin.engine.serverName, by: ctx.principal!.name }));
  const ended = endSessions ? endedBy(succeeded(await ctx.admin.engine.run(tasks.terminateAllSessions(loginId)))) : 0;
  await auditOutcome(ctx, { kind: 'invalidate', task, outcome: 'allowed', ended, detail: `account invalidated${accounts === undefined ? '' : ' fleet-wide'}${endSessions ? ', sessions ended' : ''}` });
  return { status: 200, body: { accountValid: false, ended }, outcome: 'allowed' };
}

/** Makes an invalidated account valid again: in the registry on one server, fleet-wide with the distributed session cache. */
export async function validateUser(ctx: RequestContext): Promise<Reply> {
  const { loginId, task } = await accountRoute(ctx, 'validate');
  await auditIntent(ctx, { kind: 'validate', task });
  const accounts = ctx.admin.accounts;
  let detail: string;
  if (accounts === undefined) {
    await ctx.admin.registry.update(loginId, { accountValid: true });
    detail = 'account valid';
  } else {
    const lifted = await fromStore('the account could not be made valid', () => accounts.revalidate(loginId));
    detail = lifted ? 'fleet-wide invalidation lifted' : 'the account was not invalidated fleet-wide';
  }
  // The fleet's invalidation is gone now: this server's registry has the last word.
  const accountValid = ctx.admin.registry.lookup(loginId)?.accountValid ?? true;
  if (!accountValid) detail += '; this server\'s registry still holds the account invalid';
  await auditOutcome(ctx, { kind: 'validate', task, outcome: 'allowed', detail });
  return { status: 200, body: { accountValid }, outcome: 'allowed' };
}

// pdadmin.ts -- POST /isam/pdadmin, compatible with the reference
// appliance's endpoint: `{admin_id, admin_pwd, admin_domain?, commands}`.
// Commands are `server list`, `server listtasks <name>` and
// `server task <name> <task>` (the engine's grammar reads the whole
// `server task ...` line). Every command is checked and authorized before
// any runs: one unknown server, parse error or denial refuses the whole
// request and nothing changes. Then a `started` audit line for every command
// is written (durably, in one group commit) before the first one runs: if the
// log cannot be written, nothing runs (503).
import { parseTask } from '../tasks/parse.js';
import { TaskEngine, type TaskMessage } from '../tasks/engine.js';
import type { AdminAction } from './acl.js';
import { actionOf, authorize } from './acl.js';
import {
  auditDenial, auditIntent, auditOutcome, deniedError, endedBy, messageIds, parseErrorMessage, principalOf, type Reply, type RequestContext,
} from './context.js';
import { HttpError, checkTaskLength } from './http.js';
import { MESSAGES } from './messages.js';
import type { PdadminRequest } from './schemas.js';
import type { z } from 'zod';

interface Planned {
  readonly command: string;
  readonly action: AdminAction;
  /** `server task` commands: the task text handed to the engine (with its prefix). */
  readonly task?: string;
}

interface CommandResult {
  command: string;
  ok: boolean;
  results: string[];
  messages: TaskMessage[];
}

const SERVER_LIST = /^[ \t]*server[ \t]+list[ \t]*$/i;
const LISTTASKS = /^[ \t]*server[ \t]+listtasks[ \t]+(\S+)[ \t]*$/i;
const SERVER_TASK = /^[ \t]*server[ \t]+task[ \t]/i;

/** Checks `admin_domain`: the reference defaults it to `Default`; no other domain exists here. */
export function checkDomain(domain: string | undefined): void {
  if (domain !== undefined && domain.toLowerCase() !== 'default')
    throw new HttpError(400, 'bad_request', `unknown admin_domain '${domain.slice(0, 64)}'; only Default exists`);
}

function plan(ctx: RequestContext, command: string, index: number, count: number): Planned {
  const where = `command ${index + 1} of ${count}`;
  ctx.note.task = command;
  checkTaskLength(command, where);
  const serverName = ctx.admin.engine.serverName;
  const unknownServer = (name: string) => new HttpError(404, 'unknown_server',
    `${where}: unknown server '${name.slice(0, 256)}'; this server is ${serverName}; no command ran`, { messages: [MESSAGES.unknownServer] });
  if (SERVER_LIST.test(command)) return { command, action: 'server_list' };
  const lt = LISTTASKS.exec(command);
  if (lt) {
    if (lt[1] !== serverName) throw unknownServer(lt[1]!);
    return { command, action: 'server_listtasks' };
  }
  if (SERVER_TASK.test(command)) {
    const parsed = parseTask(command);
    if (!parsed.ok)
      throw new HttpError(400, 'bad_task', `${where} does not parse: ${parsed.error.text}; no command ran`, { messages: [parseErrorMessage(parsed.error)] });
    if (parsed.serverName !== undefined && parsed.serverName !== serverName) throw unknownServer(parsed.serverName);
    return { command, action: actionOf(parsed.command), task: command };
  }
  throw new HttpError(400, 'bad_request',
    `${where} is not supported: use server list, server listtasks <server-name> or server task <server-name> <task>; no command ran`);
}

export async function pdadmin(ctx: RequestContext): Promise<Reply> {
  const body = ctx.body as z.infer<typeof PdadminRequest>;
  const principal = principalOf(ctx);
  const planned = body.commands.map((c, i) => plan(ctx, c, i, body.commands.length));

  // Authorize every command before running any.
  const policy = ctx.admin.policy();
  const decisions = planned.map((p) => authorize(principal, p.action, policy));
  const refused = decisions.findIndex((d) => !d.allowed);
  if (refused >= 0) {
    for (const [i, p] of planned.entries()) {
      const d = decisions[i]!;
      await auditDenial(ctx, {
        kind: p.action, task: p.command, outcome: 'denied',
        detail: d.allowed ? `not run: command ${refused + 1} was refused` : d.detail,
      });
    }
    throw deniedError(`command ${refused + 1} of ${planned.length}; no command ran`);
  }

  // Write-ahead, all or nothing: every command's started line is on disk before the first runs.
  await Promise.all(planned.map((p) => auditIntent(ctx, { kind: p.action, task: p.command })));
  const results: CommandResult[] = [];
  for (const p of planned) results.push(await run(ctx, p));
  const lines: string[] = [];
  for (const r of results) lines.push(...r.results, ...r.messages.map((m) => `${m.id} ${m.text}`));
  return {
    status: 200,
    body: { result: lines.join('\n'), commands: results },
    outcome: results.every((r) => r.ok) ? 'allowed' : 'failed',
  };
}

async function run(ctx: RequestContext, p: Planned): Promise<CommandResult> {
  if (p.action === 'server_list' || p.action === 'server_listtasks') {
    await auditOutcome(ctx, { kind: p.action, task: p.command, outcome: 'allowed' });
    const lines = p.action === 'server_list' ? [ctx.admin.engine.serverName] : [...TaskEngine.taskList()];
    return { command: p.command, ok: true, results: lines, messages: [] };
  }
  const liveBefore = p.action === 'signout_all_sessions' ? await ctx.admin.sessions.live() : 0;
  const r = await ctx.admin.engine.run(p.task!);
  await auditOutcome(ctx, {
    kind: p.action, task: p.command, outcome: r.ok ? 'allowed' : 'failed', ended: endedBy(r, liveBefore), detail: messageIds(r),
  });
  return { command: p.command, ok: r.ok, results: [...r.results], messages: [...r.messages] };
}

// admin-commands.ts -- the `server ...` and dscadmin commands of
// `gatehouse admin`, shared by the one-shot form and the interactive shell.
// Each returns an exit status: 0 ok, 1 the task or request failed, 2 usage,
// 3 authentication or authorization.
import { AdminApiError, type AdminClient } from '../admin/client.js';
import { GatehouseError, InvalidArgumentError } from '../session/errors.js';
import { dsc } from '../tasks/builders.js';
import type { Task } from '../tasks/command.js';
import { printApiError, printError, printLines, printTaskResponse, type Printer } from './admin-format.js';
import { argvToTask, isWord, splitWords, type Word } from './admin-words.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** A command's words, and the verbatim text from word i on (what a task string is made of). */
export interface CommandLine {
  readonly words: readonly Word[];
  rest(i: number): string;
}

export function lineCommand(line: string): CommandLine | { error: string } {
  const s = splitWords(line);
  if (!s.ok) return { error: s.error };
  return { words: s.words, rest: (i) => (s.words[i] ? line.slice(s.words[i].start).trim() : '') };
}

export function argvCommand(argv: readonly string[]): CommandLine {
  return { words: argv.map((text) => ({ text, start: -1, quoted: false })), rest: (i) => argvToTask(argv.slice(i)) };
}

export interface CommandContext extends Printer {
  readonly client: AdminClient;
  readonly json: boolean;
  /** The replica set the dscadmin shortcuts use when none is given (looked up once). */
  replicaSet?: string;
}

class UsageError extends Error {}

export const SERVER_USAGE = [
  'server list',
  'server listtasks <server-name>',
  'server task <server-name> <task ...>',
];

export const DSC_USAGE = [
  'replica set list                         (shortcut: replicas)',
  'replica set show <replica_set>',
  'session list <pattern> <maximum_return> <replica_set>',
  'session terminate session <user_session_id> <replica_set>',
  'session terminate all_sessions <user_pattern> <replica_set>',
  'list sessions <replica_set> <pattern> [<maximum_return>]',
  'terminate session <user_session_id> [<replica_set>]',
  'terminate all_sessions <user_pattern> [<replica_set>]',
];

/** `server list | listtasks <name> | task <name> <task...>`; c.words[0] is `server`. */
export function runServerCommand(ctx: CommandContext, c: CommandLine): Promise<ExitStatus> {
  return guarded(ctx, async () => {
    const [, verb, name] = c.words;
    if (isWord(verb, 'list') && c.words.length === 2) {
      printLines(ctx, 'servers', await ctx.client.servers(), ctx.json);
      return EXIT.ok;
    }
    if (isWord(verb, 'listtasks') && name && c.words.length === 3) {
      printLines(ctx, 'tasks', await ctx.client.taskList(name.text), ctx.json);
      return EXIT.ok;
    }
    if (isWord(verb, 'task') && name && c.words.length >= 4) {
      const r = await ctx.client.run(c.rest(3), name.text);
      printTaskResponse(ctx, r, ctx.json);
      return r.ok ? EXIT.ok : EXIT.failed;
    }
    throw new UsageError(`usage: ${SERVER_USAGE.join(' | ')}`);
  });
}

/** A dscadmin command (the reference's syntax, or a shortcut), run as a task on the first server. */
export function runDscCommand(ctx: CommandContext, c: CommandLine): Promise<ExitStatus> {
  return guarded(ctx, async () => {
    const w = c.words;
    const kw = (i: number, k: string): boolean => isWord(w[i], k);
    let task: Task | string;
    if ((kw(0, 'replica') && kw(1, 'set')) || kw(0, 'session')) {
      task = c.rest(0);  // the reference's own syntax: the server's parser reads it
    } else if (kw(0, 'replicas') && w.length === 1) {
      task = dsc.replicaSetList();
    } else if (kw(0, 'list') && kw(1, 'sessions') && (w.length === 4 || w.length === 5)) {
      task = dsc.listSessions(w[3]!.text, w[4] ? number(w[4].text) : 100, w[2]!.text);
    } else if (kw(0, 'terminate') && kw(1, 'session') && (w.length === 3 || w.length === 4)) {
      task = dsc.terminateSession(w[2]!.text, w[3]?.text ?? await replicaSet(ctx));
    } else if (kw(0, 'terminate') && kw(1, 'all_sessions') && (w.length === 3 || w.length === 4)) {
      task = dsc.terminateAllSessions(w[2]!.text, w[3]?.text ?? await replicaSet(ctx));
    } else {
      throw new UsageError(`unknown dscadmin command \`${c.rest(0)}\`; the commands are:\n  ${DSC_USAGE.join('\n  ')}`);
    }
    const r = await ctx.client.run(task);
    printTaskResponse(ctx, r, ctx.json);
    return r.ok ? EXIT.ok : EXIT.failed;
  });
}

/** Maps every failure to a printed error and an exit status. */
export async function guarded(ctx: Printer & { json: boolean }, fn: () => Promise<ExitStatus>): Promise<ExitStatus> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidArgumentError) {
      printError(ctx, err.message, ctx.json, err instanceof UsageError ? 'usage' : 'invalid_argument');
      return EXIT.usage;
    }
    if (err instanceof AdminApiError) {
      printApiError(ctx, err, ctx.json);
      return err.isAuthError ? EXIT.auth : EXIT.failed;
    }
    if (err instanceof GatehouseError) {
      printError(ctx, err.message, ctx.json, err.code);
      return EXIT.failed;
    }
    throw err;
  }
}

function number(s: string): number {
  if (!/^\d{1,6}$/.test(s)) throw new UsageError(`<maximum_return> must be a whole number, got ${s}`);
  return Number(s);
}

async function replicaSet(ctx: CommandContext): Promise<string> {
  if (ctx.replicaSet === undefined) {
    const r = await ctx.client.run(dsc.replicaSetList());
    const first = r.ok ? r.results[0] : undefined;
    if (first === undefined) throw new UsageError('the server names no replica set; give one: terminate ... <replica_set>');
    ctx.replicaSet = first;
  }
  return ctx.replicaSet;
}

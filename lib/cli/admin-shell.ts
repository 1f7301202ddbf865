// admin-shell.ts -- the interactive `gatehouse admin` shell: a pdadmin>
// prompt (`pdadmin sec_master>` once logged in) with login/logout and the
// `server` commands, and a dscadmin> mode for the session commands. Lines
// are read with node:readline; passwords typed at the login prompt are not
// echoed, and a password given with `login -p` never enters the history.
import readline from 'node:readline';
import type { AdminAuth, AdminClient } from '../admin/client.js';
import { InvalidArgumentError } from '../session/errors.js';
import {
  DSC_USAGE, EXIT, SERVER_USAGE, guarded, lineCommand, runDscCommand, runServerCommand,
  type CommandContext, type CommandLine, type ExitStatus,
} from './admin-commands.js';
import { printError, printWhoami, type Printer } from './admin-format.js';
import type { CredentialPlan } from './admin-options.js';
import { LineQueue, MutableOutput, type AdminIo } from './admin-tty.js';
import { isWord } from './admin-words.js';

export interface ShellOptions {
  io: AdminIo;
  json: boolean;
  /** Makes a client for the configured URL, CA and timeout. */
  connect(auth: AdminAuth): AdminClient;
  /** Credentials from the command line or environment: logged in before the first prompt. */
  initial: CredentialPlan;
}

const PDADMIN_HELP = [
  'login -a <user> [-p <password>]   log in (prompts for the password when -p is absent)',
  'logout',
  'whoami',
  ...SERVER_USAGE,
  'dscadmin [<command>]              session commands (dscadmin mode without a command)',
  'history',
  'help',
  'exit | quit',
];

const DSC_HELP = [...DSC_USAGE, 'history', 'help', 'exit | quit                     back to pdadmin>'];

const MASK = '********';

export async function runShell(options: ShellOptions): Promise<number> {
  const { io, json } = options;
  const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true;
  const output = new MutableOutput(io.stdout);
  const rl = readline.createInterface({ input: io.stdin, output: output.asStream(), terminal, historySize: 200 });
  // readline's own (arrow-key) history must not keep a password either.
  rl.on('history', (h: string[]) => { if (h[0] !== undefined) h[0] = maskPassword(h[0]); });
  rl.on('SIGINT', () => rl.close());
  const lines = new LineQueue(rl);
  const printer: Printer = {
    out: (l) => { output.write(`${l}\n`); },
    err: (l) => { io.stderr.write(`${l}\n`); },
  };
  const state: { mode: 'pdadmin' | 'dscadmin'; client?: AdminClient; principal?: string; replicaSet?: string } = { mode: 'pdadmin' };
  const history: string[] = [];

  const hidden = async (prompt: string): Promise<string | null> => {
    output.write(prompt);
    output.muted = true;
    try {
      return await lines.next();
    } finally {
      output.muted = false;
      output.write('\n');  // the Enter that ended the secret was not echoed
    }
  };

  const login = async (auth: AdminAuth): Promise<ExitStatus> => {
    let client: AdminClient;
    try {
      client = options.connect(auth);
    } catch (err) {
      if (err instanceof InvalidArgumentError) { printError(printer, err.message, json); return EXIT.usage; }
      throw err;
    }
    const status = await guarded({ ...printer, json }, async () => {
      const me = await client.whoami();
      await state.client?.close();
      Object.assign(state, { client, principal: me.principal, replicaSet: undefined });
      return EXIT.ok;
    });
    if (status !== EXIT.ok) await client.close();
    return status;
  };

  const loginWithPlan = async (plan: CredentialPlan): Promise<void> => {
    if (plan.kind === 'none') return;
    if (plan.kind === 'token') { await login({ token: plan.token }); return; }
    if (plan.kind === 'certificate') { await login({ certificate: { cert: plan.cert, key: plan.key } }); return; }
    const password = plan.password ?? (plan.fromStdin ? await lines.next() : await hidden(`Enter password for ${plan.user}: `));
    if (password === null) return;
    await login({ user: plan.user, password });
  };

  const context = (): CommandContext | undefined => {
    if (state.client === undefined) {
      printError(printer, 'not logged in; use login -a <user> [-p <password>]', json, 'not_logged_in');
      return undefined;
    }
    const ctx: CommandContext = { ...printer, client: state.client, json };
    if (state.replicaSet !== undefined) ctx.replicaSet = state.replicaSet;
    return ctx;
  };
  const withContext = async (fn: (ctx: CommandContext) => Promise<ExitStatus>): Promise<void> => {
    const ctx = context();
    if (ctx === undefined) return;
    await fn(ctx);
    state.replicaSet = ctx.replicaSet;  // the dscadmin shortcuts look it up once per login
  };

  const loginCommand = async (c: CommandLine): Promise<void> => {
    let user: string | undefined;
    let password: string | undefined;
    const w = c.words;
    for (let i = 1; i < w.length; i += 2) {
      const value = w[i + 1]?.text;
      if (isWord(w[i], '-a') && value !== undefined) user = value;
      else if (isWord(w[i], '-p') && value !== undefined) password = value;
      else { printError(printer, 'usage: login -a <user> [-p <password>]', json); return; }
    }
    if (user === undefined) { printError(printer, 'usage: login -a <user> [-p <password>]', json); return; }
    const pwd = password ?? await hidden('Enter password: ');
    if (pwd === null) return;
    await login({ user, password: pwd });
  };

  const pdadmin = async (c: CommandLine): Promise<boolean> => {
    const first = c.words[0];
    if (isWord(first, 'exit') || isWord(first, 'quit')) return false;
    if (isWord(first, 'help')) for (const l of PDADMIN_HELP) printer.out(l);
    else if (isWord(first, 'history')) history.forEach((h, i) => printer.out(`${String(i + 1).padStart(4)}  ${h}`));
    else if (isWord(first, 'login')) await loginCommand(c);
    else if (isWord(first, 'logout')) {
      await state.client?.close();
      Object.assign(state, { client: undefined, principal: undefined, replicaSet: undefined });
    } else if (isWord(first, 'whoami')) {
      await withContext((ctx) => guarded(ctx, async () => {
        printWhoami(ctx, await ctx.client.whoami(), json);
        return EXIT.ok;
      }));
    } else if (isWord(first, 'server')) await withContext((ctx) => runServerCommand(ctx, c));
    else if (isWord(first, 'dscadmin')) {
      if (c.words.length === 1) state.mode = 'dscadmin';
      else await withContext((ctx) => runDscCommand(ctx, { words: c.words.slice(1), rest: (i) => c.rest(i + 1) }));
    } else printError(printer, `unknown command \`${first?.text ?? ''}\`; \`help\` lists the commands`, json);
    return true;
  };

  const dscadmin = async (c: CommandLine): Promise<void> => {
    const first = c.words[0];
    if (isWord(first, 'exit') || isWord(first, 'quit')) state.mode = 'pdadmin';
    else if (isWord(first, 'help')) for (const l of DSC_HELP) printer.out(l);
    else if (isWord(first, 'history')) history.forEach((h, i) => printer.out(`${String(i + 1).padStart(4)}  ${h}`));
    else await withContext((ctx) => runDscCommand(ctx, c));
  };

  try {
    await loginWithPlan(options.initial);
    for (;;) {
      rl.setPrompt(state.mode === 'dscadmin' ? 'dscadmin> ' : `pdadmin${state.principal ? ` ${state.principal}` : ''}> `);
      rl.prompt();
      const line = await lines.next();
      if (line === null) break;
      // From a pipe nothing echoes the command; echo it so a transcript reads like a session.
      if (!terminal) output.write(`${maskPassword(line.trim())}\n`);
      if (line.trim() === '') continue;
      history.push(maskPassword(line.trim()));
      const c = lineCommand(line);
      if ('error' in c) { printError(printer, c.error, json); continue; }
      try {
        if (state.mode === 'dscadmin') await dscadmin(c);
        else if (!await pdadmin(c)) break;
      } catch (err) {
        // A defect must not end the administrator's session; say what happened and carry on.
        printError(printer, `internal error: ${(err as Error)?.message ?? String(err)}`, json, 'internal');
      }
    }
  } finally {
    if (terminal) output.write('\n');
    rl.close();
    await state.client?.close();
  }
  return EXIT.ok;
}

/** `login ... -p <password>` with the password replaced, for every history. */
export function maskPassword(line: string): string {
  const c = lineCommand(line);
  if ('error' in c) return /^\s*login\b/i.test(line) ? `login ${MASK}` : line;
  if (!isWord(c.words[0], 'login')) return line;
  return c.words.map((w, i) => (i > 0 && isWord(c.words[i - 1], '-p') ? MASK : w.quoted ? `"${w.text.replace(/["\\]/g, '\\$&')}"` : w.text)).join(' ');
}

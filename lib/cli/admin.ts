// admin.ts -- `gatehouse admin`: pdadmin-style administration over the
// admin API. With a command it runs it once and exits (0 ok, 1 failed,
// 2 usage, 3 authentication/authorization); without one, on a terminal or
// with -i, it opens the pdadmin> shell (admin-shell.ts).
//
//   GATEHOUSE_ADMIN_PASSWORD=... gatehouse admin -a sec_master server task default-webseald-h1 terminate all_sessions bob
import { AdminClient, type AdminAuth } from '../admin/client.js';
import { InvalidArgumentError } from '../session/errors.js';
import { argvCommand, EXIT, guarded, runDscCommand, runServerCommand, type CommandContext } from './admin-commands.js';
import { printError, printWhoami, type Printer } from './admin-format.js';
import { ADMIN_USAGE, AdminUsageError, parseAdminArgs, type AdminCliOptions, type CredentialPlan } from './admin-options.js';
import { runShell } from './admin-shell.js';
import { askHidden, readFirstLine, type AdminIo } from './admin-tty.js';

export type { AdminIo } from './admin-tty.js';

/** Runs `gatehouse admin <argv...>`; resolves with the exit status. `env` defaults to process.env. */
export async function runAdminCommand(
  argv: readonly string[],
  io: AdminIo & { env?: Readonly<Record<string, string | undefined>> } = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const printer: Printer = { out: (l) => { io.stdout.write(`${l}\n`); }, err: (l) => { io.stderr.write(`${l}\n`); } };
  let options: AdminCliOptions;
  try {
    options = parseAdminArgs(argv, io.env ?? process.env);
  } catch (err) {
    if (!(err instanceof AdminUsageError)) throw err;
    printer.err(`gatehouse admin: ${err.message}`);
    printer.err('`gatehouse admin --help` shows the usage');
    return EXIT.usage;
  }
  for (const w of options.warnings) printer.err(w);
  if (options.help || options.command[0] === 'help') {
    io.stdout.write(ADMIN_USAGE);
    return EXIT.ok;
  }
  const connect = (auth: AdminAuth): AdminClient =>
    new AdminClient({ url: options.url, auth, ...(options.ca ? { ca: options.ca } : {}), timeoutMs: options.timeoutMs });

  if (options.command.length === 0) {
    if (options.interactive || io.stdin.isTTY === true) return runShell({ io, json: options.json, connect, initial: options.credentials });
    printError(printer, 'no command; give one (see --help), or -i to read shell commands from stdin', options.json);
    return EXIT.usage;
  }
  const [verb] = options.command;
  if (verb !== 'server' && verb !== 'dscadmin' && verb !== 'whoami') {
    printError(printer, `unknown command \`${verb ?? ''}\`; the commands are server, dscadmin, whoami (see --help)`, options.json);
    return EXIT.usage;
  }
  if (verb === 'dscadmin' && options.command.length === 1) {
    printError(printer, 'dscadmin needs a command here, e.g. `dscadmin replica set list`; for the dscadmin> prompt run the shell', options.json);
    return EXIT.usage;
  }

  const auth = await resolveAuth(options.credentials, io);
  if (typeof auth === 'string') {
    printError(printer, auth, options.json);
    return EXIT.usage;
  }
  let client: AdminClient;
  try {
    client = connect(auth);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    printError(printer, err.message, options.json, 'invalid_argument');
    return EXIT.usage;
  }
  const ctx: CommandContext = { ...printer, client, json: options.json };
  try {
    if (verb === 'server') return await runServerCommand(ctx, argvCommand(options.command));
    if (verb === 'dscadmin') return await runDscCommand(ctx, argvCommand(options.command.slice(1)));
    return await guarded(ctx, async () => {
      printWhoami(ctx, await client.whoami(), options.json);
      return EXIT.ok;
    });
  } finally {
    await client.close();
  }
}

/** The credentials for a one-shot command, reading a password if needed; a string is the reason there are none. */
async function resolveAuth(plan: CredentialPlan, io: AdminIo): Promise<AdminAuth | string> {
  switch (plan.kind) {
    case 'none':
      return 'no credentials: give -a <user> (password from --password-stdin or GATEHOUSE_ADMIN_PASSWORD), --token or GATEHOUSE_ADMIN_TOKEN, or --cert/--key';
    case 'token':
      return { token: plan.token };
    case 'certificate':
      return { certificate: { cert: plan.cert, key: plan.key } };
    case 'password': {
      if (plan.password !== undefined) return { user: plan.user, password: plan.password };
      if (plan.fromStdin) {
        const p = await readFirstLine(io.stdin);
        return p === '' ? '--password-stdin: the first line of stdin is empty' : { user: plan.user, password: p };
      }
      if (io.stdin.isTTY !== true)
        return `no password for ${plan.user}: use --password-stdin or GATEHOUSE_ADMIN_PASSWORD (or run on a terminal to be asked)`;
      // The prompt goes to stderr so that stdout carries only the reply (--json).
      const p = await askHidden({ stdin: io.stdin, output: io.stderr as AdminIo['stdout'] }, `Enter password for ${plan.user}: `);
      return p === null || p === '' ? 'no password given' : { user: plan.user, password: p };
    }
  }
}

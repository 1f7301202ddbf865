// admin-options.ts -- the options of `gatehouse admin`, from argv and the
// environment. Which credential to use is decided here; reading a password
// (stdin or a no-echo prompt) happens in admin.ts. A password reaches argv
// only through an explicit -p, and then with a warning.
import fs from 'node:fs';
import { parseArgs } from 'node:util';

export const DEFAULT_ADMIN_URL = 'https://127.0.0.1:7135';

export const ADMIN_USAGE = `usage: gatehouse admin [options] [command ...]

  gatehouse admin server list
  gatehouse admin server listtasks <server-name>
  gatehouse admin server task <server-name> <task ...>   e.g. terminate all_sessions bob
  gatehouse admin dscadmin <dscadmin command ...>        e.g. terminate session <user_session_id>
  gatehouse admin whoami
  gatehouse admin [-i]                                   interactive pdadmin> shell

options:
  --url <url>            admin API (env GATEHOUSE_ADMIN_URL; default ${DEFAULT_ADMIN_URL})
  -a, --admin <user>     administrator; password from --password-stdin,
                         GATEHOUSE_ADMIN_PASSWORD, or a prompt
  --password-stdin       read the password from the first line of stdin
  -p, --password <pwd>   password in argv (visible to other users; avoid)
  --token <token>        API token (env GATEHOUSE_ADMIN_TOKEN; prefer the env)
  --cert <file> --key <file>  TLS client certificate and key (PEM)
  --ca <file>            PEM certificate(s) to trust (env GATEHOUSE_ADMIN_CA),
                         e.g. the one the server wrote to its state dir
  --timeout <seconds>    per request (default 10)
  --json                 print replies as JSON
  -i, --interactive      the shell even when stdin is not a terminal
  --                     ends options (before task words that start with -)

exit status: 0 ok, 1 the command failed, 2 usage error, 3 authentication or
authorization failed.
`;

export type CredentialPlan =
  | { kind: 'none' }
  | { kind: 'password'; user: string; password: string | undefined; fromStdin: boolean }
  | { kind: 'token'; token: string }
  | { kind: 'certificate'; cert: Buffer; key: Buffer };

export interface AdminCliOptions {
  url: string;
  ca: Buffer | undefined;
  credentials: CredentialPlan;
  timeoutMs: number;
  json: boolean;
  interactive: boolean;
  help: boolean;
  command: string[];
  /** Printed to stderr before anything runs. */
  warnings: string[];
}

export class AdminUsageError extends Error {}

export function parseAdminArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): AdminCliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        admin: { type: 'string', short: 'a' },
        password: { type: 'string', short: 'p' },
        'password-stdin': { type: 'boolean', default: false },
        token: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        ca: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        interactive: { type: 'boolean', short: 'i', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new AdminUsageError((err as Error).message);
  }
  const v = parsed.values;
  const warnings: string[] = [];
  const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

  const explicit = [v.admin !== undefined, v.token !== undefined, v.cert !== undefined || v.key !== undefined].filter(Boolean).length;
  if (explicit > 1) throw new AdminUsageError('give one of -a <user>, --token, or --cert/--key');
  if (v.password !== undefined && v.admin === undefined) throw new AdminUsageError('-p needs -a <user>');
  if (v['password-stdin'] && v.admin === undefined) throw new AdminUsageError('--password-stdin needs -a <user>');
  if (v.password !== undefined && v['password-stdin']) throw new AdminUsageError('give -p or --password-stdin, not both');

  let credentials: CredentialPlan = { kind: 'none' };
  if (v.admin !== undefined) {
    if (v.password !== undefined)
      warnings.push('warning: a password given with -p is visible to other users of this host (ps, shell history); use --password-stdin or GATEHOUSE_ADMIN_PASSWORD');
    credentials = { kind: 'password', user: v.admin, password: v.password ?? (v['password-stdin'] ? undefined : nonEmpty(env.GATEHOUSE_ADMIN_PASSWORD)), fromStdin: v['password-stdin'] };
  } else if (v.token !== undefined) {
    warnings.push('warning: a token given with --token is visible to other users of this host; prefer GATEHOUSE_ADMIN_TOKEN');
    credentials = { kind: 'token', token: v.token };
  } else if (v.cert !== undefined || v.key !== undefined) {
    if (v.cert === undefined || v.key === undefined) throw new AdminUsageError('--cert and --key go together');
    credentials = { kind: 'certificate', cert: readFile(v.cert, '--cert'), key: readFile(v.key, '--key') };
  } else if (nonEmpty(env.GATEHOUSE_ADMIN_TOKEN) !== undefined) {
    credentials = { kind: 'token', token: env.GATEHOUSE_ADMIN_TOKEN! };
  }

  const caPath = v.ca ?? nonEmpty(env.GATEHOUSE_ADMIN_CA);
  let timeoutMs = 10_000;
  if (v.timeout !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(v.timeout) || Number(v.timeout) <= 0 || Number(v.timeout) > 3600)
      throw new AdminUsageError(`--timeout must be a number of seconds in (0, 3600], got ${v.timeout}`);
    timeoutMs = Math.max(1, Math.round(Number(v.timeout) * 1000));
  }
  return {
    url: v.url ?? nonEmpty(env.GATEHOUSE_ADMIN_URL) ?? DEFAULT_ADMIN_URL,
    ca: caPath === undefined ? undefined : readFile(caPath, v.ca !== undefined ? '--ca' : 'GATEHOUSE_ADMIN_CA'),
    credentials,
    timeoutMs,
    json: v.json,
    interactive: v.interactive,
    help: v.help,
    command: parsed.positionals,
    warnings,
  };
}

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    throw new AdminUsageError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

// token.ts -- `gatehouse token create|list|revoke`: API tokens for the admin
// API. `create` prints the token once (only its SHA-256 is stored); `list`
// never shows secrets; `revoke` keeps the record, marked revoked.
import { parseArgs } from 'node:util';
import { createToken, parseScopes, readTokens, revokeToken, type TokenRecord } from '../admin/authn-tokens.js';
import { SCOPES } from '../admin/acl.js';
import { GatehouseError } from '../session/errors.js';

export interface TokenCommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Where tokens live when --tokens is not given: the config's default (`<state-dir>/tokens.yaml`). */
export const DEFAULT_TOKENS_FILE = 'gatehouse-state/tokens.yaml';

export const TOKEN_USAGE = `usage: gatehouse token <command> [options]

commands:
  create <principal> [--scope ${SCOPES.join(',')}|*] [--description TEXT]
                      make a token acting as <principal>; prints it ONCE
  list [--json]       tokens with principal, scopes, created, revoked (never secrets)
  revoke <id>         revoke a token (its record stays, marked revoked)

options:
  --tokens FILE       the tokens file (default ${DEFAULT_TOKENS_FILE}; the admin server's admin.tokens)

A token only narrows its principal: it can do what the principal's ACL entries allow, within its scopes.
`;

/** Runs the command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runTokenCommand(argv: readonly string[], io: TokenCommandIo = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tokens: { type: 'string', default: DEFAULT_TOKENS_FILE },
        scope: { type: 'string' },
        description: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr.write(`gatehouse token: ${(err as Error).message}\n${TOKEN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg, extra] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr).write(TOKEN_USAGE);
    return values.help ? 0 : 2;
  }
  const usage = (message: string): number => {
    io.stderr.write(`gatehouse token: ${message}\n${TOKEN_USAGE}`);
    return 2;
  };
  if (extra !== undefined) return usage(`unexpected argument '${extra}'`);
  const file = values.tokens;
  try {
    switch (command) {
      case 'create': {
        if (arg === undefined) return usage('create needs a principal');
        const scopes = values.scope === undefined ? ['*' as const] : parseScopes(values.scope);
        const { token, record } = createToken(file, arg, scopes, values.description);
        io.stdout.write(`${token}\n`);
        io.stderr.write(`token ${record.id} for ${record.principal} (scopes ${record.scopes.join(',')}) saved in ${file}; the token is shown only now\n`);
        return 0;
      }
      case 'list': {
        if (arg !== undefined) return usage(`unexpected argument '${arg}'`);
        const records = readTokens(file);
        io.stdout.write(values.json ? `${JSON.stringify(records.map(publicView), null, 2)}\n` : formatList(records));
        return 0;
      }
      case 'revoke': {
        if (arg === undefined) return usage('revoke needs a token ID (see gatehouse token list)');
        const id = /^gh_([0-9a-f]{16})_/.exec(arg)?.[1] ?? arg;  // the whole token works too
        const record = revokeToken(file, id);
        if (record === undefined) {
          io.stderr.write(`gatehouse token: no token with ID '${id.slice(0, 64)}' in ${file}\n`);
          return 1;
        }
        io.stdout.write(`token ${record.id} (${record.principal}) revoked at ${record.revoked}\n`);
        return 0;
      }
      default:
        return usage(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof GatehouseError) {
      io.stderr.write(`gatehouse token: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** A record without its hash: nothing derived from the secret leaves the file. */
function publicView(r: TokenRecord): Omit<TokenRecord, 'hash'> {
  const { hash: _hash, ...rest } = r;
  return rest;
}

function formatList(records: readonly TokenRecord[]): string {
  if (records.length === 0) return 'no tokens\n';
  const rows = records.map((r) => [r.id, r.principal, r.scopes.join(','), r.created, r.revoked ?? '-', r.description ?? '']);
  const head = ['ID', 'PRINCIPAL', 'SCOPES', 'CREATED', 'REVOKED', 'DESCRIPTION'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  return line(head) + rows.map(line).join('');
}

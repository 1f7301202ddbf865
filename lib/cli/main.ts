#!/usr/bin/env node
// main.ts -- the `gatehouse` command: serve the proxy, run the demo, manage
// users, tokens and session tables, and administer a running server.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { SessionCache, GatehouseError } from '../index.js';
import { formatStats } from './format.js';
import { runTableDemo } from './table-demo.js';

const USAGE = `usage: gatehouse <command> [options]

       gatehouse --version | --help

commands:
  serve --config <file> [--workers N] [--check]
                                run the reverse proxy and the admin listener (docs/proxy.md);
                                --check validates the configuration and exits
  demo [--port N]               the proxy with a demo back-end and demo users (what npm start runs)
  user <create|modify|delete|list|show> ...   the file user registry (gatehouse user --help)
  token <create|list|revoke> ...              admin API tokens (gatehouse token --help)
  admin [command ...]           pdadmin-style admin shell / one-shot commands (gatehouse admin --help)
  table demo                    create a demo table, log demo users in, end their sessions, print stats
  table create <name> [--capacity N] [--credential-bytes N]
  table stats <name> [--json]   live sessions, users, ended sessions by reason
  table check <name>            walk the table and verify every invariant
  table reap <name>             turn expired sessions into tombstones
  table unlink <name>           remove the table's name (mappings stay valid)
`;

function fail(message: string): never {
  process.stderr.write(`gatehouse: ${message}\n`);
  process.exit(2);
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      capacity: { type: 'string', default: '4096' },
      'credential-bytes': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, name] = positionals;
  if (values.help) { process.stdout.write(USAGE); return; }
  if (command === 'table' && sub === 'demo') { runTableDemo(); return; }
  if (command !== 'table' || sub === undefined || name === undefined) fail(`incomplete table command\n${USAGE}`);
  const number = (s: string, what: string): number => {
    if (!/^\d+$/.test(s)) fail(`--${what} must be a whole number, got '${s}'`);
    return Number(s);
  };
  switch (sub) {
    case 'create': {
      const c = SessionCache.create(name, { capacity: number(values.capacity, 'capacity'), credentialBytes: number(values['credential-bytes'], 'credential-bytes') });
      process.stdout.write(formatStats(name, c.stats(), values.json));
      c.close();
      return;
    }
    case 'stats': {
      const c = SessionCache.open(name);
      process.stdout.write(formatStats(name, c.stats(), values.json));
      c.close();
      return;
    }
    case 'check': {
      const c = SessionCache.open(name);
      const problem = c.check();
      c.close();
      if (problem) fail(`table '${name}' is inconsistent: ${problem}`);
      process.stdout.write(`table '${name}' is consistent\n`);
      return;
    }
    case 'reap': {
      const c = SessionCache.open(name);
      process.stdout.write(`reclaimed ${c.reap()} sessions\n`);
      c.close();
      return;
    }
    case 'unlink':
      process.stdout.write(SessionCache.unlink(name) ? `removed '${name}'\n` : `no table named '${name}'\n`);
      return;
    default:
      fail(`unknown table command '${sub}'\n${USAGE}`);
  }
}

// Commands with their own argument parsing, and long-running ones; loaded on
// use so `gatehouse user list` does not load the proxy.
const ASYNC_COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: async (argv) => (await import('./serve.js')).runServe(argv),
  demo: async (argv) => (await import('./demo.js')).runDemoCommand(argv),
  user: async (argv) => (await import('./user.js')).runUserCommand(argv),
  token: async (argv) => (await import('./token.js')).runTokenCommand(argv),
  admin: async (argv) => (await import('./admin.js')).runAdminCommand(argv),
};

/** The version in the package.json next to dist/ (three levels up from dist/lib/cli/main.js). */
function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

// `gatehouse ... | head`: a reader that stops reading is not an error. The rest of the output
// is dropped and the command finishes normally (so a table it made is still removed).
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err; });

const argv = process.argv.slice(2);
const first = argv[0];
const run = first === undefined ? undefined : ASYNC_COMMANDS[first];
if (first === undefined) {
  process.stderr.write(USAGE);
  process.exitCode = 2;
} else if (first === '--version' || first === '-V') {
  process.stdout.write(`gatehouse ${version()}\n`);
} else if (first === '--help' || first === '-h' || first === 'help') {
  process.stdout.write(USAGE);
} else if (run !== undefined) {
  run(argv.slice(1)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`gatehouse: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
} else if (first !== 'table') {
  fail(`unknown command '${first}'\n${USAGE}`);
} else try {
  main(argv);
} catch (err) {
  if (err instanceof GatehouseError) fail(`${err.message} (${err.code})`);
  if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(err.message);
  throw err;
}

#!/usr/bin/env node
// main.ts -- the `gatehouse` command. The reverse proxy (`serve`) arrives
// with its issue; for now the command manages and inspects session tables.
import { parseArgs } from 'node:util';
import { SessionCache, GatehouseError } from '../index.js';
import { formatStats } from './format.js';
import { runDemo } from './demo.js';

const USAGE = `usage: gatehouse <command> [options]

commands:
  demo                          create a demo table, log demo users in, end their sessions, print stats
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
  if (values.help || command === undefined) { process.stdout.write(USAGE); return; }
  if (command === 'demo') { runDemo(); return; }
  if (command !== 'table' || sub === undefined || name === undefined) fail(`unknown command\n${USAGE}`);
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

try {
  main(process.argv.slice(2));
} catch (err) {
  if (err instanceof GatehouseError) fail(`${err.message} (${err.code})`);
  if (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(err.message);
  throw err;
}

// demo.ts -- `gatehouse demo [--port N]`: argument parsing for the demo
// (lib/server/demo.ts runs it). Unknown options are refused, not ignored.
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { runDemo } from '../server/demo.js';

export const DEMO_USAGE = `usage: gatehouse demo [--port N] [--admin-port N]

  --port N         the proxy's HTTP port on 127.0.0.1 (default 8080, or GATEHOUSE_PORT; 0 = any free port)
  --admin-port N   the admin API's port (default 7135, or GATEHOUSE_ADMIN_PORT; 0 = any free port)
`;

function portOf(value: string | undefined, fallback: string | undefined, dflt: number): number | undefined {
  const s = value ?? fallback;
  if (s === undefined) return dflt;
  return /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined;
}

export async function runDemoCommand(argv: string[], io: { stdout: Writable; stderr: Writable } = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: { port?: string; 'admin-port'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string', short: 'p' }, 'admin-port': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    io.stderr.write(`gatehouse demo: ${(err as Error).message}\n${DEMO_USAGE}`);
    return 2;
  }
  if (values.help) { io.stdout.write(DEMO_USAGE); return 0; }
  const port = portOf(values.port, process.env['GATEHOUSE_PORT'], 8080);
  const adminPort = portOf(values['admin-port'], process.env['GATEHOUSE_ADMIN_PORT'], 7135);
  if (port === undefined || adminPort === undefined) {
    io.stderr.write(`gatehouse demo: ${port === undefined ? '--port' : '--admin-port'} must be a port number 0..65535\n${DEMO_USAGE}`);
    return 2;
  }
  return runDemo(io, { port, adminPort });
}

// listen-conflict.test.ts -- a port already taken (by a socket this test
// holds) makes `gatehouse serve` exit 1 with one line naming the listener,
// in one process and with cluster workers (where a failed worker used to
// crash the primary with an unhandled EPIPE), and leaves no table behind.
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { SessionCache } from '../lib/index.js';
import { CLI, makeRegistry } from './helpers/gatehouse.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-listen-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function hold(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

interface Run { code: number | null; stdout: string; stderr: string }

function serve(config: object, workers: number): Promise<Run> {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, YAML.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', file, '--workers', String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test.before(async () => { await makeRegistry(path.join(dir, 'users.yaml'), []); });

let n = 0;
const CASES = [
  { listener: 'proxy http', workers: 0 },
  { listener: 'proxy http', workers: 2 },
  { listener: 'admin', workers: 0 },
  { listener: 'admin', workers: 2 },
];

for (const c of CASES) {
  test.serial(`the ${c.listener} port already in use: exit 1 naming the listener (--workers ${c.workers})`, async (t) => {
    const held = await hold();
    const port = (held.address() as net.AddressInfo).port;
    const table = `gh-listen-${process.pid}-${n++}`;
    try {
      // Three times: the EPIPE crash with workers came and went with timing.
      for (let i = 0; i < 3; i++) {
        const r = await serve({
          server: { 'state-dir': path.join(dir, 'state'), 'table-name': table, 'server-name': 'listen-default' },
          listen: { http: { host: '127.0.0.1', port: c.listener === 'admin' ? 0 : port } },
          admin: c.listener === 'admin' ? { host: '127.0.0.1', port, tls: 'no' } : { enabled: 'no' },
          registry: { file: 'users.yaml' },
          junctions: { '/app': { servers: ['http://127.0.0.1:9'] } },
        }, c.workers);
        t.is(r.code, 1, r.stderr);
        t.is(r.stderr, `gatehouse serve: ${c.listener} listener 127.0.0.1:${port}: address already in use\n`);
        t.notRegex(r.stdout, /gatehouse ready/);
        t.false(SessionCache.unlink(table), 'the shared-memory table was left behind');
      }
    } finally {
      held.close();
    }
  });
}

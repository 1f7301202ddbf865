// cli.test.ts -- the `gatehouse` command's conventions: --version, usage on
// stderr with exit 2 for no arguments or an unknown command, `demo --port`,
// unknown options refused, and a closed output pipe is not a crash.
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { CLI } from './helpers/gatehouse.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run { code: number | null; stdout: string; stderr: string }

function gatehouse(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);   // a loaded CI machine starts node slowly
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('gatehouse --version prints the package version', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const r = await gatehouse(['--version']);
  t.deepEqual(r, { code: 0, stdout: `gatehouse ${pkg.version}\n`, stderr: '' });
});

test('gatehouse --help prints the usage on stdout and exits 0', async (t) => {
  const r = await gatehouse(['--help']);
  t.is(r.code, 0);
  t.regex(r.stdout, /^usage: gatehouse <command>/);
  t.is(r.stderr, '');
});

const USAGE_ERRORS: Array<{ args: string[]; message: RegExp }> = [
  { args: [], message: /^usage: gatehouse <command>/ },
  { args: ['frobnicate'], message: /^gatehouse: unknown command 'frobnicate'\nusage: gatehouse/ },
  { args: ['--frobnicate'], message: /^gatehouse: unknown command '--frobnicate'/ },
  { args: ['table'], message: /^gatehouse: incomplete table command/ },
  { args: ['demo', '--frobnicate'], message: /^gatehouse demo: Unknown option '--frobnicate'.*\nusage: gatehouse demo/s },
  { args: ['demo', 'extra'], message: /^gatehouse demo: Unexpected argument 'extra'/ },
  { args: ['demo', '--port', 'http'], message: /^gatehouse demo: --port must be a port number 0\.\.65535/ },
  { args: ['demo', '--port', '70000'], message: /^gatehouse demo: --port must be a port number/ },
  { args: ['serve', '--frobnicate'], message: /^gatehouse serve: Unknown option '--frobnicate'/ },
];

const NEVER_MADE = path.join(os.tmpdir(), `gh-cli-never-made-${process.pid}`);
test.after.always(() => fs.rmSync(NEVER_MADE, { recursive: true, force: true }));

for (const c of USAGE_ERRORS) {
  test(`gatehouse ${c.args.join(' ') || '(no arguments)'}: usage error on stderr, exit 2, nothing started`, async (t) => {
    const r = await gatehouse(c.args, { GATEHOUSE_DEMO_DIR: NEVER_MADE });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, c.message);
    t.is(r.stdout, '');
    t.false(fs.existsSync(NEVER_MADE), 'the demo made its files before refusing');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
  });
}

test('gatehouse demo --port N serves the demo on that port', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-cli-demo-'));
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'demo', '--port', String(port), '--admin-port', '0'], {
    env: { ...process.env, GATEHOUSE_DEMO_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 90 s:\n${out}`)), 90_000);
      child.stdout.on('data', () => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited ${code}:\n${out}`)); });
    });
    t.true(out.includes(`running: http://127.0.0.1:${port}/app/`), out);
    const r = await request(`http://127.0.0.1:${port}/app/`);
    t.regex(await r.body.text(), /pkmslogin\.form/);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gatehouse table demo with its output pipe closed: no stack trace, and the demo table is still removed', async (t) => {
  // The reader goes away before node has even started (as `gatehouse ... | head -0`): every write meets EPIPE.
  const child = spawn(process.execPath, [CLI, 'table', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  t.is(stderr, '');
  t.is(code, 0);
  t.false(fs.existsSync(`/dev/shm/gatehouse-demo-${child.pid}`), 'the demo table was left in /dev/shm');
});

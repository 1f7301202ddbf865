// The published package: `npm pack` (with its prepack build) from a copy of
// the sources, then what a consumer sees -- the tarball's contents, source
// maps that resolve, an install into a fresh project with no C/C++ compiler
// on PATH, the client entry without the addon, and the declarations compiled
// by a consumer under node16 and commonjs + esModuleInterop.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pack-'));
const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const COMPILERS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'make'];

let tarball = '';
let files: string[] = [];
const extracted = path.join(tmp, 'extracted');
const project = path.join(tmp, 'consumer');

/** A bin dir with node, npm and a shell and nothing that compiles. */
function compilerFreeBin(): string {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
  for (const tool of ['sh', 'env', 'ls', 'cat', 'rm', 'mkdir', 'uname'])
    for (const dir of ['/bin', '/usr/bin']) if (fs.existsSync(path.join(dir, tool)) && !fs.existsSync(path.join(bin, tool))) fs.symlinkSync(path.join(dir, tool), path.join(bin, tool));
  return bin;
}

test.before(async () => {
  // Pack from a copy, so the prepack build does not rewrite this checkout's dist/ and build/ under other tests.
  const src = path.join(tmp, 'src');
  const { stdout } = await exec('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, maxBuffer: 64 << 20 });
  for (const rel of stdout.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(root, f)))) {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.copyFileSync(path.join(root, rel), path.join(src, rel));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
  const packed = await exec(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', tmp], { cwd: src, timeout: 8 * 60_000, maxBuffer: 64 << 20 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(tmp, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);
  fs.mkdirSync(extracted);
  await exec('tar', ['-xzf', tarball, '-C', extracted]);
});

test.after.always(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the linux-x64 prebuild, LICENSE, the built library and its sources, and no tests or benchmarks', (t) => {
  for (const f of ['prebuilds/linux-x64/gatehouse.node', 'LICENSE', 'README.md', 'dist/lib/index.js', 'dist/lib/index.d.ts',
    'dist/lib/client.js', 'dist/lib/client.d.ts', 'dist/lib/index.js.map', 'dist/lib/index.d.ts.map', 'lib/index.ts', 'binding.gyp'])
    t.true(files.includes(f), `${f} is packed`);
  t.deepEqual(files.filter((f) => /^(test|bench|dist\/test|dist\/bench|native\/test|native\/bench|build|docs\/api)\//.test(f)), []);
});

test('every source map in the tarball resolves to files in the tarball', (t) => {
  const maps = files.filter((f) => /^dist\/.*\.map$/.test(f));
  t.true(maps.length > 50);
  const missing: string[] = [];
  for (const rel of maps) {
    const map = JSON.parse(fs.readFileSync(path.join(extracted, 'package', rel), 'utf8')) as { sources: string[]; sourceRoot?: string };
    t.true(map.sources.length > 0, rel);
    for (const s of map.sources) {
      const target = path.resolve(path.dirname(path.join(extracted, 'package', rel)), map.sourceRoot ?? '', s);
      if (!fs.existsSync(target)) missing.push(`${rel} -> ${s}`);
    }
  }
  t.deepEqual(missing, []);
});

test.serial('installs into a fresh project with no compiler on PATH and runs', async (t) => {
  t.timeout(5 * 60_000);
  const bin = compilerFreeBin();
  // Drop what an enclosing `npm test` exported (lifecycle and package settings), keep the shared cache.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(lifecycle|package|config_(?!cache))/i.test(k)));
  env.PATH = bin;
  for (const cc of COMPILERS)
    await t.throwsAsync(exec('sh', ['-c', `command -v ${cc}`], { env }), undefined, `${cc} is not on the test PATH`);
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  const install = (mode: string) => exec(path.join(bin, 'npm'), ['install', tarball, mode, '--no-audit', '--no-fund'], { cwd: project, env, timeout: 4 * 60_000 });
  await install('--offline').catch(() => install('--prefer-offline'));
  t.false(fs.existsSync(path.join(project, 'node_modules', 'gatehouse', 'build')), 'nothing was compiled');

  fs.writeFileSync(path.join(project, 'use.mjs'), `
import { SessionCache } from 'gatehouse';
import { AdminClient, tasks } from 'gatehouse/client';
const name = 'gh-pack-' + process.pid;
const cache = SessionCache.create(name, { capacity: 64 });
try {
  const s = cache.create({ loginId: 'Mary Jones', authMethod: 'forms' });
  const v = cache.validate(s.sessionId);
  console.log(JSON.stringify({ valid: v.valid, login: v.valid ? v.session.loginId : null, client: typeof AdminClient, task: tasks.signOutEveryone().text }));
} finally { cache.close(); SessionCache.unlink(name); }
`);
  const { stdout } = await exec(path.join(bin, 'node'), ['use.mjs'], { cwd: project, env, timeout: 60_000 });
  t.deepEqual(JSON.parse(stdout), { valid: true, login: 'Mary Jones', client: 'function', task: 'signout all_sessions' });
});

test.serial('gatehouse/client loads from the installed package with no addon at all', async (t) => {
  const pkg = path.join(project, 'node_modules', 'gatehouse');
  t.true(fs.existsSync(pkg), 'installed by the previous test');
  fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
  fs.rmSync(path.join(pkg, 'build'), { recursive: true, force: true });
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e',
    "const c = await import('gatehouse/client'); console.log(c.tasks.listSessions('bob').text)"], { cwd: project, timeout: 60_000 });
  t.is(stdout.trim(), 'list sessions bob');
  await t.throwsAsync(exec(process.execPath, ['--input-type=module', '-e', "await import('gatehouse')"], { cwd: project, timeout: 60_000 }));
});

const consumerSource = `
import { SessionCache, TaskEngine, AdminApiError, type MessageId, type WhoAmI, type Config } from 'gatehouse';
import { AdminClient, tasks, type AdminApiErrorCode, type TaskMessage } from 'gatehouse/client';

const id: MessageId = 'GHWAT0003W';
// @ts-expect-error -- message IDs are a literal union, not string
const bad: MessageId = 'GHWAT9999X';
const code: AdminApiErrorCode = 'locked_out';
export function describe(m: TaskMessage, w: WhoAmI, e: AdminApiError, c: Config | undefined): string {
  const method: 'password' | 'token' | 'certificate' = w.method;
  return [id, bad, code, m.id, method, e.apiCode, String(c === undefined), typeof SessionCache, typeof TaskEngine, typeof AdminClient, tasks.help().text].join();
}
`;

for (const [label, options] of [
  ['module node16', { module: 'node16', moduleResolution: 'node16' }],
  ['commonjs + esModuleInterop', { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }],
] as const) {
  test(`the declarations compile for a consumer with ${label} and skipLibCheck false`, async (t) => {
    t.timeout(3 * 60_000);
    const dir = path.join(project, label.replace(/\W+/g, '-'));
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index.ts'), consumerSource);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        ...options, target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true,
        types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['index.ts'],
    }));
    const result = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 3 * 60_000 }).catch((err: { stdout?: string }) => err);
    t.is((result as { stdout?: string }).stdout?.trim() ?? '', '', 'tsc reports no errors');
    t.false(result instanceof Error);
  });
}

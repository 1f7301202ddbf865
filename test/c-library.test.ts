// c-library.test.ts -- the C libraries as a user gets them: `npm run build:c`
// (cmake-js over native/CMakeLists.txt) into a temporary folder, `cmake
// --install` into a temporary prefix, then programs built only with what
// the prefix's pkg-config files say: examples/c/terminate_user.c run against
// the stand-in admin server (helpers/fake-admin.ts), and the header
// compile test (native/test/header_compat.c) as C with -Werror and as C++.
// Also: the install hook's C step never fails an install.
import test from 'ava';
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAdmin } from './helpers/fake-admin.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'gh-c-library-'));
const buildDir = join(work, 'build');
const prefix = join(work, 'prefix');
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous: the stand-in server lives in this process.
function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = root): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { env, cwd, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout: String(stdout), stderr: String(stderr) + (err && typeof err.code !== 'number' ? `\n${err.message}` : '') });
    });
  });
}

const pcEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') });

async function pkgConfig(...args: string[]): Promise<string[]> {
  const r = await run('pkg-config', args, pcEnv());
  if (r.code !== 0) throw new Error(`pkg-config ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).filter((a) => a !== '');
}

let installed: Promise<void> | undefined;

// One build and one install for all tests; a missing tool fails with what to install.
function install(): Promise<void> {
  installed ??= (async () => {
    for (const [tool, hint] of [['cmake', 'cmake'], ['cc', 'build-essential'], ['pkg-config', 'pkg-config'], ['readelf', 'binutils']] as const) {
      const r = await run(tool, ['--version']);
      if (r.code !== 0) throw new Error(`${tool} is needed to build and test the C libraries (Debian: apt-get install ${hint}): ${r.stderr.trim()}`);
    }
    const build = await run('npm', ['run', '--silent', 'build:c', '--', '--out', buildDir]);
    if (build.code !== 0) throw new Error(`npm run build:c failed:\n${build.stdout}\n${build.stderr}`);
    if (/libgatehouse-ivadmin\.so was left out/.test(build.stdout)) {
      throw new Error('libcurl development files are missing, so gatehouse-ivadmin is not built (Debian: apt-get install libcurl4-openssl-dev)');
    }
    const inst = await run('cmake', ['--install', buildDir, '--prefix', prefix]);
    if (inst.code !== 0) throw new Error(`cmake --install failed:\n${inst.stdout}\n${inst.stderr}`);
  })();
  return installed;
}

test.after.always(() => {
  rmSync(work, { recursive: true, force: true });
});

test.serial('npm run build:c and cmake --install give versioned libraries, headers under include/gatehouse and pkg-config files', async (t) => {
  t.timeout(600_000);
  await install();
  const major = pkgVersion.split('.')[0];
  for (const lib of ['libgatehouse', 'libgatehouse-ivadmin']) {
    const real = join(prefix, 'lib', `${lib}.so.${pkgVersion}`);
    t.true(existsSync(real), `${real} is installed`);
    t.is(readlinkSync(join(prefix, 'lib', `${lib}.so.${major}`)), `${lib}.so.${pkgVersion}`);
    t.is(readlinkSync(join(prefix, 'lib', `${lib}.so`)), `${lib}.so.${major}`);
    const elf = await run('readelf', ['-d', real]);
    t.is(elf.code, 0, elf.stderr);
    t.regex(elf.stdout, new RegExp(`\\(SONAME\\)\\s+Library soname: \\[${lib}\\.so\\.${major}\\]`));
  }
  for (const h of ['gatehouse.h', 'ivadminapi.h', 'ogauthzn.h']) {
    t.is(readFileSync(join(prefix, 'include', 'gatehouse', h), 'utf8'), readFileSync(join(root, 'native', 'include', h), 'utf8'));
  }
  for (const pc of ['gatehouse', 'gatehouse-ivadmin']) {
    t.deepEqual(await pkgConfig('--modversion', pc), [pkgVersion]);
    const flags = await pkgConfig('--cflags', '--libs', pc);
    t.deepEqual(flags.map((f) => (f.startsWith('-I') || f.startsWith('-L') ? `${f.slice(0, 2)}${resolve(f.slice(2))}` : f)),
      [`-I${join(prefix, 'include', 'gatehouse')}`, `-L${join(prefix, 'lib')}`, `-l${pc}`]);
  }
});

test.serial('terminate_user.c built with only pkg-config flags against the installed prefix ends the sessions', async (t) => {
  t.timeout(600_000);
  await install();
  const exe = join(work, 'terminate_user');
  const libdir = (await pkgConfig('--variable=libdir', 'gatehouse-ivadmin'))[0]!;
  const cc = await run('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-o', exe, join(root, 'examples/c/terminate_user.c'),
    ...(await pkgConfig('--cflags', '--libs', 'gatehouse-ivadmin')), `-Wl,-rpath,${libdir}`]);
  t.is(cc.code, 0, cc.stderr);
  const elf = await run('readelf', ['-d', exe]);
  t.regex(elf.stdout, /\(NEEDED\)\s+Shared library: \[libgatehouse-ivadmin\.so\.\d+\]/, 'the program records the versioned SONAME');

  const admin = { id: 'sec_master', password: randomBytes(9).toString('base64') };
  const ids = [randomBytes(16).toString('base64url').slice(0, 22), randomBytes(16).toString('base64url').slice(0, 22)];
  const fake = await startFakeAdmin({ users: [{ ...admin, mayAdminister: true }], sessions: { mary: [...ids] } });
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) env[k] = v;
    const r = await run(exe, [fake.serverName, 'mary'], { ...env, GATEHOUSE_ADMIN_URL: fake.url, GATEHOUSE_ADMIN_CA: fake.caFile, GATEHOUSE_ADMIN_PASSWORD: admin.password });
    t.is(r.code, 0, r.stdout + r.stderr);
    t.is(r.stdout, `info: ${ids.length} session(s) of user mary terminated. (0x47540002)\n`);
    t.deepEqual(fake.sessions['mary'], []);
  } finally {
    await fake.close();
  }
});

// header_compat.c passes const char *, char * and literals to every
// function and includes <ogauthzn.h> with <ivadminapi.h> as IBM programs do.
test.serial('the installed headers are const-correct C (-Werror) and C++, and provide ogauthzn.h', async (t) => {
  t.timeout(600_000);
  await install();
  const cflags = await pkgConfig('--cflags', 'gatehouse-ivadmin', 'gatehouse');
  const strict = ['-Wall', '-Wextra', '-Wpedantic', '-Werror'];
  for (const [compiler, args] of [
    ['cc', ['-std=c99', '-c', '-o', join(work, 'header_compat_c99.o'), join(root, 'native/test/header_compat.c')]],
    ['cc', ['-std=c11', '-c', '-o', join(work, 'header_compat_c11.o'), join(root, 'native/test/header_compat.c')]],
    ['c++', ['-std=c++11', '-fsyntax-only', join(root, 'native/test/header_compat.cpp')]],
    ['c++', ['-std=c++17', '-fsyntax-only', join(root, 'native/test/header_compat.cpp')]],
  ] as const) {
    const r = await run(compiler, [...strict, ...cflags, ...args]);
    t.is(r.code, 0, `${compiler} ${args[0]}:\n${r.stderr}`);
  }
});

test.serial('the install hook\'s C step never fails an install: without cmake it prints a note and exits 0', async (t) => {
  // A PATH holding only node: no cmake, no compiler.
  const bin = mkdtempSync(join(work, 'bin-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = await run(process.execPath, [join(root, 'scripts/install-c.mjs')], { ...process.env, PATH: bin, GATEHOUSE_SKIP_C_BUILD: '' });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /C libraries \(libgatehouse\.so, libgatehouse-ivadmin\.so\) not built: cmake is not installed/);
  t.regex(r.stdout, /npm run build:c/);

  const skip = await run(process.execPath, [join(root, 'scripts/install-c.mjs')], { ...process.env, GATEHOUSE_SKIP_C_BUILD: '1' });
  t.is(skip.code, 0, skip.stderr);
  t.regex(skip.stdout, /not built: GATEHOUSE_SKIP_C_BUILD=1/);
});

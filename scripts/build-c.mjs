#!/usr/bin/env node
// build-c.mjs -- `npm run build:c`: builds the C libraries (libgatehouse.so,
// libgatehouse-ivadmin.so) from native/CMakeLists.txt with cmake-js into
// native/build/lib/ (or --out DIR), ready for `cmake --install`.
//
//   node scripts/build-c.mjs [--out DIR] [--config Release|RelWithDebInfo|Debug]
//
// cmake-js only drives CMake: the build is native/CMakeLists.txt's
// `gatehouse-libs` target, the same one plain cmake builds. cmake-js is a
// devDependency, so where it is not installed (gatehouse installed as a
// dependency) the same configure and build run through cmake directly.
// Node's headers are not needed; cmake-js is pointed at this Node's own so
// that it never downloads them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(ROOT, 'native', 'build', 'lib');
const TARGET = 'gatehouse-libs';

function cmakeJsBin() {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('cmake-js/bin/cmake-js');
  } catch {
    return undefined;
  }
}

// The Node installation prefix when it ships its headers (official builds,
// Debian's nodejs, nvm): cmake-js otherwise fetches them from the network.
function localNodeDir() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

// The CMake generator a build folder was configured with, if any.
function generatorOf(out) {
  const cache = join(out, 'CMakeCache.txt');
  if (!existsSync(cache)) return undefined;
  return /^CMAKE_GENERATOR:INTERNAL=(.*)$/m.exec(readFileSync(cache, 'utf8'))?.[1];
}

function run(cmd, args, env, quiet) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  if (r.error) return { ok: false, output: `${cmd}: ${r.error.message}` };
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * Builds the libraries; returns { ok, out, libraries, output } without
 * throwing (`output` is the tools' text when `quiet`).
 */
export function buildC({ out = DEFAULT_OUT, config = 'Release', quiet = false } = {}) {
  out = resolve(out);
  // Makefiles for either driver, so that both can share one build folder.
  const cmakeArgs = [`-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=${out}`];
  const bin = cmakeJsBin();
  const nodedir = process.env.npm_config_nodedir || localNodeDir();
  let r;
  if (bin && nodedir) {
    const env = { ...process.env, npm_config_nodedir: nodedir };
    const common = ['--directory', join(ROOT, 'native'), '--out', out, '--config', config, '--prefer-make'];
    // Configure every time (cheap, and `build` alone keeps a stale cache's
    // settings); a folder configured for another generator starts afresh.
    const configure = generatorOf(out) && generatorOf(out) !== 'Unix Makefiles' ? 'reconfigure' : 'configure';
    r = run(process.execPath, [bin, configure, ...common, ...cmakeArgs.map((a) => `--CD${a.slice(2)}`)], env, quiet);
    if (r.ok) {
      const b = run(process.execPath, [bin, 'build', ...common, '--target', TARGET, '--parallel', '2'], env, quiet);
      r = { ok: b.ok, output: r.output + b.output };
    }
  } else {
    if (!quiet) console.log(`build-c: ${bin ? 'no Node headers here for cmake-js' : 'cmake-js is not installed'}; running cmake directly`);
    if (generatorOf(out) && generatorOf(out) !== 'Unix Makefiles') {
      for (const f of ['CMakeCache.txt', 'CMakeFiles']) rmSync(join(out, f), { recursive: true, force: true });
    }
    r = run('cmake', ['-S', join(ROOT, 'native'), '-B', out, '-G', 'Unix Makefiles', `-DCMAKE_BUILD_TYPE=${config}`, ...cmakeArgs], process.env, quiet);
    if (r.ok) {
      const b = run('cmake', ['--build', out, '--target', TARGET, '--parallel', '2'], process.env, quiet);
      r = { ok: b.ok, output: r.output + b.output };
    }
  }
  const libraries = ['libgatehouse.so', 'libgatehouse-ivadmin.so'].map((l) => join(out, l)).filter((l) => existsSync(l));
  if (r.ok && libraries.length === 0) return { ok: false, out, libraries, output: `${r.output}\nno libgatehouse.so in ${out}` };
  return { ok: r.ok, out, libraries, output: r.output };
}

function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if ((flag === '--out' || flag === '--config') && value) {
      opts[flag.slice(2)] = value;
      i++;
    } else {
      console.error('usage: node scripts/build-c.mjs [--out DIR] [--config Release|RelWithDebInfo|Debug]');
      return 2;
    }
  }
  const r = buildC(opts);
  if (!r.ok) {
    console.error('build-c: the C library build failed (needs cmake, a C/C++ compiler and, for libgatehouse-ivadmin, libcurl headers: Debian `apt-get install cmake build-essential libcurl4-openssl-dev`)');
    return 1;
  }
  for (const l of r.libraries) console.log(`build-c: built ${l}`);
  if (!r.libraries.some((l) => l.endsWith('libgatehouse-ivadmin.so'))) {
    console.log('build-c: libgatehouse-ivadmin.so was left out: libcurl headers are missing (Debian: apt-get install libcurl4-openssl-dev)');
  }
  console.log(`build-c: install with: cmake --install ${r.out} --prefix /usr/local`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}

// chromium.ts -- finds the system Chromium (Debian's `chromium` package, put
// there by scripts/install-test-deps.sh) and launches it through
// playwright-core, which ships no browser of its own. A missing browser is an
// error, never a skip: CI installs it, so its absence is a broken setup.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Names looked up on PATH, in order, when CHROMIUM_PATH is not set. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser'] as const;

/** Thrown when no Chromium executable can be found; the message says how to get one. */
export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on `searchPath` (a PATH-style list), or undefined. */
export function findOnPath(name: string, searchPath = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * The Chromium executable: $CHROMIUM_PATH when set (it must then exist and be
 * executable: a wrong explicit path is not silently replaced), else
 * `chromium`, then `chromium-browser` on PATH.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['CHROMIUM_PATH'];
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    throw new ChromiumNotFoundError(`CHROMIUM_PATH=${explicit} is not an executable file`);
  }
  for (const name of CHROMIUM_NAMES) {
    const found = findOnPath(name, env['PATH'] ?? '');
    if (found !== undefined) return found;
  }
  throw new ChromiumNotFoundError(
    `no Chromium found: looked for ${CHROMIUM_NAMES.join(', ')} on PATH and CHROMIUM_PATH is not set. ` +
    'Install it with `bash scripts/install-test-deps.sh` (Debian: apt-get install -y chromium) ' +
    'or set CHROMIUM_PATH to a Chromium executable.');
}

/** Launches a headless Chromium; close the returned Browser when done. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  return chromium.launch({
    executablePath,
    headless: true,
    // Tests and CI run as root, and Chromium refuses to start its sandbox as
    // root; the pages loaded are our own, served on 127.0.0.1.
    args: ['--no-sandbox'],
  });
}

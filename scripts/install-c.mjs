#!/usr/bin/env node
// install-c.mjs -- the second half of npm's install hook (`node-gyp-build &&
// node scripts/install-c.mjs`): after the Node addon, the C libraries
// (scripts/build-c.mjs) when cmake and a C compiler are present. They are
// optional: a missing tool or a failed build prints a note and never fails
// the install. GATEHOUSE_SKIP_C_BUILD=1 leaves them out.
import { spawnSync } from 'node:child_process';
import { buildC } from './build-c.mjs';

const has = (cmd) => {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
};
const note = (text) => console.log(`gatehouse: ${text}`);
const skipped = 'C libraries (libgatehouse.so, libgatehouse-ivadmin.so) not built';
const cc = process.env.CC || 'cc';

if (process.env.GATEHOUSE_SKIP_C_BUILD === '1') {
  note(`${skipped}: GATEHOUSE_SKIP_C_BUILD=1`);
} else if (!has('cmake') || !has(cc)) {
  note(`${skipped}: ${has('cmake') ? `no C compiler (${cc})` : 'cmake is not installed'}; the Node package works ` +
    'without them. To build them: apt-get install cmake build-essential libcurl4-openssl-dev, then npm run build:c');
} else {
  const r = buildC({ quiet: true });
  if (!r.ok) {
    const tail = r.output.trim().split('\n').slice(-15).join('\n');
    note(`${skipped}: the build failed (the Node package works without them); npm run build:c shows why:\n${tail}`);
  } else {
    const names = r.libraries.map((l) => l.slice(r.out.length + 1)).join(', ');
    note(`C libraries built in ${r.out}: ${names}; install them with: cmake --install ${r.out} --prefix /usr/local`);
    if (!r.libraries.some((l) => l.endsWith('libgatehouse-ivadmin.so'))) {
      note('libgatehouse-ivadmin.so left out: libcurl headers are missing (Debian: apt-get install libcurl4-openssl-dev)');
    }
  }
}

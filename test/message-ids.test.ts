// The literal unions of message IDs and API error codes are copies of
// catalogues kept elsewhere (native/src/task/messages.cpp, docs/tasks.md,
// lib/admin/messages.ts, docs/admin.md). These tests fail when a copy drifts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  ADMIN_API_ERROR_CODES, ADMIN_MESSAGES, ADMIN_PLANE_MESSAGE_IDS, TASK_MESSAGE_IDS, TASK_PARSE_ERROR_IDS,
} from '../lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

test('TASK_MESSAGE_IDS is exactly the native catalogue in messages.cpp', (t) => {
  const cpp = read('native/src/task/messages.cpp');
  const ids = [...cpp.matchAll(/GH_MSG\(\s*\w+,\s*(\d{4}),\s*([IWE]),/g)].map((m) => `GHWAT${m[1]}${m[2]}`);
  t.true(ids.length > 20, 'the catalogue was found');
  t.deepEqual(sorted(TASK_MESSAGE_IDS), sorted(ids));
  t.deepEqual(sorted(TASK_PARSE_ERROR_IDS), sorted(ids.filter((id) => id.startsWith('GHWAT01'))));
});

test('TASK_MESSAGE_IDS is exactly the catalogue table in docs/tasks.md', (t) => {
  const ids = [...read('docs/tasks.md').matchAll(/^\| `(GHWAT\d{4}[IWE])` \| `0x/gm)].map((m) => m[1]!);
  t.deepEqual(sorted(TASK_MESSAGE_IDS), sorted(ids));
});

test('ADMIN_PLANE_MESSAGE_IDS is exactly the admin plane catalogue', (t) => {
  t.deepEqual(sorted(ADMIN_PLANE_MESSAGE_IDS), sorted(ADMIN_MESSAGES.map((m) => m.id)));
});

test('ADMIN_API_ERROR_CODES is exactly the error table in docs/admin.md', (t) => {
  const doc = read('docs/admin.md');
  const table = doc.slice(doc.indexOf('**Errors** are'), doc.indexOf('Examples (`--cacert`'));
  const codes = [...table.matchAll(/^\| \d{3} \| (.+?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z_]+)`/g)].map((c) => c[1]!));
  t.true(codes.length > 10, 'the table was found');
  t.deepEqual(sorted(ADMIN_API_ERROR_CODES), sorted(codes));
});

test('every error code the admin server throws is in ADMIN_API_ERROR_CODES', (t) => {
  // The compiler checks the HttpError literals; this catches codes built at run time.
  const dir = path.join(root, 'lib', 'admin');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/HttpError\([^,]+,\s*([^,]+),/g)) {
      for (const lit of m[1]!.matchAll(/'([a-z_]+)'/g)) t.true((ADMIN_API_ERROR_CODES as readonly string[]).includes(lit[1]!), `${file}: ${lit[1]}`);
    }
  }
});

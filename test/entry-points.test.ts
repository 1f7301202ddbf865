// gatehouse/client must work where the addon cannot load: neither its
// module graph nor its declarations may reach lib/native.ts, zod or pino.
// The main entry's declarations must not expose zod's or pino's types either.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hook = path.join(root, 'test', 'helpers', 'refuse-native-hook.mjs');
const dist = path.join(root, 'dist', 'lib');

const useClient = `
const c = await import(${JSON.stringify(path.join(dist, 'client.js'))});
const admin = new c.AdminClient({ url: 'https://127.0.0.1:7135', auth: { token: 'gh_x_y' } });
await admin.close();
console.log(JSON.stringify({ task: c.tasks.terminateAllSessions('Mary Jones').text, ids: c.TASK_MESSAGE_IDS.length }));
`;

test('gatehouse/client loads and works with the addon loader refused', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', hook, '--input-type=module', '-e', useClient], { timeout: 60_000 });
  t.deepEqual(JSON.parse(stdout), { task: 'terminate all_sessions "Mary Jones"', ids: 30 });
});

test('the refusing hook does stop the main entry (so the test above can fail)', async (t) => {
  const script = `await import(${JSON.stringify(path.join(dist, 'index.js'))});`;
  const err = await t.throwsAsync(run(process.execPath, ['--import', hook, '--input-type=module', '-e', script], { timeout: 60_000 }));
  t.regex(String((err as { stderr?: string }).stderr), /refused to load the native addon/);
});

function declarationGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const walk = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.d.ts')));
      else external.add(spec);
    }
  };
  walk(path.join(dist, entry));
  return { files: [...files].map((f) => path.relative(dist, f)), external: [...external] };
}

test('the client declarations reach neither the addon nor zod, pino or undici types', (t) => {
  const { files, external } = declarationGraph('client.d.ts');
  t.true(files.includes('admin/client.d.ts'));
  t.deepEqual(files.filter((f) => /native|session\/cache|tasks\/engine/.test(f)), []);
  t.deepEqual(external.filter((e) => !e.startsWith('node:')), []);
});

test('the main entry declarations name no zod or pino types', (t) => {
  const { files, external } = declarationGraph('index.d.ts');
  t.true(files.includes('config/types.d.ts'), 'Config is the spelled-out type');
  t.deepEqual(external.filter((e) => /^(zod|pino)(\/|$)/.test(e)), []);
});

// docs-commands.test.ts -- every command in the ```sh blocks of README.md
// and docs/*.md runs as written, in order, in a fresh copy of the checkout
// (its own folder, its own network namespace so the documented ports 8080
// and 7135 are free; curl fails on an HTTP error status), with `secret` typed wherever a command reads a
// password. A server command (`gatehouse serve --config ...`) is started in
// the background and waited for. A command must exit 0, or the status its
// `# exit N` comment names. A block preceded by `<!-- not-run: why -->` is
// not run; that list is kept short and each says why.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
// README first: it writes the config and starts the server the other documents' commands talk to.
const ORDER = ['README.md', 'docs/proxy.md', 'docs/admin.md', 'docs/tasks.md', 'docs/table.md', 'docs/benchmarks.md', 'docs/distributed.md'];
const PASSWORD = 'secret';

interface Command { doc: string; line: number; text: string; exit: number; server: boolean }
interface Block { doc: string; line: number; lang: string; body: string[]; notRun?: string }

export function blocksOf(doc: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? /^<!--\s*not-run:\s*(.+?)\s*-->$/.exec(lines[before]!.trim()) : null;
    // An excerpt of an example file is checked line for line against the file, which test/examples.test.ts runs.
    const excerpt = before >= 0 ? /^<!--\s*excerpt of (\S+)\s*-->$/.exec(lines[before]!.trim()) : null;
    const notRun = marker ? marker[1]! : excerpt ? `an excerpt of ${excerpt[1]!}, which test/examples.test.ts checks and runs` : undefined;
    blocks.push({ doc, line: start + 1, lang: open[1]!, body, ...(notRun !== undefined ? { notRun } : {}) });
  }
  return blocks;
}

function commandsOf(b: Block): Command[] {
  const out: Command[] = [];
  for (let i = 0; i < b.body.length; i++) {
    const first = i;
    let text = b.body[i]!;
    while (text.endsWith("\\") && i + 1 < b.body.length) text = `${text}\n${b.body[++i]!}`;
    // A quoted argument may span lines (a JSON body): join until the quotes balance.
    // (Quotes in a trailing `# comment`, as in "alice's password", do not count.)
    const quotes = (s: string): number => s.split('\n').map((l) => l.replace(/\s#\s.*$/, '')).join('\n').match(/'/g)?.length ?? 0;
    while (quotes(text) % 2 === 1 && i + 1 < b.body.length) text = `${text}\n${b.body[++i]!}`;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    const exit = /#\s*exit (\d+)\s*$/.exec(text);
    out.push({
      doc: b.doc, line: b.line + 1 + first, text, exit: exit ? Number(exit[1]) : 0,
      server: /\bgatehouse serve\b/.test(text) && !/--check\b/.test(text),
    });
  }
  return out;
}

const all = Object.fromEntries(DOCS.map((d) => [d, blocksOf(d, fs.readFileSync(path.join(root, d), 'utf8'))]));

test('every document is in the run order', (t) => {
  t.deepEqual([...DOCS].sort(), [...ORDER].sort());
});

test('the not-run list is short and every entry says why', (t) => {
  const notRun = Object.values(all).flat().filter((b) => b.lang === 'sh' && b.notRun !== undefined);
  for (const b of notRun) t.true(b.notRun!.length >= 20, `${b.doc}:${b.line} needs a reason`);
  t.true(notRun.length <= 9, notRun.map((b) => `${b.doc}:${b.line} ${b.notRun}`).join('\n'));
  t.log(notRun.map((b) => `not run: ${b.doc}:${b.line}: ${b.notRun}`).join('\n'));
});

/** The driver: runs each command in its own bash with the shell state (variables) carried over. */
function driver(commands: readonly Command[], dir: string): string {
  const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const out = [
    'set -u',
    'ip link set lo up',
    `cd ${q(dir)}`,
    ': > .state',
    'servers=""',
    'stop_servers() { for p in $servers; do kill -TERM -- "-$p" 2>/dev/null; done; for p in $servers; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done; servers=""; }',
    'trap stop_servers EXIT',
  ];
  let serverDoc: string | undefined;
  commands.forEach((c, i) => {
    const script = path.join(dir, `.cmd-${i}.sh`);
    fs.writeFileSync(script, `set -a\n. ./.state\n${c.text}\nrc=$?\nexport -p > ./.state\nexit $rc\n`);
    out.push(`echo "@@begin ${i}"`);
    if (c.server) {
      // A document that starts its own servers replaces the previous document's; one document's servers run together (a fleet).
      if (c.doc !== serverDoc) out.push('stop_servers');
      serverDoc = c.doc;
      out.push(`setsid bash ${q(script)} < /dev/null > .server-${i}.log 2>&1 & last="$!"; servers="$servers $last"`);
      out.push(`for n in $(seq 1 600); do grep -q '"gatehouse ready"' .server-${i}.log && break; kill -0 $last 2>/dev/null || break; sleep 0.1; done`);
      out.push(`if grep -q '"gatehouse ready"' .server-${i}.log; then echo "@@end ${i} 0"; else cat .server-${i}.log; echo "@@end ${i} 99"; fi`);
    } else {
      out.push(`printf '%s\\n' ${q(PASSWORD)} | timeout 120 bash ${q(script)} 2>&1; echo "@@end ${i} $?"`);
    }
  });
  return out.join('\n');
}

test('every shell command in README.md and docs/*.md runs as written on a fresh checkout', async (t) => {
  const commands = ORDER.flatMap((d) => all[d]!.filter((b) => b.lang === 'sh' && b.notRun === undefined).flatMap(commandsOf));
  t.true(commands.length >= 20, `only ${commands.length} commands found`);
  // The copy shares node_modules and build/ with this checkout: installing there would change them.
  const installs = commands.filter((c) => /\bnpm (install|ci|test|start)\b/.test(c.text));
  if (installs.length > 0) { t.fail(`mark these not-run: ${installs.map((c) => `${c.doc}:${c.line}`).join(', ')}`); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-docs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A fresh checkout after `npm install`: the sources, the built addon and TypeScript, nothing else.
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'binding.gyp', 'node_modules', 'build', 'dist', 'lib', 'test', 'bench', 'templates', 'examples', 'native', 'scripts', 'docs', 'README.md'])
    if (fs.existsSync(path.join(root, f))) fs.symlinkSync(path.join(root, f), path.join(dir, f));
  // The README's configuration, as a reader saves it.
  const yaml = all['README.md']!.find((b) => b.lang === 'yaml' && b.body[0]!.startsWith('# gatehouse.yaml'));
  t.truthy(yaml, 'README.md has the gatehouse.yaml block');
  fs.writeFileSync(path.join(dir, 'gatehouse.yaml'), `${yaml!.body.join('\n')}\n`);
  // curl exits 0 on an HTTP error; a documented request that gets a 4xx or 5xx must fail here.
  fs.mkdirSync(path.join(dir, '.home'));
  fs.writeFileSync(path.join(dir, '.home/.curlrc'), '--fail-with-body\n');
  const script = `export HOME=${JSON.stringify(path.join(dir, '.home'))}\n${driver(commands, dir)}`;
  const netns = spawnSync('unshare', ['--net', 'true']).status === 0;
  t.log(netns ? 'running in a new network namespace' : 'no network namespace (not root?): using the host\'s ports');
  const child = spawn(netns ? 'unshare' : 'bash', netns ? ['--net', 'bash', '-c', script] : ['-c', script.replace('ip link set lo up', ':')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // If the test is cut short (timeout), end the whole run, not only its first process.
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  await new Promise((resolve) => child.once('close', resolve));
  commands.forEach((c, i) => {
    const m = new RegExp(`@@begin ${i}\\n([\\s\\S]*?)@@end ${i} (\\d+)`).exec(output);
    const where = `${c.doc}:${c.line}: ${c.text}`;
    if (!m) { t.fail(`${where}: did not run\n${output.slice(-2000)}`); return; }
    t.is(Number(m[2]), c.exit, `${where}\n${m[1]}`);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replaceAll(' ', '-');
}

test('every relative link and #anchor in README.md and docs/*.md points at something that exists', (t) => {
  const broken: string[] = [];
  for (const doc of DOCS) {
    const prose = fs.readFileSync(path.join(root, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, link] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link!)) continue;
      const [target, anchor] = link!.split('#') as [string, string | undefined];
      const file = target === '' ? path.join(root, doc) : path.resolve(root, path.dirname(doc), target);
      if (!fs.existsSync(file)) { broken.push(`${doc}: ${link}`); continue; }
      if (anchor !== undefined && file.endsWith('.md')) {
        const anchors = [...fs.readFileSync(file, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => anchorOf(m[1]!));
        if (!anchors.includes(anchor)) broken.push(`${doc}: ${link} (no such heading)`);
      }
    }
  }
  t.deepEqual(broken, []);
});

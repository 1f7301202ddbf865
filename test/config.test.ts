// config.test.ts -- the configuration file: the reference's defaults, and
// bad files, each refused with a message that names the key, both by
// loadConfig and by `gatehouse serve --config bad.yaml` (exit 2, message on
// stderr, nothing started).
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../lib/config/load.js';
import { SessionCache } from '../lib/index.js';
import { CLI } from './helpers/proxy-launch.js';

// Config trees are edited freely here, as a file author would.
type Raw = Record<string, any>;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-cfg-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A valid configuration that starts nothing lasting if it ever ran: port 0, no admin, its own table. */
function valid(): Raw {
  return {
    server: { 'state-dir': path.join(dir, 'state'), workers: 0, 'server-name': `cfg${process.pid}-default`, 'table-name': `gh-cfg-${process.pid}` },
    listen: { http: { host: '127.0.0.1', port: 0 } },
    admin: { enabled: 'no' },
    registry: { file: 'users.yaml' },
    junctions: { '/app': { servers: ['http://127.0.0.1:8081'] } },
  };
}

let fileCounter = 0;
function writeConfig(content: Raw | string): string {
  const file = path.join(dir, `bad-${fileCounter++}.yaml`);
  fs.writeFileSync(file, typeof content === 'string' ? content : YAML.stringify(content));
  return file;
}

function problemsOf(file: string): readonly string[] {
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

interface BadCase {
  title: string;
  /** A config tree edited from valid(), YAML text, or no file at all. */
  content: ((c: Raw) => void) | string | null;
  /** Each must match one of the reported problems (every problem starts with its key). */
  expect: RegExp[];
}

const BAD: BadCase[] = [
  { title: 'an unknown key', content: (c) => { c['session'] = { timeuot: 60 }; }, expect: [/^session: unknown key 'timeuot'; did you mean 'timeout'\?$/] },
  { title: 'an unknown stanza', content: (c) => { c['sesion'] = {}; }, expect: [/^\(top level\): unknown key 'sesion'; did you mean 'session'\?$/] },
  { title: 'an unknown key nothing is near', content: (c) => { c['session'] = { colour: 'blue' }; }, expect: [/^session: unknown key 'colour'$/] },
  { title: 'a wrong type', content: (c) => { c['session'] = { timeout: 'an hour' }; }, expect: [/^session\.timeout: expected a number of seconds$/] },
  { title: 'a bad junction point', content: (c) => { c['junctions']['/bad point'] = { servers: ['http://127.0.0.1:8082'] }; }, expect: [/^junctions\["\/bad point"\]: a junction point is/] },
  { title: 'a junction point without its slash', content: (c) => { c['junctions']['app2'] = { servers: ['http://127.0.0.1:8082'] }; }, expect: [/^junctions\.app2: a junction point is/] },
  { title: 'a server URL with a path', content: (c) => { c['junctions']['/app'].servers = ['http://127.0.0.1:8081/app']; }, expect: [/^junctions\["\/app"\]\.servers\[0\]: expected http\(s\):\/\/host:port with no path/] },
  { title: 'a server URL with credentials', content: (c) => { c['junctions']['/app'].servers = ['http://u:p@127.0.0.1:8081']; }, expect: [/^junctions\["\/app"\]\.servers\[0\]: .*credentials/] },
  { title: 'a negative timeout', content: (c) => { c['session'] = { 'inactive-timeout': -1 }; }, expect: [/^session\.inactive-timeout: must be 0 or more$/] },
  { title: 'a fractional timeout', content: (c) => { c['session'] = { timeout: 1.5 }; }, expect: [/^session\.timeout: expected whole seconds$/] },
  { title: 'a bad yes/no', content: (c) => { c['session'] = { 'logout-remove-cookie': 'maybe' }; }, expect: [/^session\.logout-remove-cookie: expected yes or no$/] },
  { title: 'a missing registry', content: (c) => { delete c['registry']; }, expect: [/^registry: is required/] },
  { title: 'a YAML syntax error', content: 'session: { timeout: 60\njunctions: [\n', expect: [/^syntax: .*\(line \d+, column \d+\)/] },
  { title: 'a duplicate key', content: 'registry: { file: a.yaml }\nregistry: { file: b.yaml }\njunctions: { /app: { servers: ["http://127.0.0.1:1"] } }\n', expect: [/^syntax: .*[Mm]ap keys must be unique/] },
  { title: 'a missing file', content: null, expect: [/^cannot read the file: .*ENOENT/] },
  { title: 'an empty file', content: '', expect: [/^junctions: is required/, /^registry: is required/] },
  { title: 'a file that is not a mapping', content: '- junctions\n- registry\n', expect: [/^not a Gatehouse config: expected a mapping with junctions and registry.*, found a list$/] },
  { title: 'empty junctions', content: (c) => { c['junctions'] = {}; }, expect: [/^junctions: at least one junction is needed$/] },
  { title: 'a junction without servers', content: (c) => { c['junctions']['/app'].servers = []; }, expect: [/^junctions\["\/app"\]\.servers: a junction needs at least one server$/] },
  { title: 'a bad header name', content: (c) => { c['header-names'] = { 'server-name': 'iv server name' }; }, expect: [/^header-names\.server-name: header names are/] },
  { title: 'a bad credattr header name', content: (c) => { c['header-names'] = { credattr: { department: 'x:dept' } }; }, expect: [/^header-names\.credattr\.department: header names are/] },
  { title: 'a bad cookie name', content: (c) => { c['session'] = { 'tcp-session-cookie-name': 'PD H;x' }; }, expect: [/^session\.tcp-session-cookie-name: cookie names are/] },
  { title: 'a bad max-concurrent-web-sessions word', content: (c) => { c['session'] = { 'max-concurrent-web-sessions': 'lots' }; }, expect: [/^session\.max-concurrent-web-sessions: expected unset, unlimited, displace or a number/] },
  { title: 'a max-concurrent-web-sessions of 0', content: (c) => { c['session'] = { 'max-concurrent-web-sessions': 0 }; }, expect: [/^session\.max-concurrent-web-sessions: /] },
  { title: 'a negative max-concurrent-web-sessions', content: (c) => { c['session'] = { 'max-concurrent-web-sessions': -2 }; }, expect: [/^session\.max-concurrent-web-sessions: /] },
  { title: 'a bad ba-auth', content: (c) => { c['ba'] = { 'ba-auth': 'always' }; }, expect: [/^ba\.ba-auth: /] },
  {
    title: 'several problems at once',
    content: (c) => { c['session'] = { timeout: -5, 'prompt-for-displacement': 'perhaps' }; c['junctions'] = {}; },
    expect: [/^session\.timeout: must be 0 or more$/, /^session\.prompt-for-displacement: expected yes or no$/, /^junctions: at least one junction is needed$/],
  },
];

function fileFor(c: BadCase): string {
  if (c.content === null) return path.join(dir, 'no-such-config.yaml');
  if (typeof c.content === 'string') return writeConfig(c.content);
  const tree = valid();
  c.content(tree);
  return writeConfig(tree);
}

for (const c of BAD) {
  test(`loadConfig refuses ${c.title}, naming the key`, (t) => {
    const problems = problemsOf(fileFor(c));
    t.true(problems.length >= c.expect.length, JSON.stringify(problems));
    for (const re of c.expect) t.true(problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(problems)}`);
  });
}

// ---------------------------------------------------------------- how problems read

test('a YAML syntax error shows the offending line with a caret under the column', (t) => {
  const problems = problemsOf(writeConfig('registry: { file: users.yaml }\nsession:\n  timeout: [60\n  inactive-timeout: 600\njunctions: {}\n'));
  t.is(problems.length, 1, JSON.stringify(problems));
  const lines = problems[0]!.split('\n');
  const m = /^syntax: .* \(line (\d+), column (\d+)\)/.exec(lines[0]!);
  t.truthy(m, lines[0]);
  const [line, col] = [Number(m![1]), Number(m![2])];
  const marked = lines.find((l) => l.startsWith('>'))!;
  t.regex(marked, new RegExp(`^> ${line} \\| `), 'the frame marks the reported line');
  const caret = lines[lines.indexOf(marked) + 1]!;
  t.is(caret.indexOf('^') - caret.indexOf('|') - 2, col - 1, `caret under column ${col}:\n${problems[0]}`);
});

test('a misplaced key inside a list or a union names the nearest key of that level', (t) => {
  const cases: Array<[(c: Raw) => void, RegExp]> = [
    [(c) => { c['junctions']['/app']['strip-piont'] = 'no'; }, /^junctions\["\/app"\]: unknown key 'strip-piont'; did you mean 'strip-point'\?$/],
    [(c) => { c['listen'] = { htp: { port: 1 } }; }, /^listen: unknown key 'htp'; did you mean 'http'\?$/],
    [(c) => { c['listen'] = { http: { host: '127.0.0.1', prot: 1 } }; }, /^listen\.http: unknown key 'prot'; did you mean 'port'\?$/],
    [(c) => { c['admin'] = { tls: { cert: 'c.pem', kye: 'k.pem' } }; }, /^admin\.tls: unknown key 'kye'; did you mean 'key'\?$/],
    [(c) => { c['server']['Workers'] = 2; }, /^server: unknown key 'Workers'; did you mean 'workers'\?$/],
  ];
  for (const [edit, re] of cases) {
    const tree = valid();
    edit(tree);
    const problems = problemsOf(writeConfig(tree));
    t.true(problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(problems)}`);
  }
});

test('a file that is no Gatehouse config is refused in one line, not a problem per key', (t) => {
  const foreign: Array<[string, string | Buffer, RegExp]> = [
    ['a JSON array', '[1, 2, 3]', /found a list$/],
    ['a PNG image', Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))]), /found a binary file$/],
    ['a passwd file', 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n', /found plain text$/],
    ['a number', '42\n', /found a number$/],
    ['a package.json', JSON.stringify({ name: 'x', version: '1.0.0', description: 'y', type: 'module', scripts: {}, dependencies: {} }), /none of its keys \('name', 'version', 'description', 'type', \.\.\. \(6 keys\)\) is a Gatehouse section$/],
  ];
  for (const [what, content, re] of foreign) {
    const file = path.join(dir, `foreign-${fileCounter++}`);
    fs.writeFileSync(file, content);
    const problems = problemsOf(file);
    t.is(problems.length, 1, `${what}: ${JSON.stringify(problems)}`);
    t.regex(problems[0]!, /^not a Gatehouse config: expected a mapping with junctions and registry/, what);
    t.regex(problems[0]!, re, what);
  }
});

test('a Markdown file gives its first syntax error and a count, not one line per error', (t) => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const problems = problemsOf(writeConfig(readme));
  t.is(problems.length, 1, JSON.stringify(problems));
  const text = problems[0]!;
  t.true(text.split('\n').length <= 8, text);
  t.regex(text, /\(and \d+ more syntax errors? after it\)$/);
});

test('the reference says session cookie names must be unique: the same name for HTTP and HTTPS is refused', (t) => {
  // With one name for both, an HTTPS session cookie would be read over plain HTTP.
  const tree = valid();
  tree['session'] = { 'tcp-session-cookie-name': 'GH-SESSION', 'ssl-session-cookie-name': 'GH-SESSION' };
  const problems = problemsOf(writeConfig(tree));
  t.true(problems.some((p) => p.startsWith('session.') && p.includes('cookie')), JSON.stringify(problems));
});

test('a valid file loads (the bad cases above differ from it by one edit)', (t) => {
  t.deepEqual(problemsOf(writeConfig(valid())), []);
});

// ---------------------------------------------------------------- defaults

const minimal = (): Raw => ({ registry: { file: 'users.yaml' }, junctions: { '/app': { servers: ['http://127.0.0.1:8081'] } } });

test('parseConfig fills in the reference defaults', (t) => {
  const c = parseConfig(minimal(), 'x.yaml', '/etc/gh');
  t.is(c.session.timeout, 3600);
  t.is(c.session['inactive-timeout'], 600);
  t.is(c.session['max-entries'], 4096);
  t.is(c.session['tcp-session-cookie-name'], 'PD-H-SESSION-ID');
  t.is(c.session['ssl-session-cookie-name'], 'PD-S-SESSION-ID');
  t.false(c.session['logout-remove-cookie']);
  t.true(c.session['prompt-for-displacement']);
  t.is(c.session['max-concurrent-web-sessions'], 'unset');
  t.is(c.ba['ba-auth'], 'none');
  t.is(c['header-names']['server-name'], 'iv_server_name');
  t.is(c.listen.https, false);
  t.is(c.server['replica-set'], 'default');
  t.regex(c.server['pdadmin-server-name'], /^default-webseald-/);
  t.regex(c.server['server-name'], /-default$/);
  // Junction defaults: no identity headers unless asked, the point stripped.
  t.like(c.junctions['/app'], { c: [], r: false, 'strip-point': true, public: false });
});

test('parseConfig resolves relative paths against the file\'s folder and derives the table name', (t) => {
  const raw = minimal();
  raw['server'] = { 'server-name': 'web1-default', 'state-dir': 'state' };
  const c = parseConfig(raw, 'x.yaml', '/etc/gh');
  t.is(c.registry.file, path.resolve('/etc/gh', 'users.yaml'));
  t.is(c.server['state-dir'], path.resolve('/etc/gh', 'state'));
  t.is(c.server['table-name'], 'gatehouse-web1-default');
  t.is(c.admin.audit, path.join(path.resolve('/etc/gh', 'state'), 'audit.log'));
});

test('the access log and the request-ID header: defaults, a relative requests-file, and refused values', (t) => {
  const d = parseConfig(minimal(), 'x.yaml', '/etc/gh');
  t.false(d.logging.requests);
  t.is(d.logging['requests-file'], undefined, 'standard output');
  t.is(d.logging['requests-sample-rate'], 1);
  t.is(d['header-names']['request-id'], 'x-request-id');
  const raw = minimal();
  raw['logging'] = { requests: 'yes', 'requests-file': 'logs/access.log', 'requests-sample-rate': 0.25 };
  raw['header-names'] = { 'request-id': '' };
  const c = parseConfig(raw, 'x.yaml', '/etc/gh');
  t.true(c.logging.requests);
  t.is(c.logging['requests-file'], path.resolve('/etc/gh', 'logs/access.log'));
  t.is(c.logging['requests-sample-rate'], 0.25);
  t.is(c['header-names']['request-id'], '', 'disabled');
  const refused = (logging: Raw, headerNames: Raw, key: RegExp): void => {
    const bad = minimal();
    bad['logging'] = logging;
    bad['header-names'] = headerNames;
    const err = t.throws(() => parseConfig(bad), { instanceOf: ConfigError });
    t.regex(err.message, key, err.message);
  };
  refused({ 'requests-sample-rate': 1.5 }, {}, /logging\.requests-sample-rate: must be from 0 to 1/);
  refused({ 'requests-sample-rate': -0.1 }, {}, /logging\.requests-sample-rate: must be from 0 to 1/);
  refused({ 'requests-file': '' }, {}, /logging\.requests-file/);
  for (const name of ['Cookie', 'host', 'X-Forwarded-For', 'iv-request-id', 'iv_request_id', 'am-eai-id', 'proxy-id', 'connection', 'has space'])
    refused({}, { 'request-id': name }, /header-names\.request-id/);
  refused({}, { 'request-id': 'iv_server_name' }, /header-names\.request-id/);
  refused({}, { 'request-id': 'x-corr', credattr: { tagvalue_user_session_id: 'X_Corr' } }, /header-names\.request-id: must differ from the identity headers/);
});

test('yes/no entries accept the spellings webseald.conf and YAML use', (t) => {
  for (const [value, expected] of [['yes', true], ['YES', true], ['on', true], ['true', true], [true, true], ['no', false], ['off', false], ['false', false], [false, false]] as const) {
    const raw = minimal();
    raw['session'] = { 'logout-remove-cookie': value, 'prompt-for-displacement': value };
    const c = parseConfig(raw);
    t.is(c.session['logout-remove-cookie'], expected, String(value));
    t.is(c.session['prompt-for-displacement'], expected, String(value));
  }
});

test('max-concurrent-web-sessions takes unset, unlimited, displace or a positive number', (t) => {
  for (const value of ['unset', 'unlimited', 'displace', 1, 25] as const) {
    const raw = minimal();
    raw['session'] = { 'max-concurrent-web-sessions': value };
    t.is(parseConfig(raw).session['max-concurrent-web-sessions'], value);
  }
});

// ---------------------------------------------------------------- the CLI

interface Run { code: number | null; stdout: string; stderr: string }

function serve(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // A bad config must not start a server; if one ever does, stop it rather than hang the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Runs `jobs` at most `n` at a time (the machine is shared). */
async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i]!(); }
  }));
  return out;
}

test('gatehouse serve --config <bad file> exits 2 with each problem, by key, on stderr', async (t) => {
  const files = BAD.map(fileFor);
  const runs = await pool(3, files.map((f) => () => serve(['--config', f])));
  BAD.forEach((c, i) => {
    const r = runs[i]!;
    t.is(r.code, 2, `${c.title}: ${r.stderr}`);
    t.true(r.stderr.startsWith(`gatehouse serve: ${files[i]}: `), `${c.title}: ${r.stderr}`);
    for (const re of c.expect) {
      const lines = r.stderr.split('\n').map((l) => l.replace(/^\s+- /, ''));
      t.true(lines.some((l) => re.test(l)), `${c.title}: ${re} in ${r.stderr}`);
    }
    t.notRegex(r.stdout, /gatehouse ready/, c.title);
  });
});

test('gatehouse serve --workers abc (or out of range) exits 2 naming --workers', async (t) => {
  const good = writeConfig(valid());
  for (const w of ['abc', '-1', '300', '1.5', '']) {
    const r = await serve(['--config', good, `--workers=${w}`]);
    t.is(r.code, 2, `${w}: ${r.stderr}`);
    t.regex(r.stderr, /--workers must be a whole number 0\.\.256/, w);
    t.notRegex(r.stdout, /gatehouse ready/);
  }
});

test('gatehouse serve without --config, or with an unknown option, exits 2 with the usage', async (t) => {
  for (const args of [[], ['--config'], ['--confg', 'x.yaml']]) {
    const r = await serve(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /usage: gatehouse serve --config <file>/);
  }
});

test('a registry file that does not exist: serve fails naming the file and leaves no table or PID file behind', async (t) => {
  const tree = valid();
  const table = `gh-cfg-${process.pid}-noreg`;
  const stateDir = path.join(dir, 'state-noreg');
  tree['server'] = { ...tree['server'], 'table-name': table, 'state-dir': stateDir };
  tree['registry'] = { file: 'missing-users.yaml' };
  const r = await serve(['--config', writeConfig(tree)]);
  t.not(r.code, 0);
  t.regex(r.stderr, /missing-users\.yaml/);
  t.notRegex(r.stdout, /gatehouse ready/);
  // A failed start must clean up after itself like a stopped one does.
  t.false(SessionCache.unlink(table), 'the shared-memory table was left behind');
  t.false(fs.existsSync(path.join(stateDir, `${table}.pid`)), 'the PID file was left behind');
});

// ---------------------------------------------------------------- serve --check

test('serve --check: a good configuration is OK (exit 0) and nothing is started, bound or created', async (t) => {
  const held = await new Promise<net.Server>((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    const port = (held.address() as net.AddressInfo).port;
    const table = `gh-cfg-${process.pid}-check`;
    const stateDir = path.join(dir, 'state-check-never-made');
    const tree = valid();
    tree['server'] = { ...tree['server'], 'table-name': table, 'state-dir': stateDir };
    // The port is taken: a check that bound it would fail.
    tree['listen'] = { http: { host: '127.0.0.1', port } };
    tree['admin'] = { port, tls: 'generate' };
    fs.writeFileSync(path.join(dir, 'users.yaml'), 'users: {}\n');
    const file = writeConfig(tree);
    const r = await serve(['--check', '--config', file]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `gatehouse serve: ${file}: configuration OK\n`);
    t.is(r.stderr, '');
    t.false(fs.existsSync(stateDir), 'the state dir was created');
    t.false(SessionCache.unlink(table), 'a session table was created');
  } finally {
    held.close();
  }
});

test('serve --check: every file serve would fail on is named by its key (exit 1)', async (t) => {
  const tree = valid();
  fs.writeFileSync(path.join(dir, 'not-a-pem.txt'), 'hello\n');
  tree['listen'] = { http: false, https: { port: 0, cert: 'missing-cert.pem', key: 'missing-key.pem' } };
  tree['acnt-mgt'] = { templates: 'no-such-templates' };
  tree['registry'] = { file: 'no-such-users.yaml' };
  tree['junctions']['/app']['ca-file'] = 'not-a-pem.txt';
  tree['admin'] = { enabled: 'yes', tls: { cert: 'not-a-pem.txt', key: 'not-a-pem.txt' }, policy: 'not-a-pem.txt', 'client-certificates': { ca: 'no-such-ca.pem', principals: {} } };
  const r = await serve(['--check', '--config', writeConfig(tree)]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /: configuration not OK\n/);
  for (const key of ['acnt-mgt.templates', 'registry.file', 'listen.https', 'junctions["/app"].ca-file', 'admin.tls', 'admin.client-certificates.ca', 'admin.policy'])
    t.true(r.stderr.includes(`\n  - ${key}: `), `${key} in ${r.stderr}`);
  t.notRegex(r.stdout, /OK/);
});

test('serve --check: a configuration with schema problems exits 1 with them', async (t) => {
  const tree = valid();
  tree['session'] = { timeuot: 5 };
  const r = await serve(['--check', '--config', writeConfig(tree)]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /session: unknown key 'timeuot'; did you mean 'timeout'\?/);
});

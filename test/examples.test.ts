// examples.test.ts -- the admin clients' runnable examples (docs/admin.md)
// against a real `gatehouse serve` with its generated TLS certificate:
// examples/ts/terminate-user.mjs (AdminClient) and
// examples/shell/terminate-user.sh (`gatehouse admin` one-shot commands),
// each with a password and with an API token, run as child processes, plus
// the interactive shell fed through a pipe. A user logged in through the
// proxy must get the login page saying why on the next click; a refused run
// must leave the session alone. The C example (examples/c/terminate_user.c)
// runs against a real server in ivadmin.test.ts.
import test from 'ava';
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { Browser, CLI, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TS_EXAMPLE = path.join(root, 'examples/ts/terminate-user.mjs');
const SH_EXAMPLE = path.join(root, 'examples/shell/terminate-user.sh');

const ADMIN_PASSWORD = `adm ${randomBytes(9).toString('base64url')}`;
const USER_PASSWORD = `usr ${randomBytes(9).toString('base64url')}`;
// One login ID per test, so the tests can run side by side on one server.
const USERS = ['walter', 'wanda', 'tom', 'tess', 'ivy', 'fred', 'Mary Jones'];

interface Run { code: number; stdout: string; stderr: string }

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(file, [...args], { env, timeout: 180_000 }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout: String(stdout), stderr: String(stderr) + (err && typeof err.code !== 'number' ? `\n${err.message}` : '') });
    });
    // A child that exits before reading its input (a refusal) closes the pipe: EPIPE is expected then.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

let gh: RunningGatehouse;
let app: EchoBackend;
let server: string;

test.before(async () => {
  app = await startEcho({ name: 'app' });
  gh = await startGatehouse({
    users: [
      { id: 'sec_master', password: ADMIN_PASSWORD },   // the default policy's administrator
      ...USERS.map((id) => ({ id, password: USER_PASSWORD })),
    ],
    config: { admin: { tls: 'generate' }, junctions: { '/app': { servers: [app.url], c: ['iv_user'] } } },
  });
  server = String((gh.config['server'] as Record<string, unknown>)['pdadmin-server-name']);
});

test.after.always(async () => {
  await gh?.stop();
  await app?.close();
});

/** The children's environment: the admin URL and CA of the server under test, none of the developer's GATEHOUSE_* settings. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_')) clean[k] = v;
  return { ...clean, GATEHOUSE_ADMIN_URL: gh.admin!, GATEHOUSE_ADMIN_CA: path.join(gh.dir, 'admin-tls-cert.pem'), ...extra };
}

const asAdmin = (): NodeJS.ProcessEnv => env({ GATEHOUSE_ADMIN_USER: 'sec_master', GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD });

/** Logs `user` in through the proxy and checks the back-end sees them. */
async function loggedIn(t: { is(a: unknown, b: unknown, m?: string): void }, user: string): Promise<Browser> {
  const b = new Browser(gh.http);
  t.is((await b.login(user, USER_PASSWORD, '/app/')).status, 302);
  const r = await b.fetch('/app/');
  t.is(r.status, 200, r.body);
  t.is((JSON.parse(r.body) as { headers: Record<string, string> }).headers['iv-user'], user);
  return b;
}

/** The next click: the login page saying the sessions were ended by an administrator. */
async function assertTerminated(t: { regex(s: string, r: RegExp, m?: string): void }, b: Browser): Promise<void> {
  const next = await b.fetch('/app/');
  t.regex(next.body, /pkmslogin\.form/);
  t.regex(next.body, /data-reason="all_sessions_terminated"/);
}

/** A token for sec_master made with `gatehouse token create`, in the tokens file the server reads. */
async function makeToken(scopes: string): Promise<string> {
  const r = await run(process.execPath, [CLI, 'token', 'create', 'sec_master', '--scope', scopes, '--tokens', path.join(gh.dir, 'tokens.yaml')], env({}));
  if (r.code !== 0) throw new Error(`gatehouse token create failed (${r.code}): ${r.stderr}`);
  const token = r.stdout.trim();
  if (!/^gh_[0-9a-f]{16}_\S+$/.test(token)) throw new Error('gatehouse token create printed no token');
  return token;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

test('TypeScript example with a password: lists, terminates, the user\'s next click gets the login page', async (t) => {
  const b = await loggedIn(t, 'walter');
  const other = await loggedIn(t, 'walter');   // a second session, from another browser
  const r = await run(process.execPath, [TS_EXAMPLE, 'walter'], asAdmin());
  t.is(r.code, 0, r.stdout + r.stderr);
  const out = lines(r.stdout);
  t.is(out[0], 'walter has 2 session(s)', r.stdout);
  t.is(out.filter((l) => /^ {2}\S{8}… forms created \S+Z last access \S+Z$/.test(l)).length, 2, r.stdout);
  t.is(out.at(-1), 'GHWAT0002I 2 session(s) of user walter terminated.');
  t.is(r.stderr, '');
  await assertTerminated(t, b);
  await assertTerminated(t, other);

  // Again: nothing left, a warning, still success.
  const again = await run(process.execPath, [TS_EXAMPLE, 'walter', server], asAdmin());
  t.is(again.code, 0, again.stderr);
  t.deepEqual(lines(again.stdout), ['walter has 0 session(s)', 'GHWAT0003W User walter has no sessions.']);
  await Promise.all([b.close(), other.close()]);
});

test('shell example with a password: server list --json, the count, the termination', async (t) => {
  const b = await loggedIn(t, 'wanda');
  const r = await run('sh', [SH_EXAMPLE, 'wanda'], asAdmin());   // the default CLI path: this checkout's dist
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(lines(r.stdout), ['wanda has 1 session(s)', 'GHWAT0002I 1 session(s) of user wanda terminated.']);
  t.is(r.stderr, '');
  await assertTerminated(t, b);
  await b.close();
});

test('a login ID with a space goes through both examples quoted', async (t) => {
  const b = await loggedIn(t, 'Mary Jones');
  const r = await run('sh', [SH_EXAMPLE, 'Mary Jones', server], asAdmin());
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(lines(r.stdout), ['Mary Jones has 1 session(s)', 'GHWAT0002I 1 session(s) of user "Mary Jones" terminated.']);
  await assertTerminated(t, b);
  const ts = await run(process.execPath, [TS_EXAMPLE, 'Mary Jones'], asAdmin());
  t.is(ts.code, 0, ts.stderr);
  t.deepEqual(lines(ts.stdout), ['Mary Jones has 0 session(s)', 'GHWAT0003W User "Mary Jones" has no sessions.']);
  await b.close();
});

test('both examples with a token from `gatehouse token create` in GATEHOUSE_ADMIN_TOKEN', async (t) => {
  const token = await makeToken('terminate,list');
  const withToken = env({ GATEHOUSE_ADMIN_TOKEN: token, GATEHOUSE_CLI: CLI });

  const tom = await loggedIn(t, 'tom');
  const r = await run(process.execPath, [TS_EXAMPLE, 'tom'], withToken);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(lines(r.stdout).at(-1), 'GHWAT0002I 1 session(s) of user tom terminated.');
  await assertTerminated(t, tom);

  const tess = await loggedIn(t, 'tess');
  const s = await run('sh', [SH_EXAMPLE, 'tess'], withToken);
  t.is(s.code, 0, s.stdout + s.stderr);
  t.deepEqual(lines(s.stdout), ['tess has 1 session(s)', 'GHWAT0002I 1 session(s) of user tess terminated.']);
  await assertTerminated(t, tess);

  // Neither example put the token on a command line or in its output.
  t.false((r.stdout + r.stderr + s.stdout + s.stderr).includes(token.slice(20)));
  await Promise.all([tom.close(), tess.close()]);
});

test('refusals: wrong password, a token without the terminate scope, no CA; the session survives each', async (t) => {
  const b = await loggedIn(t, 'fred');
  const wrong = env({ GATEHOUSE_ADMIN_USER: 'sec_master', GATEHOUSE_ADMIN_PASSWORD: 'not the password' });

  const ts = await run(process.execPath, [TS_EXAMPLE, 'fred'], wrong);
  t.is(ts.code, 1);
  t.deepEqual(lines(ts.stderr), ['GHWAA0001E Authentication failed.', 'error: Authentication failed. (unauthenticated, HTTP 401)']);
  const sh = await run('sh', [SH_EXAMPLE, 'fred'], wrong);
  t.is(sh.code, 3, sh.stdout + sh.stderr);
  t.deepEqual(lines(sh.stderr), ['GHWAA0001E Authentication failed.', 'Error: Authentication failed. (unauthenticated, HTTP 401)']);

  // A list-only token may look, not end: 403 after the listing, exit 1 / 3.
  const listOnly = env({ GATEHOUSE_ADMIN_TOKEN: await makeToken('list') });
  const ts2 = await run(process.execPath, [TS_EXAMPLE, 'fred'], listOnly);
  t.is(ts2.code, 1);
  t.is(lines(ts2.stdout)[0], 'fred has 1 session(s)');
  t.regex(ts2.stderr, /^error: Authorization for the requested command has been denied\. \(forbidden, HTTP 403\)$/m);
  const sh2 = await run('sh', [SH_EXAMPLE, 'fred'], listOnly);
  t.is(sh2.code, 3);
  t.deepEqual(lines(sh2.stdout), ['fred has 1 session(s)']);
  t.regex(sh2.stderr, /^GHWAA0067E Authorization for the requested command has been denied\. \(0x47410067\)$/m);

  // Without the generated CA the TLS handshake fails before any credential is sent.
  const noCa = { ...asAdmin(), GATEHOUSE_ADMIN_CA: '' };
  const ts3 = await run(process.execPath, [TS_EXAMPLE, 'fred'], noCa);
  t.is(ts3.code, 1);
  t.regex(ts3.stderr, /TLS failed .*\(tls_failed\)$/m);
  const sh3 = await run('sh', [SH_EXAMPLE, 'fred'], noCa);
  t.is(sh3.code, 1);
  t.regex(sh3.stderr, /TLS failed .*\(tls_failed\)$/m);

  // Usage: no user, no credentials.
  t.is((await run(process.execPath, [TS_EXAMPLE], asAdmin())).code, 1);
  t.is((await run('sh', [SH_EXAMPLE], asAdmin())).code, 2);
  t.is((await run(process.execPath, [TS_EXAMPLE, 'fred'], env({}))).code, 1);

  // fred was never logged out.
  const still = await b.fetch('/app/');
  t.is((JSON.parse(still.body) as { headers: Record<string, string> }).headers['iv-user'], 'fred');
  await b.close();
});

test('the interactive shell through a pipe: pdadmin> and dscadmin> commands, as in the docs\' transcript', async (t) => {
  const b = await loggedIn(t, 'ivy');
  const script = ['server list', `server task ${server} terminate all_sessions ivy`, 'dscadmin', 'terminate all_sessions ivy', 'exit', 'quit', ''].join('\n');
  const r = await run(process.execPath, [CLI, 'admin', '-a', 'sec_master', '-i'], env({ GATEHOUSE_ADMIN_PASSWORD: ADMIN_PASSWORD }), script);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(lines(r.stdout), [
    'pdadmin sec_master> server list',
    server,
    `pdadmin sec_master> server task ${server} terminate all_sessions ivy`,
    'GHWAT0002I 1 session(s) of user ivy terminated.',
    'pdadmin sec_master> dscadmin',
    'dscadmin> terminate all_sessions ivy',
    'GHWAT0009W No sessions match pattern ivy.',
    'dscadmin> exit',
    'pdadmin sec_master> quit',
  ]);
  await assertTerminated(t, b);
  await b.close();
});

// docs/admin.md shows parts of the examples; each block marked
// `<!-- excerpt of <file> -->` must still be in that file, line for line and
// in order, so the docs cannot drift from what this file runs.
test('the excerpts in docs/admin.md match the example files', (t) => {
  const doc = fs.readFileSync(path.join(root, 'docs/admin.md'), 'utf8');
  const marked = [...doc.matchAll(/<!-- excerpt of (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g)];
  t.deepEqual(new Set(marked.map((m) => m[1])), new Set(['examples/ts/terminate-user.mjs', 'examples/shell/terminate-user.sh']));
  for (const [, file, block] of marked) {
    const source = fs.readFileSync(path.join(root, file!), 'utf8').split('\n').map((l) => l.trimEnd());
    let at = 0;
    for (const line of block!.split('\n').map((l) => l.trimEnd())) {
      if (line === '' || line.trim() === '// ...' || line.trim() === '# ...') continue;
      const found = source.indexOf(line, at);
      t.true(found >= 0, `${file}: this line of docs/admin.md is not in the file (after line ${at}): ${line}`);
      if (found >= 0) at = found + 1;
    }
  }
});

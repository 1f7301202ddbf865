// ivadmin.test.ts -- the ivadminapi.h C client library end to end: builds
// libgatehouse-ivadmin.so and native/test/ivadmin_test.c with cmake under
// AddressSanitizer + UBSan (LeakSanitizer on) in a temporary directory, runs
// the C checks against the stand-in admin server (helpers/fake-admin.ts),
// and compiles examples/c/terminate_user.c with nothing but -I, -L and -l,
// then runs it against a real `gatehouse serve` (the acceptance case).
// Missing tools (cmake, a C compiler, libcurl's headers, openssl) fail the
// test with a message saying what to install; nothing is skipped.
import test from 'ava';
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAKE_AUTH_FAILED, FAKE_TASK_LIST, startFakeAdmin, type FakeAdmin } from './helpers/fake-admin.js';
import { closedPort, startEcho } from './helpers/backends.js';
import { Browser, startGatehouse } from './helpers/gatehouse.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = mkdtempSync(join(tmpdir(), 'gh-ivadmin-build-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: the stand-in server lives in this process and
// must keep answering while the C program runs.
function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 240_000): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout: String(stdout), stderr: String(stderr) + (err && typeof err.code !== 'number' ? `\n${err.message}` : '') });
    });
  });
}

// The environment for the C programs: no GATEHOUSE_* settings of the
// developer's, sanitizers that fail loudly.
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && !k.startsWith('IVADMIN_')) env[k] = v;
  return {
    ...env,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
    LSAN_OPTIONS: 'report_objects=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    ...extra,
  };
}

function sanitizerReports(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /AddressSanitizer|LeakSanitizer|runtime error:/.test(l));
}

let built: Promise<void> | undefined;

// One ASan build for all tests; a missing tool is a failure that says what to install.
function build(): Promise<void> {
  built ??= (async () => {
    for (const [tool, args, hint] of [
      ['cmake', ['--version'], 'cmake'],
      ['cc', ['--version'], 'gcc (build-essential)'],
      ['openssl', ['version'], 'openssl'],
    ] as const) {
      const r = await run(tool, [...args]);
      if (r.code !== 0) throw new Error(`${tool} is needed to build and test the ivadmin library (Debian: apt-get install ${hint}): ${r.stderr.trim()}`);
    }
    const configure = await run('cmake', ['-S', join(root, 'native'), '-B', buildDir, '-DGH_SANITIZE=address', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
    if (configure.code !== 0) throw new Error(`cmake configure failed:\n${configure.stdout}\n${configure.stderr}`);
    if (/libcurl not found/.test(configure.stderr + configure.stdout)) {
      throw new Error('libcurl development files are missing, so gatehouse-ivadmin is not built (Debian: apt-get install libcurl4-openssl-dev)');
    }
    const make = await run('cmake', ['--build', buildDir, '--target', 'gatehouse-ivadmin', 'ivadmin_test', '-j2']);
    if (make.code !== 0) throw new Error(`building gatehouse-ivadmin failed:\n${make.stdout}\n${make.stderr}`);
  })();
  return built;
}

test.after.always(() => {
  rmSync(buildDir, { recursive: true, force: true });
});

const ADMIN = { id: 'sec_master', password: `pw "${randomBytes(6).toString('hex')}" \\ é` };
const AUDITOR = { id: 'auditor', password: randomBytes(9).toString('base64') };

function sessionIds(n: number): string[] {
  return Array.from({ length: n }, () => randomBytes(16).toString('base64url').slice(0, 22));
}

async function withFake<T>(sessions: Record<string, string[]>, fn: (fake: FakeAdmin) => Promise<T>): Promise<T> {
  const fake = await startFakeAdmin({
    users: [{ ...ADMIN, mayAdminister: true }, { ...AUDITOR, mayAdminister: false }],
    sessions,
  });
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

// What ivadmin_test.c prints for a string: control characters as \xNN,
// backslashes doubled.
function escaped(s: string): string {
  return s.replace(/[\\\x00-\x1f\x7f]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

// The same bytes as `tricky` in ivadmin_test.c.
const TRICKY = 'He said "hi" \\ C:\\path\\ "\\"" tab\there nl\nthere \x01\x1f\x7f café € 🔒 end\\';

test.serial('ivadmin_test passes against the stand-in under AddressSanitizer, with no leak', async (t) => {
  t.timeout(300_000);
  await build();
  const ids = sessionIds(3);
  await withFake({ dlucas: [...ids] }, async (fake) => {
    const r = await run(join(buildDir, 'ivadmin_test'), [], childEnv({
      IVADMIN_TEST_URL: fake.url,
      IVADMIN_TEST_CA: fake.caFile,
      IVADMIN_TEST_USER: ADMIN.id,
      IVADMIN_TEST_PASSWORD: ADMIN.password,
      IVADMIN_TEST_DENIED_USER: AUDITOR.id,
      IVADMIN_TEST_DENIED_PASSWORD: AUDITOR.password,
      IVADMIN_TEST_SERVER: fake.serverName,
      IVADMIN_TEST_TARGET: 'dlucas',
      IVADMIN_TEST_STANDIN: '1',
    }));
    const report = `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    t.deepEqual(sanitizerReports(r.stderr), [], report);
    t.is(r.code, 0, report);

    // Every check the program registers ran and passed.
    const checks = (readFileSync(join(root, 'native/test/ivadmin_test.c'), 'utf8').match(/^\s*run\("/gm) ?? []).length;
    t.true(checks >= 10);
    t.regex(r.stdout, new RegExp(`^ivadmin_test: ${checks} passed, 0 failed$`, 'm'), report);
    t.notRegex(r.stdout, /^(not ok|skip)/m);

    const lines = r.stdout.split('\n');
    const has = (line: string): void => {
      t.true(lines.includes(line), `missing line: ${line}\n${report}`);
    };
    // Result lines and messages come through as the server sent them.
    ids.forEach((id, i) => has(`# performtask_with_results: result[${i}]=${id} dlucas`));
    has(`# performtask_with_results: message[0] code=0x47540007 modifier=0 text=${ids.length} session(s) listed.`);
    has(`# performtask_with_results: message[0] code=0x47540002 modifier=0 text=${ids.length} session(s) of user dlucas terminated.`);
    has('# performtask_with_results: message[0] code=0x47540003 modifier=1 text=User dlucas has no sessions.');
    t.deepEqual(fake.sessions['dlucas'], []);
    // Refusals carry the server's message and its code (GHWAA0001E, GHWAA0067E,
    // the parse error), or the status's IVADMIN_GH_E_* code when it sent none.
    has(`# wrong_password: message[0] code=0x47410001 modifier=2 text=${FAKE_AUTH_FAILED}`);
    has('# denied: message[0] code=0x47410067 modifier=2 text=Authorization for the requested command has been denied.');
    has('# performtask_failing_task: message[0] code=0x47540055 modifier=2 text=No task matches `help frobnicate`; `help` lists the tasks.');
    has('# performtask_failing_task: message[1] code=0x47540101 modifier=2 text=Parse error: the words name no task (at byte 12).');
    has('# performtask_failing_task: message[0] code=0x47430008 modifier=2 text=command 1 of 1 is longer than 4096 bytes');
    FAKE_TASK_LIST.forEach((task, i) => has(`# gettasklist: task[${i}]=${task}`));
    has(`# task_round_trip: result[0]=${escaped(TRICKY)}`);

    // On the wire: the exact command, admin_id for pdadmin, Basic for the rest.
    const pdadmin = fake.requests.filter((q) => q.path === '/isam/pdadmin');
    t.true(pdadmin.some((q) => q.commands?.length === 1 && q.commands[0] === `server task ${fake.serverName} echo ${TRICKY}`));
    t.true(pdadmin.every((q) => q.commands?.length === 1));
    t.true(pdadmin.some((q) => q.status === 403 && q.principal === AUDITOR.id));
    const whoami = fake.requests.filter((q) => q.path === '/api/v1/whoami' && q.status === 200);
    t.true(whoami.length > 0 && whoami.every((q) => q.principal === ADMIN.id || q.principal === AUDITOR.id));
    t.true(fake.requests.some((q) => q.path === '/api/v1/whoami' && q.status === 401));
  });
});

test.serial('examples/c/terminate_user.c builds with only -I, -L and -l and ends the sessions', async (t) => {
  t.timeout(300_000);
  await build();
  const exe = join(buildDir, 'terminate_user');
  const cc = await run('cc', [
    '-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic',
    // The library under test is an ASan build, so the program links the same runtime.
    '-fsanitize=address,undefined',
    '-o', exe, join(root, 'examples/c/terminate_user.c'),
    `-I${join(root, 'native/include')}`, `-L${buildDir}`, '-lgatehouse-ivadmin', `-Wl,-rpath,${buildDir}`,
  ]);
  t.is(cc.code, 0, cc.stderr);

  const ids = sessionIds(2);
  await withFake({ mary: [...ids] }, async (fake) => {
    const env = childEnv({ GATEHOUSE_ADMIN_URL: fake.url, GATEHOUSE_ADMIN_CA: fake.caFile, GATEHOUSE_ADMIN_PASSWORD: ADMIN.password });
    const ok = await run(exe, [fake.serverName, 'mary'], env);
    t.deepEqual(sanitizerReports(ok.stderr), [], ok.stderr);
    t.is(ok.code, 0, ok.stdout + ok.stderr);
    t.is(ok.stdout, `info: ${ids.length} session(s) of user mary terminated. (0x47540002)\n`);
    t.deepEqual(fake.sessions['mary'], []);

    const again = await run(exe, [fake.serverName, 'mary'], env);
    t.is(again.code, 0, again.stderr);
    t.is(again.stdout, 'warning: User mary has no sessions. (0x47540003)\n');

    const elsewhere = await run(exe, ['default-webseald-elsewhere', 'mary'], env);
    t.is(elsewhere.code, 1);
    t.regex(elsewhere.stdout, /^error: .*unknown server 'default-webseald-elsewhere'.* \(0x47410069\)$/m);

    const badLogin = await run(exe, [fake.serverName, 'mary'], { ...env, GATEHOUSE_ADMIN_PASSWORD: 'wrong' });
    t.is(badLogin.code, 1);
    t.true(badLogin.stdout.includes(FAKE_AUTH_FAILED), badLogin.stdout + badLogin.stderr);
    t.deepEqual(sanitizerReports(elsewhere.stderr + badLogin.stderr), []);
  });
});

// The acceptance case: legacy C code, only -I/-L/-l changed, against a real
// `gatehouse serve` (HTTPS admin listener with its generated certificate):
// it ends a live user's sessions and that user's next request gets the
// login page saying why; a wrong password, an unreachable server and a
// denied administrator each get IVADMIN_FALSE with a message; no leak.
test.serial('terminate_user against a running Gatehouse: the user\'s next click gets the login page', async (t) => {
  t.timeout(300_000);
  await build();
  const exe = join(buildDir, 'terminate_user_real');
  const cc = await run('cc', [
    '-std=c99', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined', '-o', exe,
    join(root, 'examples/c/terminate_user.c'),
    `-I${join(root, 'native/include')}`, `-L${buildDir}`, '-lgatehouse-ivadmin', `-Wl,-rpath,${buildDir}`,
  ]);
  t.is(cc.code, 0, cc.stderr);
  const app = await startEcho({ name: 'app' });
  const pw = 'a long demo password';
  const gh = await startGatehouse({
    users: [
      { id: 'sec_master', password: ADMIN.password },
      { id: 'mallory', password: pw },   // authenticated, but holds no permission
      { id: 'walter', password: pw },
    ],
    config: { admin: { tls: 'generate' }, junctions: { '/app': { servers: [app.url], c: ['iv_user'] } } },
  });
  try {
    const browser = new Browser(gh.http);
    t.is((await browser.login('walter', pw, '/app/')).status, 302);
    t.is(JSON.parse((await browser.fetch('/app/')).body).headers['iv-user'], 'walter');
    const server = String((gh.config['server'] as Record<string, unknown>)['pdadmin-server-name']);
    const env = childEnv({ GATEHOUSE_ADMIN_URL: gh.admin!, GATEHOUSE_ADMIN_CA: join(gh.dir, 'admin-tls-cert.pem'), GATEHOUSE_ADMIN_PASSWORD: ADMIN.password });

    const ok = await run(exe, [server, 'walter'], env);
    t.deepEqual(sanitizerReports(ok.stderr), [], ok.stderr);
    t.is(ok.code, 0, ok.stdout + ok.stderr);
    t.is(ok.stdout, 'info: 1 session(s) of user walter terminated. (0x47540002)\n');
    const next = await browser.fetch('/app/');
    t.regex(next.body, /pkmslogin\.form/);
    t.regex(next.body, /data-reason="all_sessions_terminated"/);

    const wrong = await run(exe, [server, 'walter'], { ...env, GATEHOUSE_ADMIN_PASSWORD: 'wrong' });
    t.is(wrong.code, 1);
    t.regex(wrong.stdout, /^error: .+\(0x[0-9a-f]+\)$/m, wrong.stdout + wrong.stderr);

    const denied = await run(exe, [server, 'walter', 'mallory'], { ...env, GATEHOUSE_ADMIN_PASSWORD: pw });
    t.is(denied.code, 1);
    t.regex(denied.stdout, /Authorization for the requested command has been denied\./, denied.stdout + denied.stderr);

    const unreachable = await run(exe, [server, 'walter'], { ...env, GATEHOUSE_ADMIN_URL: `https://127.0.0.1:${await closedPort()}` });
    t.is(unreachable.code, 1);
    t.regex(unreachable.stdout + unreachable.stderr, /127\.0\.0\.1/, unreachable.stdout + unreachable.stderr);
    t.deepEqual(sanitizerReports(wrong.stderr + denied.stderr + unreachable.stderr), []);

    // Every attempt is in the audit log, the denial included.
    const audit = readFileSync(join(gh.dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { initiator?: string; outcome?: string });
    t.true(audit.some((e) => e.initiator === 'sec_master' && e.outcome === 'allowed'));
    t.true(audit.some((e) => e.initiator === 'mallory' && e.outcome === 'denied'));
    await browser.close();
  } finally {
    await gh.stop();
    await app.close();
  }
});

// AdminClient against the real admin server (helpers/admin-fixture.ts):
// every method with its effect on the table and the registry, errors mapped
// to AdminApiError with their status, TLS trust, token and client-certificate
// auth, lockout. A stub server supplies what the real one never sends:
// stalled and malformed replies.
import test from 'ava';
import { AdminApiError, AdminClient, type AdminClientOptions } from '../lib/admin/client.js';
import { GatehouseError, InvalidArgumentError, tasks, dsc } from '../lib/index.js';
import { makePki, PASSWORDS, SERVER, startFixture, type Fixture, type FixtureOptions, type Pki } from './helpers/admin-fixture.js';
import { startStubAdminServer } from './helpers/fake-admin-server.js';

type Auth = AdminClientOptions['auth'];
const pw = (user: string): Auth => ({ user, password: PASSWORDS[user]! });
const admin = pw('sec_master');

let pki: Pki;
test.before(() => { pki = makePki(); });

interface Setup extends Fixture {
  client(auth?: Auth, more?: Partial<AdminClientOptions>): AdminClient;
  /** Audit entries of one kind written since the fixture started. */
  audited(kind: string): Array<{ kind?: string; task?: string; outcome?: string; initiator?: string }>;
}

async function setup(t: { teardown(fn: () => unknown): void }, options: FixtureOptions = {}): Promise<Setup> {
  const f = await startFixture(options);
  const clients: AdminClient[] = [];
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await f.close();
  });
  return Object.assign(f, {
    client: (auth: Auth = admin, more: Partial<AdminClientOptions> = {}) => {
      const c = new AdminClient({ url: f.server.url, auth, ca: f.server.caCertificatePem!, ...more });
      clients.push(c);
      return c;
    },
    audited: (kind: string) => f.allAudit().filter((e: { kind?: string }) => e.kind === kind),
  });
}

async function apiError(t: { fail(m: string): void }, p: Promise<unknown>): Promise<AdminApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AdminApiError) return err;
    throw err;
  }
  t.fail('expected an AdminApiError');
  throw new Error('unreachable');
}

test('whoami, servers (asked once, then cached) and taskList over TLS with the server\'s certificate', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const me = await c.whoami();
  t.is(me.principal, 'sec_master');
  t.is(me.method, 'password');
  t.deepEqual(me.groups, ['iv-admin']);
  t.deepEqual(await c.servers(), [SERVER]);
  t.deepEqual(await c.servers(), [SERVER]);
  t.is(f.audited('server_list').length, 1);
  const list = await c.taskList();
  t.true(list.includes('terminate all_sessions <user_id>'));
  t.deepEqual(await c.taskList(SERVER), list);
});

test('run() a builder task and a string: the sessions are gone from the table', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const bob = [f.cache.create({ loginId: 'bob' }), f.cache.create({ loginId: 'bob' })];
  const carol = f.cache.create({ loginId: 'Carol Jones' });
  const r = await c.run(tasks.terminateAllSessions('bob'));
  t.true(r.ok);
  t.deepEqual(r.messages.map((m) => m.id), ['GHWAT0002I']);
  t.is(r.messages[0]!.severity, 'info');
  for (const s of bob) t.deepEqual(f.cache.validate(s.sessionId), { valid: false, reason: 'all_sessions_terminated' });
  t.true(f.cache.validate(carol.sessionId).valid);

  const again = await c.run('terminate all_sessions bob', SERVER);
  t.true(again.ok);
  t.deepEqual(again.messages.map((m) => m.id), ['GHWAT0003W']);

  const dscList = await c.run(dsc.listSessions('carol*', 10, 'default'));
  t.is(dscList.results.length, 1);
  t.true(dscList.results[0]!.endsWith('user="Carol Jones"'));

  // A task the parser refuses is a failed task, not an exception.
  const bad = await c.run('bogus task');
  t.false(bad.ok);
  t.deepEqual(bad.results, []);
  t.is(bad.messages[0]!.id, 'GHWAT0101E');
  t.is(bad.messages[0]!.code, 0x47540101);
  t.true(f.cache.validate(carol.sessionId).valid);
});

test('run() on an unknown server is a 404 AdminApiError; a denied task is 403 and changes nothing', async (t) => {
  const f = await setup(t);
  const s = f.cache.create({ loginId: 'bob' });
  const e404 = await apiError(t, f.client().run(tasks.terminateAllSessions('bob'), 'default-webseald-elsewhere'));
  t.is(e404.status, 404);
  t.is(e404.apiCode, 'unknown_server');
  t.is(e404.code as string, 'ERR_GH_ADMIN_API');
  t.true(e404 instanceof GatehouseError);
  const e403 = await apiError(t, f.client(pw('norbert')).run(tasks.terminateAllSessions('bob')));
  t.is(e403.status, 403);
  t.is(e403.apiCode, 'forbidden');
  t.true(e403.isAuthError);
  t.true(e403.messages.length > 0);
  t.true(f.cache.validate(s.sessionId).valid);
});

test('pdadmin(): several commands in one request; one denied command denies them all', async (t) => {
  const f = await setup(t);
  const bob = f.cache.create({ loginId: 'bob' });
  const carol = f.cache.create({ loginId: 'carol' });
  const r = await f.client().pdadmin(['server list', `server task ${SERVER} terminate all_sessions bob`]);
  t.deepEqual(r.commands.map((c) => c.command), ['server list', `server task ${SERVER} terminate all_sessions bob`]);
  t.deepEqual(r.commands[0]!.results, [SERVER]);
  t.true(r.commands[1]!.ok);
  t.true(r.result.includes('GHWAT0002I'));
  t.false(f.cache.validate(bob.sessionId).valid);

  // alice holds s but not AUTH_ADMINISTRATOR: the sign-out refuses the terminate too.
  const err = await apiError(t, f.client(pw('alice')).pdadmin([`server task ${SERVER} terminate all_sessions carol`, `server task ${SERVER} signout all_sessions`]));
  t.is(err.status, 403);
  t.true(f.cache.validate(carol.sessionId).valid);
});

test('listSessions and listByPattern return the JSON listing, times as ISO text, never a cookie', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const made = [f.cache.create({ loginId: 'dave', authMethod: 'forms' }), f.cache.create({ loginId: 'dave' })];
  f.cache.create({ loginId: 'dana' });
  f.cache.create({ loginId: 'erin' });
  const l = await c.listSessions('dave');
  t.is(l.total, 2);
  t.deepEqual(l.sessions.map((s) => s.userSessionId).sort(), made.map((s) => s.userSessionId).sort());
  for (const s of l.sessions) {
    t.is(s.loginId, 'dave');
    t.is(new Date(s.createdAt).toISOString(), s.createdAt);
    t.is(new Date(s.lastAccessAt).toISOString(), s.lastAccessAt);
    t.false(s.refreshNeeded);
    for (const m of made) t.false(JSON.stringify(s).includes(m.sessionId));
  }
  t.deepEqual(l.sessions.map((s) => s.authMethod).sort(), ['forms', 'other']);
  const p = await c.listByPattern('DA*', 2);
  t.is(p.total, 3);
  t.is(p.sessions.length, 2);
  t.true(f.audited('list_sessions_pattern').some((e) => e.task === 'list sessions pattern DA* 2'));
  t.is((await c.listByPattern('nobody*')).total, 0);
});

test('terminateSession, terminateAllSessions and refreshAllSessions report counts and act on the table', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const one = f.cache.create({ loginId: 'bob' });
  const two = f.cache.create({ loginId: 'bob' });
  t.is(await c.terminateSession(one.userSessionId), 1);
  t.deepEqual(f.cache.validate(one.sessionId), { valid: false, reason: 'terminated' });
  t.is(await c.terminateSession(one.userSessionId), 0);
  t.true(f.cache.validate(two.sessionId).valid);

  const m1 = f.cache.create({ loginId: 'Mary Jones' });
  f.cache.create({ loginId: 'Mary Jones' });
  t.is(await c.refreshAllSessions('Mary Jones'), 2);
  t.true((await c.listSessions('Mary Jones')).sessions.every((s) => s.refreshNeeded));
  t.is(await c.terminateAllSessions('Mary Jones'), 2);
  t.deepEqual(f.cache.validate(m1.sessionId), { valid: false, reason: 'all_sessions_terminated' });
  t.is(await c.terminateAllSessions('victim'), 0);                 // a registry user without sessions
  t.is((await apiError(t, c.terminateAllSessions('Mary Jones'))).status, 404);  // neither registry user nor sessions
  t.true(f.cache.validate(two.sessionId).valid);
});

test('signOutEveryone needs the higher privilege', async (t) => {
  const f = await setup(t);
  const s = f.cache.create({ loginId: 'bob' });
  const err = await apiError(t, f.client(pw('alice')).signOutEveryone());
  t.is(err.status, 403);
  t.true(f.cache.validate(s.sessionId).valid);
  const before = f.cache.stats().epoch;
  const epoch = await f.client().signOutEveryone();
  t.is(epoch, f.cache.stats().epoch);
  t.not(epoch, before);
  t.deepEqual(f.cache.validate(s.sessionId), { valid: false, reason: 'signed_out_everywhere' });
});

test('invalidateAccount marks the account invalid and ends its sessions unless told not to', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const s = [f.cache.create({ loginId: 'victim' }), f.cache.create({ loginId: 'victim' })];
  const n = f.cache.create({ loginId: 'norbert' });
  t.deepEqual(await c.invalidateAccount('victim'), { accountValid: false, ended: 2 });
  t.false(f.registry.lookup('victim')!.accountValid);
  for (const x of s) t.false(f.cache.validate(x.sessionId).valid);
  t.deepEqual(await c.invalidateAccount('norbert', { endSessions: false }), { accountValid: false, ended: 0 });
  t.false(f.registry.lookup('norbert')!.accountValid);
  t.true(f.cache.validate(n.sessionId).valid);
  t.is((await apiError(t, c.invalidateAccount('nobody'))).status, 404);
});

test('validateAccount makes an invalidated account valid again; the user\'s listing shows the account state', async (t) => {
  const f = await setup(t);
  const c = f.client();
  t.like(await c.listSessions('victim'), { total: 0, accountValid: true });
  await c.invalidateAccount('victim');
  t.like(await c.listSessions('victim'), { accountValid: false });
  t.deepEqual(await c.validateAccount('victim'), { accountValid: true });
  t.true(f.registry.lookup('victim')!.accountValid);
  t.like(await c.listSessions('victim'), { accountValid: true });
  t.deepEqual(f.audited('validate').map((e) => e.outcome), ['started', 'allowed']);
  t.is((await apiError(t, c.validateAccount('nobody'))).status, 404);
});

test('a wrong password is a 401 AdminApiError; the password appears in no error', async (t) => {
  const f = await setup(t);
  const e = await apiError(t, f.client({ user: 'sec_master', password: 'wrong-pass-xyz' }).whoami());
  t.is(e.status, 401);
  t.is(e.apiCode, 'unauthenticated');
  t.true(e.isAuthError);
  t.false(`${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`.includes('wrong-pass-xyz'));
});

test('repeated failures lock the principal out: 429 with Retry-After', async (t) => {
  const f = await setup(t, { lockout: { maxFailures: 2, maxFailuresPerAddress: 100, lockoutSeconds: 120 } });
  const bad = f.client({ user: 'alice', password: 'guess' });
  let e = await apiError(t, bad.whoami());
  for (let i = 0; i < 5 && e.status === 401; i++) e = await apiError(t, bad.whoami());
  t.is(e.status, 429);
  t.is(e.apiCode, 'locked_out');
  t.true(e.isAuthError);
  t.true((e.retryAfterSeconds ?? 0) > 0);
});

test('token auth and client-certificate auth', async (t) => {
  const f = await setup(t, { pki });
  const byToken = await f.client({ token: f.token('backend-hr') }).whoami();
  t.deepEqual([byToken.principal, byToken.method], ['backend-hr', 'token']);
  t.is((await apiError(t, f.client({ token: 'gh_0123456789abcdef_wrong' }).whoami())).status, 401);
  const bob = f.cache.create({ loginId: 'bob' });
  const byCert = f.client({ certificate: { cert: pki.client.certificatePem, key: Buffer.from(pki.client.privateKeyPem) } });
  const me = await byCert.whoami();
  t.deepEqual([me.principal, me.method], ['backend-hr', 'certificate']);
  t.is(await byCert.terminateAllSessions('bob'), 1);
  t.false(f.cache.validate(bob.sessionId).valid);
  // A certificate from another issuer authenticates nobody.
  const rogue = f.client({ certificate: { cert: pki.rogue.certificatePem, key: pki.rogue.privateKeyPem } });
  t.is((await apiError(t, rogue.whoami())).status, 401);
});

test('TLS: a wrong CA or no CA is rejected before any credential is sent', async (t) => {
  const f = await setup(t);
  const wrong = new AdminClient({ url: f.server.url, auth: admin, ca: pki.ca.certificatePem });
  const noCa = new AdminClient({ url: f.server.url, auth: admin });
  t.teardown(() => Promise.all([wrong.close(), noCa.close()]));
  for (const c of [wrong, noCa]) {
    const e = await apiError(t, c.whoami());
    t.is(e.status, 0);
    t.is(e.apiCode, 'tls_failed');
    t.regex(e.message, /--ca/);
  }
  t.deepEqual(f.allAudit(), []);
});

test('timeouts, unreachable servers and malformed replies are AdminApiErrors, never TypeErrors', async (t) => {
  const stub = await startStubAdminServer((_m, url) => {
    if (url === '/api/v1/whoami') return 'stall';
    if (url === '/api/v1/servers') return { status: 200, body: '{"servers": "not-a-list"}' };
    if (url.startsWith('/api/v1/users/bob/')) return { status: 200, body: 'ok, done', contentType: 'text/plain' };
    if (url.startsWith('/api/v1/users/carol/')) return { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' };
    if (url.startsWith('/api/v1/users/dave/')) return { status: 200, body: '{"ended": -1}' };
    return { status: 404, body: '{"error":{"code":"not_found","message":"no route"}}' };
  });
  const clients = [
    new AdminClient({ url: stub.url, auth: admin, timeoutMs: 300 }),  // only the stalled call gets a short deadline
    new AdminClient({ url: stub.url, auth: admin }),
  ];
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stub.close();
  });
  const [short, c] = clients as [AdminClient, AdminClient];
  const timeout = await apiError(t, short.whoami());
  t.deepEqual([timeout.status, timeout.apiCode], [0, 'timeout']);

  const shape = await apiError(t, c.servers());
  t.deepEqual([shape.status, shape.apiCode], [200, 'bad_response']);
  t.regex(shape.message, /servers/);
  t.is((await apiError(t, c.terminateAllSessions('bob'))).apiCode, 'bad_response');
  const html = await apiError(t, c.terminateAllSessions('carol'));
  t.deepEqual([html.status, html.apiCode], [502, 'http_502']);
  t.is((await apiError(t, c.terminateAllSessions('dave'))).apiCode, 'bad_response');
  t.is((await apiError(t, c.run('help', 'x'))).apiCode, 'not_found');

  const url = stub.url;
  await stub.close();
  const gone = new AdminClient({ url, auth: admin, timeoutMs: 5000 });
  t.teardown(() => gone.close());
  const refused = await apiError(t, gone.whoami());
  t.deepEqual([refused.status, refused.apiCode], [0, 'connection_failed']);
});

test('bad arguments throw InvalidArgumentError and send nothing', async (t) => {
  const f = await setup(t);
  const c = f.client();
  const bad: Array<() => Promise<unknown>> = [
    () => c.listSessions(''),
    () => c.listSessions('a\nb'),
    () => c.listByPattern('*', 0),
    () => c.listByPattern('*', 100_001),
    () => c.terminateSession('has space'),
    () => c.terminateAllSessions('x'.repeat(300)),
    () => c.refreshAllSessions(42 as unknown as string),
    () => c.run('terminate all_sessions ' + 'x'.repeat(5000)),
    () => c.run(''),
    () => c.run({} as unknown as string),
    () => c.run('help', 'bad name'),
    () => c.pdadmin([]),
    () => c.pdadmin(['server list', 7 as unknown as string]),
    () => c.invalidateAccount('bob', { endSessions: 'yes' as unknown as boolean }),
  ];
  for (const call of bad) await t.throwsAsync(call, { instanceOf: InvalidArgumentError });
  t.deepEqual(f.allAudit(), []);

  const ctor = (o: unknown): void => { new AdminClient(o as AdminClientOptions); };
  for (const o of [
    undefined,
    { url: 'ftp://127.0.0.1:7135', auth: admin },
    { url: 'not a url', auth: admin },
    { url: 'https://u:p@127.0.0.1:7135', auth: admin },
    { url: 'http://admin.example.com:7135', auth: admin },
    { url: 'http://admin.example.com:7135', auth: { token: 'gh_0123456789abcdef_x' } },
    { url: 'http://127.0.0.1:7135', auth: { certificate: { cert: pki.client.certificatePem, key: pki.client.privateKeyPem } } },
    { url: 'https://127.0.0.1:7135', auth: { user: 'a:b', password: 'x' } },
    { url: 'https://127.0.0.1:7135', auth: { user: 'a', password: 'x\r\nInjected: 1' } },
    { url: 'https://127.0.0.1:7135', auth: { token: 'gh_a b' } },
    { url: 'https://127.0.0.1:7135', auth: { certificate: { cert: 'not pem', key: 'not pem' } } },
    { url: 'https://127.0.0.1:7135', auth: {} },
    { url: 'https://127.0.0.1:7135', auth: admin, ca: 'not pem' },
    { url: 'https://127.0.0.1:7135', auth: admin, timeoutMs: 0 },
  ]) t.throws(() => ctor(o), { instanceOf: InvalidArgumentError }, JSON.stringify(o));
});

test('a closed client refuses further calls', async (t) => {
  const f = await setup(t);
  const c = f.client();
  await c.whoami();
  await c.close();
  await c.close();
  const e = await t.throwsAsync(c.whoami());
  t.is((e as GatehouseError).code, 'ERR_GH_CLOSED');
  await t.throwsAsync(c.servers(), { instanceOf: GatehouseError });
});

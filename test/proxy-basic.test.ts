// proxy-basic.test.ts -- HTTP basic authentication through a real gatehouse
// (`ba.ba-auth: both`), with `prompt-for-displacement: no` and
// `logout-remove-cookie: yes`: the challenge, a login by Authorization
// header that then rides on the session cookie, refusals, and ends that the
// browser's resent header must not undo (terminate, displace, logout).
import test from 'ava';
import { SessionCache, TaskEngine, tasks } from '../lib/index.js';
import { startEcho, type EchoBackend, type EchoReply } from './helpers/backends.js';
import { Browser, type Reply } from './helpers/gatehouse.js';
import { launchGatehouse, type LaunchedGatehouse } from './helpers/proxy-launch.js';

const PW = 'basic pass phrase';
const REALM = 'Gatehouse BA tests';
const COOKIE = 'PD-H-SESSION-ID';
let gh: LaunchedGatehouse;
let app: EchoBackend;
let cache: SessionCache;
let engine: TaskEngine;

test.before(async () => {
  app = await startEcho({ name: 'app' });
  const user = (id: string, extra: object = {}) => ({ id, password: PW, groups: ['staff'], ...extra });
  gh = await launchGatehouse({
    users: [
      user('bruce'), user('tina'), user('tom'), user('lou'), user('leo'),
      user('bella', { accountValid: false }),
      user('dora', { maxConcurrentWebSessions: 'displace' }),
    ],
    config: {
      ba: { 'ba-auth': 'both', 'basic-auth-realm': REALM },
      session: { 'prompt-for-displacement': 'no', 'logout-remove-cookie': 'yes' },
      junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
    },
  });
  cache = SessionCache.open(gh.tableName);
  engine = new TaskEngine(cache, { serverName: `default-webseald-pl${process.pid}`, sessionServerName: gh.serverName });
});

test.after.always(async () => {
  cache?.close();
  await gh?.stop();
  await app?.close();
});

const echo = (r: Reply): EchoReply => JSON.parse(r.body) as EchoReply;
const basic = (user: string, password = PW): Record<string, string> =>
  ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const setCookies = (r: Reply): string[] => [r.headers['set-cookie'] ?? []].flat();
// Tests in this file run concurrently: "nothing reached the back-end" is checked per unique path.
const reached = (path: string): boolean => app.requests.some((r) => r.url === path);

function assertChallenge(t: import('ava').ExecutionContext, r: Reply): void {
  t.is(r.status, 401);
  t.is(r.headers['www-authenticate'], `Basic realm="${REALM}", charset="UTF-8"`);
  t.regex(r.body, /action="\/pkmslogin\.form"/);  // the login page doubles as the 401 body
}

test('no credentials: 401 with a Basic challenge, nothing reaches the back-end', async (t) => {
  const r = await new Browser(gh.http!).fetch('/app/private-anon');
  assertChallenge(t, r);
  t.regex(r.body, /data-oldsession=""/);
  t.false(reached('/private-anon'));
});

test('Basic credentials log in; the back-end gets iv-user; the session cookie carries later requests', async (t) => {
  const b = new Browser(gh.http!);
  const first = await b.fetch('/app/one', { headers: basic('bruce') });
  t.is(first.status, 200);
  t.is(echo(first).headers['iv-user'], 'bruce');
  t.is(echo(first).url, '/one');
  const set = setCookies(first).find((c) => c.startsWith(`${COOKIE}=`));
  t.truthy(set);
  t.regex(set!, /HttpOnly/);
  const sid = b.cookies.get(COOKIE)!;
  t.like(cache.validate(sid, { touch: false }), { valid: true, session: { loginId: 'bruce' } });
  // No Authorization header now: the cookie alone is the session.
  const second = await b.fetch('/app/two');
  t.is(second.status, 200);
  t.is(echo(second).headers['iv-user'], 'bruce');
  t.deepEqual(setCookies(second), []);
  // The same header again, without the cookie (a client that keeps no cookies): the same session, not another.
  const again = await new Browser(gh.http!).fetch('/app/three', { headers: basic('bruce') });
  t.is(echo(again).headers['iv-user'], 'bruce');
  t.is(cache.countSessions('bruce').count, 1);
});

test('the client\'s Authorization header (the password) is not passed to the back-end', async (t) => {
  // The reference's default junction `-b filter`: back-ends get iv-user, not the user's password.
  const b = new Browser(gh.http!);
  const login = await b.fetch('/app/pw', { headers: basic('leo') });
  t.is(echo(login).headers['iv-user'], 'leo');
  t.is(echo(login).headers['authorization'], undefined);
  // A browser keeps sending it with the cookie.
  const later = await b.fetch('/app/pw', { headers: basic('leo') });
  t.is(echo(later).headers['iv-user'], 'leo');
  t.is(echo(later).headers['authorization'], undefined);
});

test('a wrong password, an unknown user and an invalid account are refused, each with a challenge', async (t) => {
  const wrong = await new Browser(gh.http!).fetch('/app/refused', { headers: basic('bruce', 'not it') });
  assertChallenge(t, wrong);
  t.regex(wrong.body, /invalid user name or password/);
  const unknown = await new Browser(gh.http!).fetch('/app/refused', { headers: basic('nobody') });
  assertChallenge(t, unknown);
  t.regex(unknown.body, /invalid user name or password/);
  const invalid = await new Browser(gh.http!).fetch('/app/refused', { headers: basic('bella') });
  assertChallenge(t, invalid);
  t.regex(invalid.body, /account has been disabled/);
  t.notRegex(invalid.body, /invalid user name or password/);
  const malformed = await new Browser(gh.http!).fetch('/app/refused', { headers: { authorization: 'Basic !!!' } });
  assertChallenge(t, malformed);
  for (const r of [wrong, unknown, invalid, malformed]) t.false(setCookies(r).some((c) => c.startsWith(`${COOKIE}=`) && !/Max-Age=0/.test(c)));
  t.is(cache.countSessions('bella').count, 0);
  t.false(reached('/refused'));
});

test('after terminate all_sessions the same Authorization header is challenged with the reason, not logged in again', async (t) => {
  const b = new Browser(gh.http!);
  t.is((await b.fetch('/app/', { headers: basic('tina') })).status, 200);
  const oldSid = b.cookies.get(COOKIE)!;
  t.true(engine.run(tasks.terminateAllSessions('tina')).ok);
  const r = await b.fetch('/app/tina-after', { headers: basic('tina') });
  assertChallenge(t, r);
  t.regex(r.body, /data-reason="all_sessions_terminated"/);
  t.regex(r.body, /ended by an administrator/);
  t.is(cache.countSessions('tina').count, 0, 'no silent new login');
  t.false(reached('/tina-after'));
  // The user answers the challenge (types the password again): a new session.
  const back = await b.fetch('/app/', { headers: basic('tina') });
  t.is(back.status, 200);
  t.is(echo(back).headers['iv-user'], 'tina');
  t.not(b.cookies.get(COOKIE), oldSid);
});

test('a client that keeps no cookies is challenged too after terminate all_sessions', async (t) => {
  const ok = await new Browser(gh.http!).fetch('/app/', { headers: basic('tom') });
  t.is(echo(ok).headers['iv-user'], 'tom');
  t.true(engine.run(tasks.terminateAllSessions('tom')).ok);
  const r = await new Browser(gh.http!).fetch('/app/', { headers: basic('tom') });
  assertChallenge(t, r);
  t.regex(r.body, /data-reason="all_sessions_terminated"/);
  t.is(cache.countSessions('tom').count, 0);
});

test('policy displace without prompt: a second login silently displaces the first, whose next click says "displaced"', async (t) => {
  const first = new Browser(gh.http!);
  t.is(echo(await first.fetch('/app/', { headers: basic('dora') })).headers['iv-user'], 'dora');
  // A second login from another browser, by form: no too-many-sessions page, straight in.
  const second = new Browser(gh.http!);
  const login = await second.login('dora', PW, '/app/x');
  t.is(login.status, 302);
  t.is(login.headers['location'], '/app/x');
  t.is(echo(await second.fetch('/app/x')).headers['iv-user'], 'dora');
  t.is(cache.countSessions('dora').count, 1);
  // The first browser resends its Authorization header with its cookie: challenged with the reason.
  const old = await first.fetch('/app/', { headers: basic('dora') });
  assertChallenge(t, old);
  t.regex(old.body, /data-reason="displaced"/);
  // Its user logs in again by Basic: that displaces the second browser in turn.
  t.is(echo(await first.fetch('/app/', { headers: basic('dora') })).headers['iv-user'], 'dora');
  const other = await second.fetch('/app/x');
  t.is(other.status, 401);
  t.regex(other.body, /data-reason="displaced"/);
  t.is(cache.countSessions('dora').count, 1);
});

test('logout-remove-cookie yes: /pkmslogout removes the cookie; the resent header is challenged', async (t) => {
  const b = new Browser(gh.http!);
  t.is((await b.fetch('/app/', { headers: basic('lou') })).status, 200);
  const sid = b.cookies.get(COOKIE)!;
  const out = await b.fetch('/pkmslogout');
  t.is(out.status, 200);
  const removal = setCookies(out).find((c) => c.startsWith(`${COOKIE}=`));
  t.truthy(removal, 'the logout page removes the cookie');
  t.regex(removal!, new RegExp(`^${COOKIE}=;.*Max-Age=0`));
  t.false(b.cookies.has(COOKIE));
  t.like(cache.validate(sid, { touch: false }), { valid: false, reason: 'logged_out' });
  const next = await b.fetch('/app/', { headers: basic('lou') });
  assertChallenge(t, next);
  t.regex(next.body, /data-reason="logged_out"/);
});

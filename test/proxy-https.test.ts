// proxy-https.test.ts -- an HTTPS listener (a self-signed certificate made
// with openssl at test time) beside an HTTP one on the same gatehouse: over
// HTTPS the session cookie is PD-S-SESSION-ID with Secure, HttpOnly and
// SameSite=Lax and the back-end is told X-Forwarded-Proto https; over HTTP
// the cookie is PD-H-SESSION-ID, and neither listener accepts the other's.
import test from 'ava';
import { Agent } from 'undici';
import { SessionCache } from '../lib/index.js';
import { startEcho, type EchoBackend, type EchoReply } from './helpers/backends.js';
import { launchGatehouse, type LaunchedGatehouse } from './helpers/proxy-launch.js';
import { makeTestCert, send, trustingAgent, type RawReply, type TestCert } from './helpers/proxy-tls.js';

const PW = 'tls pass phrase';
let gh: LaunchedGatehouse;
let app: EchoBackend;
let cert: TestCert;
let tls: Agent;
let plain: Agent;
let cache: SessionCache;

test.before(async () => {
  cert = makeTestCert();
  app = await startEcho({ name: 'app' });
  gh = await launchGatehouse({
    users: ['sam', 'sue', 'sid', 'hal'].map((id) => ({ id, password: PW, groups: ['staff'] })),
    config: {
      listen: {
        http: { host: '127.0.0.1', port: 0 },
        https: { host: '127.0.0.1', port: 0, cert: cert.certFile, key: cert.keyFile },
      },
      junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
    },
  });
  tls = trustingAgent(cert.pem);
  plain = new Agent();
  cache = SessionCache.open(gh.tableName);
});

test.after.always(async () => {
  cache?.close();
  await gh?.stop();
  await app?.close();
  await Promise.all([tls?.close(), plain?.close()]);
  cert?.remove();
});

const echo = (r: RawReply): EchoReply => JSON.parse(r.body) as EchoReply;
const setCookies = (r: RawReply): string[] => [r.headers['set-cookie'] ?? []].flat();
const reached = (path: string): boolean => app.requests.some((r) => r.url === path);

/** Forms login; returns the Set-Cookie line for `cookie` and its value. */
async function login(base: string, agent: Agent, user: string, cookie: string): Promise<{ line: string; value: string; reply: RawReply }> {
  const reply = await send(agent, `${base}/pkmslogin.form`, { form: { username: user, password: PW, 'login-form-type': 'pwd', url: '/app/' } });
  if (reply.status !== 302) throw new Error(`login of ${user} answered ${reply.status}`);
  const line = setCookies(reply).find((c) => c.startsWith(`${cookie}=`));
  if (line === undefined) throw new Error(`no ${cookie} in ${JSON.stringify(setCookies(reply))}`);
  return { line, value: /^[^=]+=([^;]*)/.exec(line)![1]!, reply };
}

test('both listeners are up, and the HTTPS one presents the test certificate', async (t) => {
  t.regex(gh.https ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
  t.regex(gh.http ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  // A client that does not trust the self-signed certificate is refused by its own TLS check.
  const untrusting = new Agent();
  await t.throwsAsync(send(untrusting, `${gh.https}/app/`), { message: /self[- ]signed|certificate/i });
  await untrusting.close();
  t.is((await send(tls, `${gh.https}/app/`)).status, 200);
});

test('over HTTPS the cookie is PD-S-SESSION-ID with Secure, HttpOnly, SameSite=Lax', async (t) => {
  const { line, reply } = await login(gh.https!, tls, 'sam', 'PD-S-SESSION-ID');
  t.regex(line, /;\s*Secure(;|$)/);
  t.regex(line, /;\s*HttpOnly(;|$)/);
  t.regex(line, /;\s*SameSite=Lax(;|$)/);
  t.regex(line, /;\s*Path=\/(;|$)/);
  t.false(setCookies(reply).some((c) => c.startsWith('PD-H-SESSION-ID=')));
});

test('over HTTPS the back-end gets X-Forwarded-Proto https and the identity, never the cookie', async (t) => {
  const { value } = await login(gh.https!, tls, 'sue', 'PD-S-SESSION-ID');
  const r = await send(tls, `${gh.https}/app/tls-who`, { headers: { cookie: `PD-S-SESSION-ID=${value}; theme=dark`, 'x-forwarded-proto': 'http' } });
  t.is(r.status, 200);
  const h = echo(r).headers;
  t.is(h['x-forwarded-proto'], 'https');  // the client's own value is replaced
  t.is(h['iv-user'], 'sue');
  t.is(h.cookie, 'theme=dark');
});

test('over HTTP beside it the cookie is PD-H-SESSION-ID without Secure, and X-Forwarded-Proto is http', async (t) => {
  const { line, value, reply } = await login(gh.http!, plain, 'sid', 'PD-H-SESSION-ID');
  t.notRegex(line, /Secure/);
  t.regex(line, /HttpOnly/);
  t.regex(line, /SameSite=Lax/);
  t.false(setCookies(reply).some((c) => c.startsWith('PD-S-SESSION-ID=')));
  const r = await send(plain, `${gh.http}/app/plain-who`, { headers: { cookie: `PD-H-SESSION-ID=${value}`, 'x-forwarded-proto': 'https' } });
  t.is(echo(r).headers['x-forwarded-proto'], 'http');
  t.is(echo(r).headers['iv-user'], 'sid');
});

test('an HTTPS session cookie is not accepted over HTTP, nor an HTTP one over HTTPS', async (t) => {
  const s = await login(gh.https!, tls, 'hal', 'PD-S-SESSION-ID');
  const overHttp = await send(plain, `${gh.http}/app/leak-s`, { headers: { cookie: `PD-S-SESSION-ID=${s.value}` } });
  t.is(overHttp.status, 200);
  t.regex(overHttp.body, /action="\/pkmslogin\.form"/);
  t.regex(overHttp.body, /data-oldsession=""/);  // ignored, not taken for a stale session of this scheme
  t.false(reached('/leak-s'));
  // Ignoring it did not harm the session: still good over HTTPS.
  t.like(cache.validate(s.value, { touch: false }), { valid: true });
  t.is(echo(await send(tls, `${gh.https}/app/`, { headers: { cookie: `PD-S-SESSION-ID=${s.value}` } })).headers['iv-user'], 'hal');

  const h = await login(gh.http!, plain, 'hal', 'PD-H-SESSION-ID');
  const overHttps = await send(tls, `${gh.https}/app/leak-h`, { headers: { cookie: `PD-H-SESSION-ID=${h.value}` } });
  t.is(overHttps.status, 200);
  t.regex(overHttps.body, /action="\/pkmslogin\.form"/);
  t.false(reached('/leak-h'));
});

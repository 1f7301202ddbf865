// proxy.test.ts -- the reverse proxy end to end: a real `gatehouse serve`
// (child process) in front of real back-ends started here. Terminations are
// done from this test process through the shared-memory table, as any other
// process on the host (the admin plane, a C program) would.
import http from 'node:http';
import net from 'node:net';
import test from 'ava';
import { WebSocket } from 'ws';
import { SessionCache, TaskEngine, tasks } from '../lib/index.js';
import { decodeCredential } from '../lib/proxy/creds.js';
import { localTarget } from '../lib/proxy/http-util.js';
import { closedPort, startEaiSender, startEcho, startSlow, startWsEcho, type EchoBackend, type EchoReply, type TestBackend, type WsEchoBackend } from './helpers/backends.js';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const PW = 'correct horse battery';
let gh: RunningGatehouse;
let app: EchoBackend;
let eai: EchoBackend;
let eaiUpgrade: TestBackend;
let slow: TestBackend;
let ws: WsEchoBackend;
let cache: SessionCache;
let engine: TaskEngine;

test.before(async () => {
  app = await startEcho({ name: 'app' });
  eai = await startEcho({ name: 'eai', responseHeaders: { 'am-eai-server-task': 'terminate all_sessions eve' } });
  eaiUpgrade = await startEaiSender('terminate all_sessions kim');
  slow = await startSlow(5000);
  ws = await startWsEcho();
  const down = await closedPort();
  const user = (id: string, extra: object = {}) => ({ id, password: PW, groups: ['staff'], ...extra });
  gh = await startGatehouse({
    users: [
      user('alice', { groups: ['staff', 'hr'], attributes: { department: 'HR' } }),
      user('bob', { maxConcurrentWebSessions: 2 }),
      user('dave', { maxConcurrentWebSessions: 'displace' }),
      user('eve'), user('kim'), user('lena'), user('frank'), user('gina'), user('hank'), user('ivan'), user('jack'),
      user('carol', { accountValid: false }),
    ],
    config: {
      session: { 'prompt-for-displacement': 'yes' },
      admin: { enabled: 'no' },
      'header-names': { credattr: { tagvalue_user_session_id: 'user-session-id', department: 'x-department' } },
      junctions: {
        '/app': { servers: [app.url], c: ['iv_user', 'iv_user_l', 'iv_groups', 'iv_creds'], r: 'yes' },
        '/pub': { servers: [app.url], public: 'yes', c: ['iv_user'] },
        '/eaiapp': { servers: [eai.url], c: ['iv_user'], 'eai-trigger-urls': ['/eaiapp/trigger*'] },
        '/eaideny': { servers: [eai.url], c: ['iv_user'], 'eai-trigger-urls': ['/eaideny/*'], 'eai-tasks': ['terminate session'] },
        '/down': { servers: [`http://127.0.0.1:${down}`] },
        '/slow': { servers: [slow.url], 'response-timeout': 1 },
        '/chat': { servers: [ws.url], c: ['iv_user'] },
        '/eaiws': { servers: [eaiUpgrade.url], 'eai-trigger-urls': ['/eaiws/trigger*'] },
      },
    },
  });
  cache = SessionCache.open(gh.tableName);
  engine = new TaskEngine(cache, { serverName: `default-webseald-it${process.pid}`, sessionServerName: gh.serverName });
});

test.after.always(async () => {
  cache?.close();
  await gh?.stop();
  await Promise.all([app, eai, eaiUpgrade, slow, ws].map((b) => b?.close()));
});

const echo = (r: { body: string }): EchoReply => JSON.parse(r.body) as EchoReply;
const browser = (): Browser => new Browser(gh.http);

async function loggedIn(user: string): Promise<Browser> {
  const b = browser();
  const r = await b.login(user, PW, '/app/');
  if (r.status !== 302) throw new Error(`login of ${user} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return b;
}

test('an unauthenticated request gets the login page, not the back-end', async (t) => {
  const before = app.requests.length;
  const r = await browser().fetch('/app/private?x=1');
  t.is(r.status, 200);
  t.regex(r.body, /action="\/pkmslogin\.form"/);
  t.regex(r.body, /name="url" value="\/app\/private\?x=1"/);
  t.is(app.requests.length, before);
});

test('forms login sets an HttpOnly SameSite cookie and redirects to the original URL', async (t) => {
  const b = browser();
  const r = await b.login('alice', PW, '/app/report?q=2');
  t.is(r.status, 302);
  t.is(r.headers['location'], '/app/report?q=2');
  const set = [r.headers['set-cookie']].flat().find((c) => c?.startsWith('PD-H-SESSION-ID='))!;
  t.regex(set, /HttpOnly/);
  t.regex(set, /SameSite=Lax/);
  t.notRegex(set, /Secure/);  // plain HTTP listener
  const page = await b.fetch('/app/report?q=2');
  t.is(page.status, 200);
  t.is(echo(page).url, '/report?q=2');
});

test('a new session ID at every login; the old one ends', async (t) => {
  const b = await loggedIn('frank');
  const first = b.cookies.get('PD-H-SESSION-ID')!;
  await b.login('frank', PW, '/app/');
  const second = b.cookies.get('PD-H-SESSION-ID')!;
  t.not(first, second);
  t.like(cache.validate(first, { touch: false }), { valid: false, reason: 'logged_out' });
});

test('open redirects are refused: the login goes to a local path only', async (t) => {
  for (const url of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const r = await browser().login('alice', PW, url);
    t.is(r.status, 302);
    t.is(r.headers['location'], '/', url);
  }
});

test('the back-end receives the identity headers, never the session cookie', async (t) => {
  const b = await loggedIn('alice');
  const r = echo(await b.fetch('/app/who', { headers: { cookie: `${b.cookieHeader()}; theme=dark` } }));
  const h = r.headers;
  t.is(h['iv-user'], 'alice');
  t.is(h['iv-user-l'], 'cn=alice,o=gatehouse');
  t.is(h['iv-groups'], '"hr","staff"');  // the registry keeps groups sorted
  t.is(h['iv-remote-address'], '127.0.0.1');
  t.is(h['iv_server_name'], `default-webseald-it${process.pid}`);
  t.is(h['x-department'], 'HR');
  const usid = String(h['user-session-id']);
  t.is(usid.split('_')[0], Buffer.from(`${gh.serverName}\0`).toString('base64'));
  const cred = decodeCredential(String(h['iv-creds']));
  t.is(cred.user, 'alice');
  t.deepEqual([...cred.groups], ['hr', 'staff']);
  t.is(cred.attributes['tagvalue_user_session_id'], usid);
  t.is(h.cookie, 'theme=dark');
  t.notRegex(JSON.stringify(r.rawHeaders), new RegExp(b.cookies.get('PD-H-SESSION-ID')!));
  // The user session ID string terminates exactly that session.
  t.true(engine.run(tasks.terminateSession(usid)).ok);
  t.is((await b.fetch('/app/who')).status, 200);
  t.regex((await b.fetch('/app/who')).body, /pkmslogin\.form/);
});

test('client-sent identity headers never reach a back-end', async (t) => {
  const forged = {
    'iv-user': 'sec_master', 'IV-Groups': '"iv-admin"', 'iv-creds': 'forged', 'iv_server_name': 'x',
    'iv-user-l': 'cn=root', 'iv-remote-address': '10.0.0.1', 'user-session-id': 'x', 'x-department': 'IT',
    'am-eai-server-task': 'terminate all_sessions alice',
  };
  const b = await loggedIn('gina');
  const r = echo(await b.fetch('/app/', { headers: forged }));
  t.is(r.headers['iv-user'], 'gina');
  t.is(r.headers['iv-groups'], '"staff"');
  t.not(r.headers['iv-remote-address'], '10.0.0.1');
  t.is(r.headers['x-department'], undefined);
  t.is(r.headers['am-eai-server-task'], undefined);
  const pub = echo(await browser().fetch('/pub/', { headers: forged }));
  t.is(pub.headers['iv-user'], 'Unauthenticated');
  for (const name of ['iv-groups', 'iv-creds', 'iv-user-l', 'user-session-id', 'x-department', 'am-eai-server-task'])
    t.is(pub.headers[name], undefined, name);
});

test('a tampered cookie is a stale cookie: login page, no reason given, cookie removed', async (t) => {
  const b = await loggedIn('hank');
  const sid = b.cookies.get('PD-H-SESSION-ID')!;
  const tampered = `${sid.slice(0, -2)}${sid.endsWith('AA') ? 'BB' : 'AA'}`;
  for (const value of [tampered, 'x', `${sid}${sid}`, '"', '%00']) {
    const r = await browser().fetch('/app/', { headers: { cookie: `PD-H-SESSION-ID=${value}` } });
    t.is(r.status, 200, value);
    t.regex(r.body, /data-oldsession="1"/);
    t.regex(r.body, /data-reason=""/);
    t.regex(String(r.headers['set-cookie']), /PD-H-SESSION-ID=;.*Max-Age=0/);
  }
  t.is((await b.fetch('/app/')).status, 200);
  t.is(echo(await b.fetch('/app/')).headers['iv-user'], 'hank');
});

test('terminate all_sessions: the next click shows "ended by an administrator"', async (t) => {
  const b1 = await loggedIn('ivan');
  const b2 = await loggedIn('ivan');
  t.is(echo(await b1.fetch('/app/')).headers['iv-user'], 'ivan');
  const r = engine.run(tasks.terminateAllSessions('ivan'));
  t.true(r.ok);
  for (const b of [b1, b2]) {
    const page = await b.fetch('/app/');
    t.regex(page.body, /data-oldsession="1"/);
    t.regex(page.body, /data-reason="all_sessions_terminated"/);
    t.regex(page.body, /ended by an administrator/);
  }
});

test('logout ends the session; the next click says the user logged out', async (t) => {
  const b = await loggedIn('alice');
  const out = await b.fetch('/pkmslogout');
  t.is(out.status, 200);
  const page = await b.fetch('/app/');
  t.regex(page.body, /data-reason="logged_out"/);
});

test('an invalid account is refused with its own message; a wrong password with the generic one', async (t) => {
  const bad = await browser().login('carol', PW);
  t.is(bad.status, 403);
  t.regex(bad.body, /account has been disabled/);
  const wrong = await browser().login('carol', 'nope');
  t.is(wrong.status, 401);
  t.regex(wrong.body, /invalid user name or password/);
  const unknown = await browser().login('nobody', PW);
  t.is(unknown.status, 401);
  t.regex(unknown.body, /invalid user name or password/);
});

test('max-concurrent-web-sessions N: the N+1th login gets "Additional Login Denied"', async (t) => {
  await loggedIn('bob');
  await loggedIn('bob');
  const third = await browser().login('bob', PW, '/app/');
  t.is(third.status, 403);
  t.regex(third.body, /Additional Login Denied|additional login/i);
  t.is(cache.countSessions('bob').count, 2);
});

test('displace with prompt: too-many-sessions page, /pkmsdisplace ends the old session with reason displaced', async (t) => {
  const first = await loggedIn('dave');
  const second = browser();
  const prompt = await second.login('dave', PW, '/app/deep');
  t.is(prompt.status, 200);
  t.regex(prompt.body, /already logged in from another client/);
  t.is(echo(await first.fetch('/app/')).headers['iv-user'], 'dave');  // nothing ended yet
  // Cancel keeps the first session.
  const cancelled = await second.fetch('/pkmsdisplace?cancel', { method: 'POST', form: {} });
  t.regex(cancelled.body, /cancelled/);
  t.is(echo(await first.fetch('/app/')).headers['iv-user'], 'dave');
  // Ask again and terminate the existing login.
  await second.login('dave', PW, '/app/deep');
  const go = await second.fetch('/pkmsdisplace', { method: 'POST', form: {} });
  t.is(go.status, 302);
  t.is(go.headers['location'], '/app/deep');
  t.is(echo(await second.fetch('/app/')).headers['iv-user'], 'dave');
  const old = await first.fetch('/app/');
  t.regex(old.body, /data-reason="displaced"/);
  // A forged pending cookie does nothing.
  const forger = browser();
  const forged = await forger.fetch('/pkmsdisplace', { method: 'POST', form: {}, headers: { cookie: 'GH-PENDING-LOGIN=eyJsIjoiZGF2ZSJ9.AAAA' } });
  t.is(forged.status, 401);
});

test('refresh all_sessions: groups changed in the registry reach the back-end on the next request', async (t) => {
  const b = await loggedIn('jack');
  t.is(echo(await b.fetch('/app/')).headers['iv-groups'], '"staff"');
  const { FileRegistry } = await import('../lib/registry/file-registry.js');
  const reg = await FileRegistry.open(gh.registryFile, { watch: false });
  await reg.update('jack', { groups: ['staff', 'zauditors'] });
  reg.close();
  t.is(echo(await b.fetch('/app/')).headers['iv-groups'], '"staff"');  // frozen at login
  t.true(engine.run(tasks.refreshAllSessions('jack')).ok);
  // The proxy re-reads the file on change; give the watcher a moment, then expect the new groups.
  let groups = '';
  for (let i = 0; i < 50 && groups !== '"staff","zauditors"'; i++) {
    groups = String(echo(await b.fetch('/app/')).headers['iv-groups']);
    if (groups !== '"staff","zauditors"') await new Promise((r) => setTimeout(r, 100));
  }
  t.is(groups, '"staff","zauditors"');
});

test('EAI trigger: am-eai-server-task on a trigger URL runs, is stripped, and is audited', async (t) => {
  const victim = await loggedIn('eve');
  const actor = await loggedIn('alice');
  // Not a trigger URL: stripped, not run.
  const plain = await actor.fetch('/eaiapp/other');
  t.is(plain.headers['am-eai-server-task'], undefined);
  t.is(echo(await victim.fetch('/app/')).headers['iv-user'], 'eve');
  // A junction not granted terminate all_sessions: stripped, not run.
  const denied = await actor.fetch('/eaideny/x');
  t.is(denied.headers['am-eai-server-task'], undefined);
  t.is(echo(await victim.fetch('/app/')).headers['iv-user'], 'eve');
  // The trigger URL: run.
  const run = await actor.fetch('/eaiapp/trigger-now');
  t.is(run.status, 200);
  t.is(run.headers['am-eai-server-task'], undefined);
  const after = await victim.fetch('/app/');
  t.regex(after.body, /data-reason="all_sessions_terminated"/);
});

test('back-end down: 502 page; slow back-end: 504 page', async (t) => {
  const b = await loggedIn('frank');
  const down = await b.fetch('/down/');
  t.true(down.status === 502 || down.status === 503, String(down.status));
  t.regex(down.headers['content-type'] as string, /text\/html/);
  const late = await b.fetch('/slow/');
  t.is(late.status, 504);
});

test('unknown paths get 404; a request without a leading slash gets 400', async (t) => {
  t.is((await browser().fetch('/nowhere')).status, 404);
  t.is((await browser().fetch('/pkmsnothing')).status, 404);
});

test('WebSocket upgrade through a junction with a session; refused without one', async (t) => {
  const b = await loggedIn('gina');
  const url = gh.http.replace('http:', 'ws:') + '/chat/ws';
  const sock = new WebSocket(url, { headers: { cookie: b.cookieHeader()!, 'iv-user': 'sec_master' } });
  const reply = await new Promise<string>((resolve, reject) => {
    sock.once('open', () => sock.send('hello'));
    sock.once('message', (m) => resolve(m.toString()));
    sock.once('error', reject);
  });
  sock.close();
  t.is(reply, 'hello');
  const seen = ws.upgrades.at(-1)!;
  t.is(seen.headers['iv-user'], 'gina');
  const anon = new WebSocket(url);
  const status = await new Promise<number>((resolve) => {
    anon.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    anon.once('open', () => resolve(101));
    anon.once('error', () => resolve(-1));
  });
  t.is(status, 401);
});

test('dot-segments and backslashes are refused: a public junction is no way around a login', async (t) => {
  // node:http sends the path as given (URL-based clients would resolve the dots first).
  const rawStatus = (p: string): Promise<number> => new Promise((resolve, reject) => {
    const u = new URL(gh.http);
    http.get({ host: u.hostname, port: u.port, path: p, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
  for (const p of ['/pub/../app/secret', '/pub/%2e%2e/app/secret', '/pub/%2E./app/', '/pub/./x', '/app/..', '/pub\\..\\app', '/pub/%5c..%5capp']) {
    t.is(await rawStatus(p), 400, p);
  }
  t.false(app.requests.some((r) => /\/\.|%2e|%5c|\\/i.test(r.url)));
  // Dots inside names are fine.
  t.is((await browser().fetch('/pub/file.v2..txt')).status, 200);
});

/** An upgrade request on a raw socket with a cookie; resolves with everything the proxy sent until it went quiet. */
function upgradeHead(path: string, cookie: string): Promise<string> {
  const u = new URL(gh.http);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let text = '';
    sock.setEncoding('latin1');
    sock.on('error', reject);
    sock.on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n\r\n')) { sock.destroy(); resolve(text); }
    });
    sock.on('close', () => resolve(text));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  });
}

test('EAI on upgrades: am-eai-server-task on a 101 or a refused upgrade runs on a trigger URL only, and never reaches the client', async (t) => {
  const actor = await loggedIn('alice');
  let victim = await loggedIn('kim');
  // Not a trigger URL: 101 and 403 relayed without the header; nothing runs.
  for (const [path, status] of [['/eaiws/ws', 101], ['/eaiws/other', 403]] as const) {
    const head = await upgradeHead(path, actor.cookieHeader()!);
    t.true(head.startsWith(`HTTP/1.1 ${status} `), head);
    t.notRegex(head, /am-eai/i, path);
  }
  t.is(echo(await victim.fetch('/app/')).headers['iv-user'], 'kim');
  // A trigger URL: the task runs on the 101 and on the refused upgrade alike.
  for (const [path, status] of [['/eaiws/trigger/ws', 101], ['/eaiws/trigger-refused', 403]] as const) {
    const head = await upgradeHead(path, actor.cookieHeader()!);
    t.true(head.startsWith(`HTTP/1.1 ${status} `), head);
    t.notRegex(head, /am-eai/i, path);
    t.regex((await victim.fetch('/app/')).body, /data-reason="all_sessions_terminated"/, path);
    victim = await loggedIn('kim');
  }
  // A back-end error page on a plain request: stripped and run the same way.
  const page = await actor.fetch('/eaiws/trigger-page');
  t.is(page.status, 500);
  t.false(Object.keys(page.headers).some((n) => n.startsWith('am-eai-')));
  t.regex((await victim.fetch('/app/')).body, /data-reason="all_sessions_terminated"/);
});

test('a login target outside ASCII is percent-encoded into the redirect, and leaves exactly the session the browser holds', async (t) => {
  const b = browser();
  const r = await b.login('lena', PW, '/app/中文 x?q=é');
  t.is(r.status, 302);
  t.is(r.headers['location'], '/app/%E4%B8%AD%E6%96%87%20x?q=%C3%A9');
  const sid = b.cookies.get('PD-H-SESSION-ID');
  t.truthy(sid);
  t.true(cache.validate(sid!, { touch: false }).valid);
  t.is(cache.countSessions('lena').count, 1);
  t.is(echo(await b.fetch('/app/x')).headers['iv-user'], 'lena');
});

test('localTarget: only local paths, always a valid Location value', (t) => {
  t.is(localTarget('/中文', '/'), '/%E4%B8%AD%E6%96%87');
  t.is(localTarget('/a b\u00e9', '/'), '/a%20b%C3%A9');
  t.is(localTarget('/ok/x?y=1', '/'), '/ok/x?y=1');
  for (const bad of ['/\ud800x', '/a\r\nSet-Cookie: x=1', '/a\u0000', '//evil', 'http://evil', '/\\evil', ''])
    t.is(localTarget(bad, '/home'), '/home', JSON.stringify(bad));
});

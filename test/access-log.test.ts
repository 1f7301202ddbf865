// access-log.test.ts -- the access log (`logging.requests`) and the request
// ID, end to end through a real `gatehouse serve`: one line per request with
// its fields, sampling that never drops a 5xx, a client's X-Request-ID passed
// to the back-end when sane and replaced when not, and no session ID or
// secret anywhere in the lines.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { WebSocket } from 'ws';
import { closedPort, startEcho, startWsEcho, type EchoBackend, type EchoReply, type WsEchoBackend } from './helpers/backends.js';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const PW = 'correct horse battery';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Line = Record<string, unknown>;

let app: EchoBackend;
let ws: WsEchoBackend;
let down: number;
let gh: RunningGatehouse;        // every request logged, to access.log
let sampled: RunningGatehouse;   // requests-sample-rate 0, to standard output

const junctions = () => ({
  '/app': { servers: [app.url], c: ['iv_user'] },
  '/pub': { servers: [app.url], public: 'yes' },
  '/down': { servers: [`http://127.0.0.1:${down}`], public: 'yes' },
  '/chat': { servers: [ws.url], public: 'yes' },
});

test.before(async () => {
  app = await startEcho({ name: 'app' });
  ws = await startWsEcho();
  down = await closedPort();
  const users = [{ id: 'mona', password: PW }];
  [gh, sampled] = await Promise.all([
    startGatehouse({ users, config: { admin: { enabled: 'no' }, junctions: junctions(), logging: { requests: 'yes', 'requests-file': 'access.log' } } }),
    startGatehouse({ users, config: { admin: { enabled: 'no' }, junctions: junctions(), logging: { requests: 'yes', 'requests-sample-rate': 0 } } }),
  ]);
});

test.after.always(async () => {
  await Promise.all([gh?.stop(), sampled?.stop()]);
  await Promise.all([app?.close(), ws?.close()]);
});

/** The text of access.log and of the files it was rotated to (access.log.1, ...). */
function logText(g: RunningGatehouse): string {
  return fs.readdirSync(g.dir).filter((f) => f.startsWith('access.log')).sort()
    .map((f) => fs.readFileSync(path.join(g.dir, f), 'utf8')).join('');
}

/** The access-log lines, from its files or, without requests-file, from standard output. */
function readLines(g: RunningGatehouse): Line[] {
  const fromFiles = logText(g).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
  return [...fromFiles, ...g.entries().filter((e) => e['log'] === 'access')];
}

/** The access-log line of the request with this ID (written asynchronously: polled, generous deadline). */
async function lineOf(g: RunningGatehouse, requestId: string): Promise<Line> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = readLines(g).find((l) => l['requestId'] === requestId);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no access-log line for ${requestId}:\n${logText(g)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const echo = (r: { body: string }): EchoReply => JSON.parse(r.body) as EchoReply;

test('one line per request: a proxied request with its session, a login page, a 404 and a 502', async (t) => {
  const b = new Browser(gh.http);
  t.is((await b.login('mona', PW, '/app/')).status, 302);
  const r = await b.fetch('/app/docs/a.txt?token=hunter2-secret', { headers: { 'x-request-id': 'it-proxied-1' } });
  t.is(r.status, 200);
  const line = await lineOf(gh, 'it-proxied-1');
  t.like(line, {
    log: 'access', client: '127.0.0.1', method: 'GET', path: '/app/docs/a.txt', status: 200, bytes: Buffer.byteLength(r.body),
    junction: '/app', outcome: 'proxied', user: 'mona', authMethod: 'forms',
  });
  t.false(Number.isNaN(Date.parse(line['time'] as string)), 'an ISO time');
  t.true(typeof line['durationMs'] === 'number' && line['durationMs'] >= 0);
  t.true(typeof line['upstreamMs'] === 'number' && line['upstreamMs'] >= 0 && line['upstreamMs'] <= (line['durationMs'] as number));
  t.regex(line['session'] as string, /^[A-Za-z0-9_-]{8}…$/, 'the session as its user session ID\'s first 8 characters');
  t.false(JSON.stringify(line).includes('hunter2'), 'the query string is not logged');

  const login = await lineOf(gh, (await tagged(new Browser(gh.http), '/app/private', 'it-login-page')).id);
  t.like(login, { status: 200, junction: '/app', outcome: 'login_page', path: '/app/private' });
  t.is(login['user'], undefined);
  t.is(login['upstreamMs'], undefined);

  const missing = await lineOf(gh, (await tagged(b, '/nowhere', 'it-not-found')).id);
  t.like(missing, { status: 404, outcome: 'not_found', user: undefined });
  t.is(missing['junction'], undefined);

  const failed = await lineOf(gh, (await tagged(b, '/down/x', 'it-down')).id);
  t.like(failed, { status: 502, junction: '/down', outcome: 'backend_failure' });

  // One line per request: each ID once.
  const ids = readLines(gh).map((l) => l['requestId']);
  for (const id of ['it-proxied-1', 'it-login-page', 'it-not-found', 'it-down']) t.is(ids.filter((x) => x === id).length, 1, id);
});

async function tagged(b: Browser, pathname: string, id: string): Promise<{ id: string; status: number }> {
  const r = await b.fetch(pathname, { headers: { 'x-request-id': id } });
  return { id, status: r.status };
}

test('a stale cookie shows the reason page, logged with its reason', async (t) => {
  const b = new Browser(gh.http);
  t.is((await b.login('mona', PW, '/app/')).status, 302);
  t.is((await b.fetch('/pkmslogout')).status, 200);
  const line = await lineOf(gh, (await tagged(b, '/app/', 'it-reason')).id);
  t.like(line, { status: 200, outcome: 'reason_page', reason: 'logged_out', junction: '/app' });
});

test('requests-sample-rate 0 writes no line for successful requests, but every 5xx', async (t) => {
  const b = new Browser(sampled.http);
  for (let i = 0; i < 5; i++) t.is((await b.fetch('/pub/', { headers: { 'x-request-id': `ok-${i}` } })).status, 200);
  t.is((await b.fetch('/nowhere')).status, 404);
  t.is((await b.fetch('/down/', { headers: { 'x-request-id': 'it-sampled-502' } })).status, 502);
  // One process writes its lines in order: once the 502's is there, any earlier line would be too.
  t.is(fs.readdirSync(sampled.dir).filter((f) => f.startsWith('access.log')).length, 0, 'on standard output');
  const line = await lineOf(sampled, 'it-sampled-502');
  t.like(line, { status: 502, outcome: 'backend_failure' });
  t.deepEqual(readLines(sampled).map((l) => l['requestId']), ['it-sampled-502']);
});

test('a sane client X-Request-ID reaches the back-end and the log; the underscore spelling does not pass', async (t) => {
  const id = 'Root=1-5f84c7a2:abc.DEF_123~+/@';
  const r = await new Browser(gh.http).fetch('/pub/hello', { headers: { 'x-request-id': id, 'x_request_id': 'forged' } });
  t.is(r.status, 200);
  const seen = echo(r);
  t.is(seen.headers['x-request-id'], id);
  t.false(JSON.stringify(seen.rawHeaders).includes('forged'), JSON.stringify(seen.rawHeaders));
  t.is(seen.rawHeaders.filter((n, i) => i % 2 === 0 && n.toLowerCase().replaceAll('_', '-') === 'x-request-id').length, 1);
  t.like(await lineOf(gh, id), { path: '/pub/hello', status: 200, outcome: 'proxied', junction: '/pub' });
});

test('a request without an ID gets a new UUID, sent to the back-end and logged', async (t) => {
  const r = await new Browser(gh.http).fetch('/pub/fresh');
  const id = echo(r).headers['x-request-id'];
  t.regex(String(id), UUID);
  t.like(await lineOf(gh, String(id)), { path: '/pub/fresh' });
});

test('an unfit client X-Request-ID (too long, spaces, quotes, two of them, a tab) is replaced', async (t) => {
  const unfit: Array<string | string[]> = ['a'.repeat(129), 'two words', '"quoted"', '<script>', ['one', 'two']];
  for (const value of unfit) {
    const r = await new Browser(gh.http).fetch('/pub/unfit', { headers: { 'x-request-id': value as string } });
    const sent = String(echo(r).headers['x-request-id']);
    t.regex(sent, UUID, JSON.stringify(value));
    t.like(await lineOf(gh, sent), { path: '/pub/unfit' });
  }
  // A control character (tab inside the value) over a raw socket: undici would not send it.
  const raw = await rawRequest(gh.http, 'GET /pub/raw HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\tb\r\nConnection: close\r\n\r\n');
  const sent = String((JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as EchoReply).headers['x-request-id']);
  t.regex(sent, UUID);
  t.false(readLines(gh).some((l) => l['requestId'] === 'a\tb'));
});

function rawRequest(base: string, text: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write(text));  // Connection: close ends it
    let out = '';
    s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('no session ID, cookie value, password or Authorization header appears in any log line', async (t) => {
  const b = new Browser(gh.http);
  t.is((await b.login('mona', PW, '/app/')).status, 302);
  const sid = b.cookies.get('PD-H-SESSION-ID')!;
  t.true(sid.length >= 32, 'logged in');
  await b.fetch('/app/x', { headers: { 'x-request-id': 'it-secret-1', authorization: 'Basic bW9uYTpodW50ZXIy' } });
  await b.fetch(`/pub/y?session=${sid}&password=${encodeURIComponent(PW)}`, { headers: { 'x-request-id': 'it-secret-2' } });
  await b.fetch('/app/z', { headers: { 'x-request-id': 'it-secret-3', cookie: `PD-H-SESSION-ID=${sid}; other=cookie-value-42` } });
  for (const id of ['it-secret-1', 'it-secret-2', 'it-secret-3']) await lineOf(gh, id);
  const all = logText(gh) + gh.log.join('\n');
  t.false(all.includes(sid), 'the session ID');
  t.false(all.includes(sid.slice(0, 16)), 'not even half of it');
  t.false(all.includes(PW), 'the password');
  t.false(all.includes('bW9uYTpodW50ZXIy'), 'the Authorization header');
  t.false(all.includes('cookie-value-42'), 'other cookies');
});

test('a WebSocket upgrade sends the request ID to the back-end and is logged with 101 when it closes', async (t) => {
  const sock = new WebSocket(`${gh.http.replace('http:', 'ws:')}/chat/ws`, { headers: { 'x-request-id': 'it-websocket' } });
  await new Promise<void>((resolve, reject) => { sock.once('open', () => resolve()); sock.once('error', reject); });
  const reply = new Promise<string>((resolve) => sock.once('message', (d: Buffer) => resolve(d.toString())));
  sock.send('hello');
  t.is(await reply, 'hello');
  t.is(ws.upgrades.at(-1)?.headers['x-request-id'], 'it-websocket');
  sock.close();
  t.like(await lineOf(gh, 'it-websocket'), { method: 'GET', path: '/chat/ws', status: 101, junction: '/chat', outcome: 'proxied' });
});

test('SIGHUP after a rename (logrotate): lines continue in a new access.log', async (t) => {
  t.is((await new Browser(gh.http).fetch('/pub/', { headers: { 'x-request-id': 'it-before-rotation' } })).status, 200);
  await lineOf(gh, 'it-before-rotation');
  const file = path.join(gh.dir, 'access.log');
  fs.renameSync(file, `${file}.1`);
  process.kill(gh.pid, 'SIGHUP');
  // The signal is handled asynchronously: ask until a request's line lands in the new file.
  const deadline = Date.now() + 20_000;
  let found = false;
  for (let i = 0; !found; i++) {
    if (Date.now() > deadline) break;
    await new Browser(gh.http).fetch('/pub/', { headers: { 'x-request-id': `it-after-rotation-${i}` } });
    await lineOf(gh, `it-after-rotation-${i}`);
    found = fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(`"it-after-rotation-${i}"`);
  }
  t.true(found, 'a line in the new file');
  t.true(fs.readFileSync(`${file}.1`, 'utf8').includes('"it-before-rotation"'), 'earlier lines stay in the renamed file');
});

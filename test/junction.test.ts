// The junction forwarder against real back-end servers on ephemeral ports:
// path stripping, header rules both ways, identity-header forgery, session
// cookie removal, round robin, passive health, 502/503/504, 64 MiB streams
// with back-pressure, client aborts, upstream resets and WebSockets.
import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { Junction, isReservedHeader, type ForwardContext, type ForwardFailure, type JunctionOptions } from '../lib/proxy/junction.js';
import { reservedHeaderSet } from '../lib/proxy/forward-headers.js';
import { InvalidArgumentError } from '../lib/session/errors.js';
import { createCertificate } from '../lib/admin/x509.js';
import {
  closedPort, pattern, patternSha256, startEaiSender, startEcho, startSink, startSlow, startSource, startStall, startWsEcho,
  type EchoReply, type TestBackend,
} from './helpers/backends.js';

const STATUS: Record<ForwardFailure, number> = { bad_gateway: 502, unavailable: 503, timeout: 504 };
const MiB = 1024 * 1024;

interface ProxyOptions {
  identity?: Record<string, string>;
  secure?: boolean;
  onResponseHeaders?: ForwardContext['onResponseHeaders'];
}

interface Proxy {
  readonly port: number;
  readonly failures: Array<{ kind: ForwardFailure; detail: string }>;
}

/** A minimal request pipeline: match, forward, render failures as `failure:<kind>`. */
async function startProxy(t: ExecutionContext, junction: Junction, opts: ProxyOptions = {}): Promise<Proxy> {
  const failures: Proxy['failures'] = [];
  const base = (req: http.IncomingMessage) => ({
    clientAddress: req.socket.remoteAddress ?? '',
    secure: opts.secure ?? false,
    identity: opts.identity ?? {},
  });
  const server = http.createServer((req, res) => {
    if (!junction.matches((req.url ?? '/').split('?')[0]!)) { res.statusCode = 404; res.end('no junction'); return; }
    junction.forward(req, res, {
      ...base(req),
      ...(opts.onResponseHeaders !== undefined ? { onResponseHeaders: opts.onResponseHeaders } : {}),
      onFailure(kind, detail) {
        failures.push({ kind, detail });
        res.writeHead(STATUS[kind], { 'content-type': 'text/plain' });
        res.end(`failure:${kind}`);
      },
    });
  });
  server.on('upgrade', (req, socket, head) => {
    junction.upgrade(req, socket, head, {
      ...base(req),
      ...(opts.onResponseHeaders !== undefined ? { onResponseHeaders: opts.onResponseHeaders } : {}),
      onFailure(kind, detail) {
        failures.push({ kind, detail });
        socket.end(`HTTP/1.1 ${STATUS[kind]} Failure\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  return { port: (server.address() as AddressInfo).port, failures };
}

/** A junction closed after the test (after the proxy and back-ends, so nothing is in flight). */
function junctionFor(t: ExecutionContext, options: JunctionOptions): Junction {
  const j = new Junction(options);
  t.teardown(() => j.close());
  return j;
}

async function backend<T extends TestBackend>(t: ExecutionContext, b: Promise<T>): Promise<T> {
  const started = await b;
  t.teardown(() => started.close());
  return started;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request with exact raw headers (names keep their spelling; duplicates stay). */
function send(port: number, path: string, raw: string[] = [], method = 'GET', body?: Buffer | string): Promise<Reply> {
  const headers = raw.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host') ? raw : ['Host', `proxy.test:${port}`, ...raw];
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const echoOf = (r: Reply): EchoReply => JSON.parse(r.body.toString('utf8')) as EchoReply;

/** Polls until `cond` holds; fails the test (never hangs) after `ms`. */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** `p`, or a failure after `ms` (a broken proxy fails the test instead of hanging it). */
async function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

/** Waits until `value()` stops changing for `polls` polls in a row, or `done()` holds. */
async function settle(value: () => number, done: () => boolean, polls = 8): Promise<void> {
  let last = -1;
  let same = 0;
  while (!done() && same < polls) {
    await delay(50);
    const v = value();
    same = v === last ? same + 1 : 0;
    last = v;
  }
}

// Anything that looks like an identity header, spelled independently of the code under test.
const IDENTITY_LIKE = /^(iv[-_]|am[-_]eai[-_])/i;

// ---------------------------------------------------------------- options and matching

test('the constructor rejects bad options with InvalidArgumentError naming the problem', (t) => {
  const ok = { point: '/app', servers: ['http://127.0.0.1:9'] };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...ok, point: 'app' }, /point/],
    [{ ...ok, point: '/app/' }, /point/],
    [{ ...ok, point: '/a b' }, /point/],
    [{ ...ok, servers: [] }, /at least one server/],
    [{ ...ok, servers: ['ftp://127.0.0.1:21'] }, /not an http\(s\)/],
    [{ ...ok, servers: ['http://127.0.0.1:9/path'] }, /not an http\(s\)/],
    [{ ...ok, servers: ['http://user:pw@127.0.0.1:9'] }, /not an http\(s\)/],
    [{ ...ok, servers: ['not a url'] }, /not an http\(s\)/],
    [{ ...ok, connectTimeoutMs: -1 }, /connectTimeoutMs/],
    [{ ...ok, responseTimeoutMs: 1.5 }, /responseTimeoutMs/],
    [{ ...ok, idleTimeoutMs: '100' }, /idleTimeoutMs/],
    [{ ...ok, failureBackoffMs: 2 ** 40 }, /failureBackoffMs/],
    [{ ...ok, stripPoint: 'yes' }, /stripPoint/],
    [{ ...ok, reservedHeaders: ['bad name'] }, /reservedHeaders/],
    [{ ...ok, sessionCookieNames: [''] }, /sessionCookieNames/],
    [{ ...ok, tls: { ca: 5 } }, /tls\.ca/],
  ];
  for (const [options, message] of bad) {
    const err = t.throws(() => new Junction(options as unknown as JunctionOptions), { instanceOf: InvalidArgumentError, message }, JSON.stringify(options));
    t.is(err?.code, 'ERR_GH_INVALID_ARGUMENT');
  }
  t.throws(() => new Junction(null as unknown as JunctionOptions), { instanceOf: InvalidArgumentError });
});

test('matches() compares whole path segments', async (t) => {
  const app = junctionFor(t, { point: '/app', servers: ['http://127.0.0.1:9'] });
  for (const p of ['/app', '/app/', '/app/x', '/app/x/y']) t.true(app.matches(p), p);
  for (const p of ['/apple', '/ap', '/', '/other/app', 'app']) t.false(app.matches(p), p);
  const deep = junctionFor(t, { point: '/apps/hr', servers: ['http://127.0.0.1:9'] });
  t.true(deep.matches('/apps/hr/x'));
  t.false(deep.matches('/apps/hrx'));
  const root = junctionFor(t, { point: '/', servers: ['http://127.0.0.1:9'] });
  t.true(root.matches('/'));
  t.true(root.matches('/anything/at/all'));
  t.is(root.point, '/');
});

test('isReservedHeader: iv-*, iv_*, am-eai-* and reserved names, any case, _ read as -', (t) => {
  for (const n of ['iv-user', 'IV-USER', 'iv_user', 'Iv_Server_Name', 'iv-creds', 'iv-user-l', 'am-eai-server-task', 'AM_EAI_USER_ID']) {
    t.true(isReservedHeader(n), n);
  }
  for (const n of ['ivy', 'x-iv-user', 'iv', 'am-eai', 'user-agent', 'x-principal', 'cookie']) t.false(isReservedHeader(n), n);
  const reserved = reservedHeaderSet(['X-Principal', 'user_session_id']);
  for (const n of ['x-principal', 'X_PRINCIPAL', 'User-Session-Id', 'user_session_id']) t.true(isReservedHeader(n, reserved), n);
  t.false(isReservedHeader('x-principals', reserved));
});

// ---------------------------------------------------------------- requests

test('the junction point is stripped (standard junction) or kept', async (t) => {
  const echo = await backend(t, startEcho());
  const strip = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url] }));
  const cases: Array<[string, string]> = [
    ['/app/x/y?q=1&r=%20', '/x/y?q=1&r=%20'], ['/app', '/'], ['/app/', '/'], ['/app?q=1', '/?q=1'], ['/app/a%2Fb', '/a%2Fb'],
  ];
  for (const [sent, want] of cases) {
    const r = await send(strip.port, sent);
    t.is(r.status, 200, sent);
    t.is(echoOf(r).url, want, sent);
  }
  const keep = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url], stripPoint: false }));
  t.is(echoOf(await send(keep.port, '/app/x?y=1')).url, '/app/x?y=1');
  const root = await startProxy(t, junctionFor(t, { point: '/', servers: [echo.url] }));
  t.is(echoOf(await send(root.port, '/x/y')).url, '/x/y');
  t.is(echoOf(await send(root.port, '/')).url, '/');
});

test('the back-end gets its own Host, X-Forwarded-For appended, -Proto, -Host and the identity headers', async (t) => {
  const echo = await backend(t, startEcho());
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url] }), {
    secure: true, identity: { 'iv-user': 'alice', 'iv-groups': '"g1","g2"' },
  });
  const r = await send(proxy.port, '/app/who', [
    'Host', 'www.example.test', 'X-Forwarded-For', '10.1.1.1', 'x-forwarded-for', '10.2.2.2',
    'X-Forwarded-Proto', 'ftp', 'X-Forwarded-Host', 'evil.test', 'Accept', 'text/plain',
  ]);
  const e = echoOf(r);
  t.is(e.headers.host, `127.0.0.1:${echo.port}`);
  t.is(e.headers['x-forwarded-for'], '10.1.1.1, 10.2.2.2, 127.0.0.1');
  t.is(e.headers['x-forwarded-proto'], 'https');
  t.is(e.headers['x-forwarded-host'], 'www.example.test');
  t.is(e.headers['iv-user'], 'alice');
  t.is(e.headers['iv-groups'], '"g1","g2"');
  t.is(e.headers.accept, 'text/plain');
  const names = e.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const n of ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'iv-user']) {
    t.is(names.filter((x) => x === n).length, 1, n);
  }
  const plain = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url] }), { secure: false });
  const p = echoOf(await send(plain.port, '/app/'));
  t.is(p.headers['x-forwarded-proto'], 'http');
  t.is(p.headers['x-forwarded-for'], '127.0.0.1');
});

test('no client-sent identity header reaches the back-end, whatever its spelling or count', async (t) => {
  const echo = await backend(t, startEcho());
  const forged = [
    'IV-USER', 'mallory1', 'iv-user', 'mallory2', 'Iv-User', 'mallory3', 'iv_user', 'mallory4',
    'IV-Groups', 'mallory-admins', 'iv-groups', 'mallory-admins2', 'iv_server_name', 'mallory-server',
    'IV_SERVER_NAME', 'mallory-server2', 'iv-creds', 'mallory-creds', 'iv-user-l', 'cn=mallory',
    'iv-remote-address', 'mallory-ip', 'am-eai-server-task', 'terminate all_sessions mallory-victim',
    'AM-EAI-Server-Task', 'mallory-task', 'am_eai_user_id', 'mallory-eai', 'X-Principal', 'mallory-p',
    'x_principal', 'mallory-p2', 'user-session-id', 'mallory-usid', 'USER_SESSION_ID', 'mallory-usid2',
    'X-Normal', 'ok', 'Ivy', 'ok', 'X-IV-User', 'ok',
  ];
  const identities: Array<Record<string, string>> = [{}, { 'iv-user': 'alice' }, { 'iv-user': 'alice', 'X-Principal': 'alice' }];
  for (const identity of identities) {
    const junction = junctionFor(t, { point: '/app', servers: [echo.url], reservedHeaders: ['x-principal', 'user-session-id'] });
    const proxy = await startProxy(t, junction, { identity });
    const e = echoOf(await send(proxy.port, '/app/', forged));
    const sent = JSON.stringify(identity);
    t.false(JSON.stringify(e.rawHeaders).includes('mallory'), sent);
    const names = e.rawHeaders.filter((_, i) => i % 2 === 0);
    const identityLike = names.filter((n) => IDENTITY_LIKE.test(n) || /^(x[-_]principal|user[-_]session[-_]id)$/i.test(n));
    t.deepEqual(identityLike.map((n) => n.toLowerCase()).sort(), Object.keys(identity).map((n) => n.toLowerCase()).sort(), sent);
    for (const [k, v] of Object.entries(identity)) t.is(e.headers[k.toLowerCase()], v, sent);
    t.is(e.headers['x-normal'], 'ok');
    t.is(e.headers['ivy'], 'ok');
    t.is(e.headers['x-iv-user'], 'ok');
  }
});

test('session cookies are removed from Cookie; the other cookies are kept', async (t) => {
  const echo = await backend(t, startEcho());
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url], sessionCookieNames: ['PD-S-SESSION-ID', 'PD-ID'] }));
  const e = echoOf(await send(proxy.port, '/app/', [
    'Cookie', 'a=1; PD-S-SESSION-ID=secret1; b=2', 'cookie', 'PD-ID=secret2;c=3; PD-S-SESSION-ID=secret3',
  ]));
  t.is(e.headers.cookie, 'a=1; b=2; c=3');
  t.false(JSON.stringify(e.rawHeaders).includes('secret'));
  const only = echoOf(await send(proxy.port, '/app/', ['Cookie', 'PD-S-SESSION-ID=secret4']));
  t.is(only.headers.cookie, undefined);
  t.false(JSON.stringify(only.rawHeaders).includes('secret'));
  // The one-cookie fast path: padded names are still recognised, a lone other cookie is kept.
  const padded = echoOf(await send(proxy.port, '/app/', ['Cookie', ' PD-ID =secret5']));
  t.false(JSON.stringify(padded.rawHeaders).includes('secret'));
  t.is(echoOf(await send(proxy.port, '/app/', ['Cookie', 'theme=dark'])).headers.cookie, 'theme=dark');
  t.is(echoOf(await send(proxy.port, '/app/', ['Cookie', 'PD-S-SESSION-IDX=1'])).headers.cookie, 'PD-S-SESSION-IDX=1');
});

test('hop-by-hop headers are removed both ways; Set-Cookie arrays pass intact; onResponseHeaders may edit', async (t) => {
  const echo = await backend(t, startEcho({
    responseHeaders: {
      Connection: 'X-Back-Hop', 'X-Back-Hop': 'hop', 'Keep-Alive': 'timeout=99', 'Proxy-Authenticate': 'Basic',
      Upgrade: 'h2c', 'Set-Cookie': ['a=1; Path=/', 'b=2; HttpOnly'], 'X-Kept': 'yes', 'am-eai-server-task': 'terminate session x',
    },
  }));
  const seen: Array<{ status: number; headers: Record<string, string | string[]> }> = [];
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url] }), {
    onResponseHeaders(status, headers) {
      seen.push({ status, headers: { ...headers } });
      delete headers['am-eai-server-task'];
    },
  });
  const r = await send(proxy.port, '/app/', [
    'Connection', 'keep-alive, X-Client-Hop', 'X-Client-Hop', 'hop', 'Keep-Alive', 'timeout=5',
    'Proxy-Authorization', 'Basic eHl6', 'Proxy-Connection', 'keep-alive', 'TE', 'trailers', 'Trailer', 'X-Foo',
    'Upgrade', 'foo/1', 'X-Kept', 'yes', 'Transfer-Encoding', 'chunked',
  ], 'POST', 'hello');
  t.is(r.status, 200);
  const e = echoOf(r);
  for (const n of ['x-client-hop', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
    t.is(e.headers[n], undefined, `request ${n}`);
  }
  t.is(e.headers['x-kept'], 'yes');
  t.is(e.bytes, 5, 'the chunked body was re-framed, not lost');
  const get = echoOf(await send(proxy.port, '/app/', ['Connection', 'keep-alive']));
  t.is(get.headers['transfer-encoding'], undefined);
  t.is(get.headers['content-length'], undefined);
  for (const n of ['x-back-hop', 'proxy-authenticate', 'upgrade', 'am-eai-server-task']) t.is(r.headers[n], undefined, `response ${n}`);
  t.not(r.headers['keep-alive'], 'timeout=99');
  t.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
  t.is(r.headers['x-kept'], 'yes');
  t.is(seen.length, 2);
  t.is(seen[0]!.status, 200);
  t.is(seen[0]!.headers['am-eai-server-task'], 'terminate session x');
  t.is(seen[0]!.headers['x-back-hop'], undefined);
});

// ---------------------------------------------------------------- servers and failures

test('requests take turns over the servers (round robin)', async (t) => {
  const a = await backend(t, startEcho({ name: 'A' }));
  const b = await backend(t, startEcho({ name: 'B' }));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [a.url, b.url] }));
  const order: string[] = [];
  for (let i = 0; i < 8; i++) order.push(echoOf(await send(proxy.port, '/app/')).server);
  t.is(order.filter((s) => s === 'A').length, 4);
  t.is(order.filter((s) => s === 'B').length, 4);
  for (let i = 1; i < order.length; i++) t.not(order[i], order[i - 1], order.join(''));
});

test('passive health: a stopped server is skipped; when every server is down the answer is 503', async (t) => {
  const a = await startEcho({ name: 'A' });
  const b = await backend(t, startEcho({ name: 'B' }));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [a.url, b.url], failureBackoffMs: 60_000 }));
  await a.close();
  for (let i = 0; i < 6; i++) {
    const r = await send(proxy.port, '/app/');
    t.is(r.status, 200);
    t.is(echoOf(r).server, 'B');
  }
  t.deepEqual(proxy.failures, [], 'the refused connect was retried on B, not reported');
  await b.close();
  // B may still hold a kept-alive connection (a 502 without marking it down); then a refused connect marks it down.
  const statuses: number[] = [];
  while (statuses.at(-1) !== 503 && statuses.length < 5) statuses.push((await send(proxy.port, '/app/')).status);
  t.is(statuses.at(-1), 503, statuses.join());
  t.true(statuses.slice(0, -1).every((s) => s === 502), statuses.join());
  t.is(proxy.failures.at(-1)?.kind, 'unavailable');
  t.is((await send(proxy.port, '/app/')).status, 503);
});

test('a server marked down is tried again after failureBackoffMs', async (t) => {
  const port = await closedPort();
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [`http://127.0.0.1:${port}`], failureBackoffMs: 200 }));
  t.is((await send(proxy.port, '/app/')).status, 502);
  const back = await backend(t, startEcho({ name: 'back', port }));
  let r = await send(proxy.port, '/app/');
  for (let i = 0; r.status !== 200 && i < 100; i++) {
    t.true(r.status === 503 || r.status === 502, String(r.status));
    await delay(50);
    r = await send(proxy.port, '/app/');
  }
  t.is(r.status, 200);
  t.is(echoOf(r).server, 'back');
  t.true(back.requests.length >= 1);
});

test('a refused connect with no server left is a 502 (bad_gateway)', async (t) => {
  const port = await closedPort();
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [`http://127.0.0.1:${port}`] }));
  const r = await send(proxy.port, '/app/x');
  t.is(r.status, 502);
  t.is(r.body.toString(), 'failure:bad_gateway');
  t.is(proxy.failures.length, 1);
  t.is(proxy.failures[0]!.kind, 'bad_gateway');
  t.regex(proxy.failures[0]!.detail, /ECONNREFUSED/);
});

test('no response headers within responseTimeoutMs is a 504, and does not mark the server down', async (t) => {
  const slow = await backend(t, startSlow(60_000));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [slow.url], responseTimeoutMs: 300 }));
  for (let i = 0; i < 2; i++) {
    const r = await send(proxy.port, '/app/slow');
    t.is(r.status, 504);
    t.is(proxy.failures[i]?.kind, 'timeout');
  }
  t.is(slow.received, 2);
});

test('an upstream reset before the headers is a 502; after the headers the client connection is cut', async (t) => {
  const server = http.createServer((req, res) => {
    if (req.url === '/before') { req.socket.destroy(); return; }
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(1000, 1), () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [url] }));
  for (let i = 0; i < 2; i++) {
    const r = await send(proxy.port, '/app/before');
    t.is(r.status, 502, 'a reset is not a connect failure: the server is not marked down');
    t.is(proxy.failures[i]?.kind, 'bad_gateway');
  }
  const outcome = await new Promise<string>((resolve) => {
    const req = http.request({ port: proxy.port, host: '127.0.0.1', path: '/app/after', agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(`end ${res.statusCode}`));
      res.on('error', () => resolve(`cut ${res.statusCode}`));
      res.on('aborted', () => resolve(`cut ${res.statusCode}`));
    });
    req.on('error', () => resolve('cut'));
    req.end();
  });
  t.is(outcome, 'cut 200');
  t.is(proxy.failures.length, 2);
});

test('HTTPS back-ends are verified against tls.ca and tls.servername; an untrusted one is a 502', async (t) => {
  const ca = createCertificate({ commonName: 'Junction test CA', isCA: true });
  const leaf = createCertificate({ commonName: 'backend.test', altNames: ['backend.test'], usage: 'server', issuer: ca });
  const echo = await backend(t, startEcho({ name: 'tls', tls: { cert: leaf.certificatePem, key: leaf.privateKeyPem } }));
  t.true(echo.url.startsWith('https://'));
  const trusted = await startProxy(t, junctionFor(t, {
    point: '/app', servers: [echo.url], tls: { ca: ca.certificatePem, servername: 'backend.test' },
  }));
  const r = await send(trusted.port, '/app/x');
  t.is(r.status, 200);
  t.is(echoOf(r).server, 'tls');
  t.is(echoOf(r).url, '/x');
  const cases: Array<[string, JunctionOptions['tls']]> = [
    ['no CA', undefined], ['CA but the wrong name', { ca: ca.certificatePem }],
  ];
  for (const [what, tls] of cases) {
    const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url], ...(tls ? { tls } : {}) }));
    t.is((await send(proxy.port, '/app/x')).status, 502, what);
    t.is(proxy.failures[0]?.kind, 'bad_gateway', what);
  }
  const lax = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url], tls: { rejectUnauthorized: false } }));
  t.is((await send(lax.port, '/app/x')).status, 200);
});

test('an onResponseHeaders hook that throws is a 502 and nothing of the response is sent', async (t) => {
  const echo = await backend(t, startEcho({ responseHeaders: { 'x-from-backend': 'yes' } }));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [echo.url] }), {
    onResponseHeaders() { throw new Error('hook broke'); },
  });
  const r = await send(proxy.port, '/app/');
  t.is(r.status, 502);
  t.is(r.headers['x-from-backend'], undefined);
  t.is(r.body.toString(), 'failure:bad_gateway');
  t.regex(proxy.failures[0]!.detail, /hook broke/);
});

test('a body idle for idleTimeoutMs ends the exchange, in either direction', async (t) => {
  const stall = await backend(t, startStall());
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [stall.url], idleTimeoutMs: 300 }));
  // Download: the back-end sent 1 KiB of 1 MiB and went silent.
  const outcome = await within(new Promise<string>((resolve) => {
    const req = http.request({ port: proxy.port, host: '127.0.0.1', path: '/app/stall', agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve('end'));
      res.on('error', () => resolve(`cut ${res.statusCode}`));
      res.on('aborted', () => resolve(`cut ${res.statusCode}`));
    });
    req.on('error', () => resolve('cut'));
    req.end();
  }), 'the download to end');
  t.is(outcome, 'cut 200');
  t.true(await within(stall.cut[0]!, 'the back-end response to be cut'));

  // Upload: the client sends 1 KiB of a declared 1 MiB and goes silent.
  const sink = await backend(t, startSink());
  const up = await startProxy(t, junctionFor(t, { point: '/app', servers: [sink.url], idleTimeoutMs: 300 }));
  const post = http.request({
    port: up.port, host: '127.0.0.1', path: '/app/upload', method: 'POST', agent: false,
    headers: { 'content-length': String(MiB) },
  });
  post.on('error', () => {});
  const closed = new Promise<void>((resolve) => post.on('close', () => resolve()));
  post.write(Buffer.alloc(1024, 1));
  await until(() => sink.requests.length === 1, 'the upload to reach the sink');
  t.true(await within(sink.requests[0]!.aborted, 'the back-end request to be cut'));
  await within(closed, 'the client connection to close');
  t.true(post.destroyed);
});

// ---------------------------------------------------------------- streaming

test('a 64 MiB upload streams through with back-pressure and arrives intact', async (t) => {
  const size = 64 * MiB;
  let release!: () => void;
  const hold = new Promise<void>((r) => { release = r; });
  const sink = await backend(t, startSink({ hold }));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [sink.url] }));
  const req = http.request({
    port: proxy.port, host: '127.0.0.1', path: '/app/upload', method: 'POST', agent: false,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
  let written = 0;
  let allWritten = false;
  const writer = (async () => {
    for (const chunk of pattern(size, 7)) {
      written += chunk.length;
      if (!req.write(chunk)) await once(req, 'drain');
    }
    req.end();
    allWritten = true;
  })();
  await until(() => sink.requests[0]?.held === true, 'the sink to hold');
  // A buffering proxy would take all 64 MiB while the back-end reads nothing.
  await settle(() => written, () => allWritten);
  t.false(allWritten, 'the client could not write everything while the back-end was not reading');
  t.true(written < size);
  release();
  await writer;
  const r = await reply;
  t.is(r.status, 200);
  t.deepEqual(JSON.parse(r.body.toString()), { bytes: size, sha256: patternSha256(size, 7) });
});

test('a 64 MiB download streams through with back-pressure and arrives intact', async (t) => {
  const size = 64 * MiB;
  const source = await backend(t, startSource());
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [source.url] }));
  const hash = crypto.createHash('sha256');
  let received = 0;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ port: proxy.port, host: '127.0.0.1', path: `/app/bytes/${size}?seed=9`, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-length'], String(size));
  res.pause();
  const state = (): typeof source.responses[number] => source.responses[0]!;
  await until(() => source.responses.length === 1, 'the source to start');
  await settle(() => state().written, () => state().finished);
  t.false(state().finished, 'the source could not write everything while the client was not reading');
  t.true(state().written < size);
  res.on('data', (c: Buffer) => { received += c.length; hash.update(c); });
  res.resume();
  await once(res, 'end');
  t.is(received, size);
  t.is(hash.digest('hex'), patternSha256(size, 9));
});

test('a client that goes away mid-download or mid-upload takes the back-end request with it', async (t) => {
  const source = await backend(t, startSource());
  const sink = await backend(t, startSink());
  const down = await startProxy(t, junctionFor(t, { point: '/app', servers: [source.url] }));
  const up = await startProxy(t, junctionFor(t, { point: '/app', servers: [sink.url] }));

  const get = http.request({ port: down.port, host: '127.0.0.1', path: `/app/bytes/${64 * MiB}`, agent: false });
  get.on('error', () => {});
  get.on('response', (res) => res.once('data', () => get.destroy()));
  get.end();
  await until(() => source.responses.length === 1, 'the download to start');
  t.true(await within(source.responses[0]!.aborted, 'the download to be cut'));

  const post = http.request({
    port: up.port, host: '127.0.0.1', path: '/app/upload', method: 'POST', agent: false,
    headers: { 'content-length': String(64 * MiB) },
  });
  post.on('error', () => {});
  post.write(Buffer.alloc(MiB, 3));
  await until(() => (sink.requests[0]?.received ?? 0) > 0, 'the upload to start');
  post.destroy();
  t.true(await within(sink.requests[0]!.aborted, 'the upload to be cut'));
});

// ---------------------------------------------------------------- upgrades

test('WebSocket echo through the junction; client iv-* and the session cookie never reach the back-end', async (t) => {
  const wsb = await backend(t, startWsEcho());
  const junction = junctionFor(t, { point: '/app', servers: [wsb.url], sessionCookieNames: ['PD-S-SESSION-ID'] });
  const proxy = await startProxy(t, junction, { identity: { 'iv-user': 'alice' } });
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/app/ws/chat?room=1`, {
    headers: {
      'iv-user': ['mallory', 'mallory2'], 'IV-Groups': 'mallory-admins', iv_server_name: 'mallory-server',
      'am-eai-server-task': 'terminate all_sessions mallory-victim', cookie: 'PD-S-SESSION-ID=secret; keep=1',
    },
  });
  await once(ws, 'open');
  ws.send('hello');
  const [text, isBinary] = await once(ws, 'message') as [Buffer, boolean];
  t.is(text.toString(), 'hello');
  t.false(isBinary);
  const big = crypto.randomBytes(256 * 1024);
  ws.send(big);
  const [echoed] = await once(ws, 'message') as [Buffer];
  t.true(big.equals(echoed));
  const seen = wsb.upgrades[0]!;
  t.is(seen.url, '/ws/chat?room=1');
  t.is(seen.headers.upgrade, 'websocket');
  t.is(seen.headers['iv-user'], 'alice');
  t.deepEqual(seen.rawHeaders.filter((n, i) => i % 2 === 0 && IDENTITY_LIKE.test(n)), ['iv-user']);
  t.is(seen.headers.cookie, 'keep=1');
  t.false(JSON.stringify(seen.rawHeaders).includes('mallory'));
  t.false(JSON.stringify(seen.rawHeaders).includes('secret'));
  t.is(seen.headers['x-forwarded-for'], '127.0.0.1');
  ws.close();
  await once(ws, 'close');
});

test('an upgrade the back-end refuses is relayed; no server is a 502; close() ends open tunnels', async (t) => {
  const wsb = await backend(t, startWsEcho());
  const junction = junctionFor(t, { point: '/app', servers: [wsb.url] });
  const proxy = await startProxy(t, junction);
  const refused = new WebSocket(`ws://127.0.0.1:${proxy.port}/app/elsewhere`);
  refused.on('error', () => {});
  const [, res] = await once(refused, 'unexpected-response') as [unknown, http.IncomingMessage];
  t.is(res.statusCode, 404);
  res.resume();

  const port = await closedPort();
  const nowhere = await startProxy(t, junctionFor(t, { point: '/app', servers: [`http://127.0.0.1:${port}`] }));
  const failed = new WebSocket(`ws://127.0.0.1:${nowhere.port}/app/ws`);
  failed.on('error', () => {});
  const [, res502] = await once(failed, 'unexpected-response') as [unknown, http.IncomingMessage];
  t.is(res502.statusCode, 502);
  res502.resume();
  t.is(nowhere.failures[0]?.kind, 'bad_gateway');

  const open = new WebSocket(`ws://127.0.0.1:${proxy.port}/app/ws`);
  open.on('error', () => {});
  await once(open, 'open');
  const closed = once(open, 'close');
  await junction.close();
  await closed;
  t.is(open.readyState, WebSocket.CLOSED);
});

// ---------------------------------------------------------------- am-eai-* on every response path

/** Sends an upgrade request on a raw socket; resolves with the response head (and what followed, after `send`). */
function rawUpgrade(port: number, path: string, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    sock.setEncoding('latin1');
    sock.on('error', reject);
    sock.on('data', (d: string) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (send !== '' && text.startsWith('HTTP/1.1 101') && !text.slice(end + 4).includes(send)) { if (!sock.writableEnded) sock.write(send); return; }
      sock.destroy();
      resolve(text);
    });
    sock.on('close', () => resolve(text));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  });
}

test('am-eai-* response headers never reach the client, and the hook sees am-eai-server-task, on every response path', async (t) => {
  const sender = await backend(t, startEaiSender('terminate all_sessions bob'));
  const seen: Array<{ status: number; task: unknown }> = [];
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [sender.url] }), {
    onResponseHeaders(status, headers) { seen.push({ status, task: headers['am-eai-server-task'] }); },
  });
  // A back-end error page (a plain response).
  const plain = await send(proxy.port, '/app/x');
  t.is(plain.status, 500);
  t.is(plain.body.toString(), 'back-end error page');
  t.false(Object.keys(plain.headers).some((n) => n.startsWith('am-eai-')), JSON.stringify(plain.headers));
  // 101: switched, the tunnel works, no am-eai-* in the head.
  const switched = await within(rawUpgrade(proxy.port, '/app/ws', 'ping'), '101');
  t.regex(switched, /^HTTP\/1\.1 101 /);
  t.regex(switched, /ping/);
  t.notRegex(switched, /am-eai/i);
  // A refused upgrade, relayed.
  const refused = await within(rawUpgrade(proxy.port, '/app/other'), 'refused upgrade');
  t.regex(refused, /^HTTP\/1\.1 403 /);
  t.notRegex(refused, /am-eai/i);
  t.deepEqual(seen.map((s) => s.status), [500, 101, 403]);
  t.true(seen.every((s) => s.task === 'terminate all_sessions bob'));
});

test('an upgrade whose onResponseHeaders hook throws is refused with 502; nothing of the back-end answer is sent', async (t) => {
  const sender = await backend(t, startEaiSender('terminate all_sessions bob'));
  const proxy = await startProxy(t, junctionFor(t, { point: '/app', servers: [sender.url] }), {
    onResponseHeaders() { throw new Error('hook broke'); },
  });
  for (const path of ['/app/ws', '/app/other']) {
    const r = await within(rawUpgrade(proxy.port, path), path);
    t.regex(r, /^HTTP\/1\.1 502 /, path);
    t.notRegex(r, /am-eai|Switching|Forbidden/i, path);
  }
});

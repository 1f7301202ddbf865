// request-path.test.ts -- a public junction is no way around a login, for
// every encoding a lenient back-end may decode. A real `gatehouse serve` in
// front of one back-end (helpers/lenient-backend.ts) that decodes as
// aggressively as any common server and serves a secret under /app; /app is
// protected, /pub and / are public, all three on that back-end unstripped.
import net from 'node:net';
import test from 'ava';
import { canonicalPath } from '../lib/proxy/request-path.js';
import { startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { lenientRead, SECRET, startLenient, type LenientBackend } from './helpers/lenient-backend.js';

// Each reaches /app/secret.txt (or /app) at the lenient back-end when forwarded as is.
const ATTACKS = [
  '/pub/../app/secret.txt',
  '/pub/./../app/secret.txt',
  '/pub/x/../../app/secret.txt',
  '/pub//../app/secret.txt',
  '/pub/..%2fapp/secret.txt',
  '/pub/..%2Fapp/secret.txt',
  '/pub/%2e%2e/app/secret.txt',
  '/pub/%2E%2E%2Fapp%2Fsecret.txt',
  '/pub/.%2e/app/secret.txt',
  '/pub/%2e./app/secret.txt',
  '/pub/%252e%252e/app/secret.txt',
  '/pub/..%252fapp/secret.txt',
  '/pub/..%252Fapp/secret.txt',
  '/pub/%25252e%25252e%25252fapp/secret.txt',
  '/pub/..;/app/secret.txt',
  '/pub/..;jsessionid=1/app/secret.txt',
  '/pub/.;x/..;/app/secret.txt',
  '/pub/%2e%2e;/app/secret.txt',
  '/pub/..%3b/app/secret.txt',
  '/pub/..%253b/app/secret.txt',
  '/pub/..\\app\\secret.txt',
  '/pub\\..\\app\\secret.txt',
  '/pub/..%5capp%5csecret.txt',
  '/pub/..%5Capp/secret.txt',
  '/pub/..%255capp/secret.txt',
  '/pub/%c0%ae%c0%ae/app/secret.txt',
  '/pub/..%c0%afapp/secret.txt',
  '/pub/..%C0%AFapp/secret.txt',
  '/pub/..%e0%80%afapp/secret.txt',
  '/pub/%e0%80%ae%e0%80%ae/app/secret.txt',
  '/pub/..%c1%9capp/secret.txt',
  '/pub/..%f0%80%80%afapp/secret.txt',
  '/pub/%uff0e%uff0e/app/secret.txt',
  '/pub/..%u002fapp/secret.txt',
  '/pub/%ef%bc%8e%ef%bc%8e/app/secret.txt',
  '/pub/..%ef%bc%8fapp/secret.txt',
  '/pub/%e2%80%a5/app/secret.txt',
  '/pub/.../app/secret.txt',
  '/pub/%00/../app/secret.txt',
  '/pub/..%00/app/secret.txt',
  '/pub/x%00/../../app/secret.txt',
  '/pub/..%09/app/secret.txt',
  // Through the public root junction: the literal path is under /, the back-end reads /app.
  '//app/secret.txt',
  '/app;x/secret.txt',
  '/app;/secret.txt',
  '/%61pp/secret.txt',
  '/%2561pp/secret.txt',
  '/ap%70/secret.txt',
  '/%61pp',
];

// Must still pass, through /pub to the back-end.
const BENIGN: Array<[string, string]> = [
  ['/pub/a.b/c', '/pub/a.b/c'],
  ['/pub/file.v2..txt', '/pub/file.v2..txt'],
  ['/pub/.well-known/x', '/pub/.well-known/x'],
  ['/pub/%20x', '/pub/ x'],
  ['/pub/a%2Bb', '/pub/a+b'],
  ['/pub/file;v=1', '/pub/file'],
  ['/pub/caf%C3%A9', '/pub/café'],
  ['/pub/%E4%B8%AD%E6%96%87', '/pub/中文'],
  ['/pub/100%', '/pub/100%'],
  ['/pub/x?q=../../app/secret.txt', '/pub/x'],
  ['/pub/', '/pub'],
];

test('canonicalPath: ordinary paths come back as they are, without a second look', (t) => {
  for (const p of ['/', '/app', '/app/', '/app/index.html', '/app/a-b_c~d/e.f.g', '/pub/file.v2..txt'])
    t.is(canonicalPath(p), p);
});

test('canonicalPath: decodes for the match, cuts path parameters, merges slashes', (t) => {
  t.is(canonicalPath('/%61pp/x'), '/app/x');
  t.is(canonicalPath('/app;v=1/x;y'), '/app/x');
  t.is(canonicalPath('//app///x/'), '/app/x/');
  t.is(canonicalPath('/pub/%E4%B8%AD'), '/pub/\xe4\xb8\xad');  // bytes as Latin-1 characters
});

test('canonicalPath refuses every attack input (a table the lenient back-end turns into /app)', (t) => {
  for (const p of ATTACKS) {
    t.true(lenientRead(p).startsWith('/app'), `the lenient back-end reads ${p} as ${lenientRead(p)}`);
    // Through /pub: refused outright. Through /: canonically under /app, which the gateway's match refuses.
    if (p.startsWith('/pub')) t.is(canonicalPath(p), undefined, p);
    else t.regex(canonicalPath(p) ?? '/app', /^\/app(\/|$)/, p);
  }
});

let gh: RunningGatehouse;
let backend: LenientBackend;

test.before(async () => {
  backend = await startLenient();
  gh = await startGatehouse({
    users: [],
    config: {
      admin: { enabled: 'no' },
      junctions: {
        '/app': { servers: [backend.url], 'strip-point': 'no' },
        '/pub': { servers: [backend.url], 'strip-point': 'no', public: 'yes' },
        '/': { servers: [backend.url], public: 'yes' },
      },
    },
  });
});

test.after.always(async () => {
  await gh?.stop();
  await backend?.close();
});

/** Sends the request line as given (no client-side normalisation) and reads the whole answer. */
function raw(path: string, extra = ''): Promise<{ status: number; text: string }> {
  const u = new URL(gh.http);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let text = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { text += d; });
    sock.on('error', reject);
    sock.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`, 'latin1');
  });
}

test.serial('the lenient back-end serves the secret to these paths when asked directly (the table can fail)', async (t) => {
  for (const p of ['/pub/..%2fapp/secret.txt', '/pub/..;/app/secret.txt', '/pub/..%c0%afapp/secret.txt', '/%61pp/secret.txt']) {
    const r = await fetch(`${backend.url}${p}`);
    t.regex(await r.text(), new RegExp(SECRET), p);
  }
});

test.serial('no encoding of a path through a public junction reaches a protected one: 400', async (t) => {
  const before = backend.seen.length;
  for (const p of ATTACKS) {
    const r = await raw(p);
    t.is(r.status, 400, p);
    t.notRegex(r.text, new RegExp(SECRET), p);
  }
  t.deepEqual(backend.seen.slice(before).filter((s) => s.startsWith('/app')), []);
});

test.serial('WebSocket upgrades are held to the same path rules', async (t) => {
  const ws = 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  for (const p of ['/pub/..%2fapp/ws', '/pub/..;/app/ws', '/%61pp/ws', '//app/ws', '/pub/%c0%ae%c0%ae/app/ws']) {
    const r = await raw(p, ws);
    t.is(r.status, 400, p);
  }
});

test.serial('ordinary paths with dots, escapes and parameters still pass through a public junction', async (t) => {
  for (const [p, read] of BENIGN) {
    const r = await raw(p);
    t.is(r.status, 200, `${p}: ${r.text.slice(0, 300)}`);
    t.true(r.text.endsWith(`public ${read}`), `${p}: ${r.text.slice(-80)}`);
  }
});

test.serial('the protected junction still asks for a login, however its path is spelled', async (t) => {
  for (const p of ['/app/secret.txt', '/app/./secret.txt', '/app/%73ecret.txt']) {
    const r = await raw(p);
    t.notRegex(r.text, new RegExp(SECRET), p);
    t.true(r.status === 200 ? /pkmslogin\.form/.test(r.text) : r.status === 400, `${p}: ${r.status}`);
  }
});

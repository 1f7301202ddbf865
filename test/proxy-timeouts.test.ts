// proxy-timeouts.test.ts -- slow clients on the proxy listener: a request
// head or body that stalls or trickles ends the connection within the
// configured limits (listen.client-connect-timeout, intra-connection-timeout),
// on the proxy's own forms and on a junction alike; a request that is complete
// and waits for a slow back-end is not cut. Raw sockets, small limits.
import net from 'node:net';
import test from 'ava';
import { startEcho, startSlow, type EchoBackend, type TestBackend } from './helpers/backends.js';
import { startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

let gh: RunningGatehouse;
let echo: EchoBackend;
let slow: TestBackend;

test.before(async () => {
  echo = await startEcho();
  slow = await startSlow(2500);
  gh = await startGatehouse({
    users: [],
    config: {
      admin: { enabled: 'no' },
      listen: { http: { host: '127.0.0.1', port: 0 }, 'client-connect-timeout': 2, 'intra-connection-timeout': 1 },
      junctions: {
        '/pub': { servers: [echo.url], public: 'yes' },
        '/slow': { servers: [slow.url], public: 'yes' },
      },
    },
  });
});

test.after.always(async () => {
  await gh?.stop();
  await echo?.close();
  await slow?.close();
});

/** Generous: the limits are 1-2 s; a listener without them keeps the socket open past this. */
const GIVE_UP_MS = 15_000;

interface Outcome { closedByServer: boolean; received: string }

/**
 * Opens a connection, lets `feed` write to it, and waits until the server
 * closes it (closedByServer) or GIVE_UP_MS pass (then it is closed here).
 */
function slowClient(feed: (sock: net.Socket) => void): Promise<Outcome> {
  const u = new URL(gh.http);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let received = '';
    let gaveUp = false;
    const timer = setTimeout(() => { gaveUp = true; sock.destroy(); }, GIVE_UP_MS);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => { received += d; });
    sock.on('error', () => { /* a reset is a close too */ });
    sock.on('close', () => { clearTimeout(timer); resolve({ closedByServer: !gaveUp, received }); });
    sock.on('connect', () => feed(sock));
    sock.once('error', (err) => { if (!sock.connecting) return; reject(err); });
  });
}

const formHead = (path: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 16384\r\n\r\n`;

for (const path of ['/pkmslogin.form', '/pkmsdisplace', '/pub/upload']) {
  test.serial(`${path}: a body that declares 16 KiB and sends one byte is closed by the server`, async (t) => {
    const before = echo.requests.length;
    const r = await slowClient((sock) => sock.write(`${formHead(path)}u`));
    t.true(r.closedByServer, `still open after ${GIVE_UP_MS} ms: ${r.received.slice(0, 200)}`);
    t.is(echo.requests.length, before);  // the back-end never got a complete request
  });
}

test.serial('a login form that trickles (a byte every 400 ms) is closed at client-connect-timeout', async (t) => {
  let timer: NodeJS.Timeout | undefined;
  const r = await slowClient((sock) => {
    sock.write(formHead('/pkmslogin.form'));
    timer = setInterval(() => { if (sock.writable) sock.write('a'); }, 400);
  });
  clearInterval(timer);
  t.true(r.closedByServer, `still open after ${GIVE_UP_MS} ms`);
});

test.serial('a request head that never completes is closed', async (t) => {
  const r = await slowClient((sock) => sock.write('GET /pub/ HTTP/1.1\r\nHost: x\r\n'));
  t.true(r.closedByServer);
  const silent = await slowClient(() => { /* connects, sends nothing */ });
  t.true(silent.closedByServer);
});

test.serial('a complete request waiting longer than intra-connection-timeout for its back-end is answered', async (t) => {
  const r = await slowClient((sock) => sock.write('GET /slow/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  t.regex(r.received, /^HTTP\/1\.1 200 /);
  t.regex(r.received, /late$/);
});

test.serial('a normal form post and a keep-alive connection still work', async (t) => {
  const body = 'a=1&b=2';
  const r = await slowClient((sock) => sock.write(
    `POST /pub/form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
    'GET /pub/again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  t.is(r.received.match(/HTTP\/1\.1 200 /g)?.length, 2, r.received.slice(0, 300));
});

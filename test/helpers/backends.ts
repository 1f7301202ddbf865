// backends.ts -- back-end servers for proxy tests, each on an ephemeral port:
// an echo server (answers with what it received as JSON), a streaming source
// and sink (deterministic bytes, sha256, observable back-pressure), a slow
// server and a WebSocket echo. close() cuts every open connection.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';

export interface TestBackend {
  readonly server: http.Server | https.Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (https: for a TLS server) */
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server, port = 0): Promise<TestBackend> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const p = (server.address() as AddressInfo).port;
  return {
    server,
    port: p,
    url: `${server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${p}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const b = await listen(http.createServer());
  await b.close();
  return b.port;
}

// ---------------------------------------------------------------- echo

export interface EchoReply {
  server: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  bytes: number;
  sha256: string;
}

export interface EchoOptions {
  /** Reported as `server` in every reply, to tell servers apart. */
  name?: string;
  /** Extra response headers (arrays become repeated headers). */
  responseHeaders?: http.OutgoingHttpHeaders;
  /** Listen on this port instead of an ephemeral one (restarting a stopped server). */
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

export type EchoBackend = TestBackend & { readonly requests: EchoReply[] };

/** Answers every request with an EchoReply; the body is hashed as it streams, never buffered. */
export async function startEcho(opts: EchoOptions = {}): Promise<EchoBackend> {
  const requests: EchoReply[] = [];
  const handler: http.RequestListener = (req, res) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
    req.on('end', () => {
      const reply: EchoReply = {
        server: opts.name ?? '', method: req.method ?? '', url: req.url ?? '',
        headers: req.headers, rawHeaders: req.rawHeaders, bytes, sha256: hash.digest('hex'),
      };
      requests.push(reply);
      for (const [k, v] of Object.entries(opts.responseHeaders ?? {})) if (v !== undefined) res.setHeader(k, v);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply));
    });
  };
  const server = opts.tls !== undefined ? https.createServer(opts.tls, handler) : http.createServer(handler);
  return Object.assign(await listen(server, opts.port), { requests });
}

// ---------------------------------------------------------------- deterministic bytes

/** `total` pseudo-random bytes from `seed` (xorshift32), in chunks: the same on every call. */
export function* pattern(total: number, seed = 1, chunkSize = 64 * 1024): Generator<Buffer> {
  let x = seed >>> 0 || 1;
  for (let sent = 0; sent < total; sent += chunkSize) {
    const n = Math.min(chunkSize, total - sent);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      words[i] = x;
    }
    yield Buffer.from(words.buffer, 0, n);
  }
}

export function patternSha256(total: number, seed = 1): string {
  const h = crypto.createHash('sha256');
  for (const c of pattern(total, seed)) h.update(c);
  return h.digest('hex');
}

// ---------------------------------------------------------------- source

export interface SourceState {
  /** Bytes handed to res.write so far. */
  written: number;
  /** Waiting for 'drain': the reader (the proxy) is not taking more. */
  waitingDrain: boolean;
  finished: boolean;
  /** Resolves true when the connection closed before all bytes were written. */
  readonly aborted: Promise<boolean>;
}

export type SourceBackend = TestBackend & { readonly responses: SourceState[] };

/**
 * GET /bytes/<n>?seed=<s> streams pattern(n, s) with back-pressure (write
 * until false, wait for drain) and reports its progress in `responses`.
 */
export async function startSource(): Promise<SourceBackend> {
  const responses: SourceState[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = /^\/bytes\/(\d+)$/.exec(u.pathname);
    if (m === null) { res.statusCode = 404; res.end(); return; }
    const total = Number(m[1]);
    let resolveAborted!: (v: boolean) => void;
    const state: SourceState = { written: 0, waitingDrain: false, finished: false, aborted: new Promise((r) => { resolveAborted = r; }) };
    responses.push(state);
    res.on('close', () => resolveAborted(!state.finished));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    const chunks = pattern(total, Number(u.searchParams.get('seed') ?? 1));
    const pump = (): void => {
      state.waitingDrain = false;
      for (;;) {
        if (res.destroyed) return;
        const next = chunks.next();
        if (next.done === true) { state.finished = true; res.end(); return; }
        state.written += next.value.length;
        if (!res.write(next.value)) { state.waitingDrain = true; res.once('drain', pump); return; }
      }
    };
    pump();
  });
  return Object.assign(await listen(server), { responses });
}

// ---------------------------------------------------------------- sink

export interface SinkState {
  received: number;
  /** Reading is held (see startSink's hold). */
  held: boolean;
  /** Resolves true when the request ended before its body was complete. */
  readonly aborted: Promise<boolean>;
}

export interface SinkOptions {
  /** After the first chunk, stop reading until this resolves. */
  hold?: Promise<void>;
}

export type SinkBackend = TestBackend & { readonly requests: SinkState[] };

/** Hashes a request body as it streams; answers {bytes, sha256}. */
export async function startSink(opts: SinkOptions = {}): Promise<SinkBackend> {
  const requests: SinkState[] = [];
  const server = http.createServer((req, res) => {
    let resolveAborted!: (v: boolean) => void;
    const state: SinkState = { received: 0, held: false, aborted: new Promise((r) => { resolveAborted = r; }) };
    requests.push(state);
    req.on('close', () => resolveAborted(!req.complete));
    const hash = crypto.createHash('sha256');
    let first = true;
    req.on('data', (c: Buffer) => {
      state.received += c.length;
      hash.update(c);
      if (first && opts.hold !== undefined) {
        req.pause();
        state.held = true;
        void opts.hold.then(() => { state.held = false; req.resume(); });
      }
      first = false;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ bytes: state.received, sha256: hash.digest('hex') }));
    });
  });
  return Object.assign(await listen(server), { requests });
}

// ---------------------------------------------------------------- slow

/** Sends response headers only after `delayMs` (the timer dies with close()). */
export async function startSlow(delayMs: number): Promise<TestBackend & { readonly received: number }> {
  const timers = new Set<NodeJS.Timeout>();
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    req.resume();
    const t = setTimeout(() => { timers.delete(t); res.end('late'); }, delayMs);
    timers.add(t);
    res.on('close', () => { clearTimeout(t); timers.delete(t); });
  });
  const b = await listen(server);
  return {
    ...b,
    get received() { return received; },
    close: async () => { for (const t of timers) clearTimeout(t); await b.close(); },
  };
}

// ---------------------------------------------------------------- stall

export type StallBackend = TestBackend & {
  /** One per request: resolves true when the connection closed before the response ended. */
  readonly cut: Array<Promise<boolean>>;
};

/**
 * Sends a 200 announcing 1 MiB, writes 1 KiB, then goes silent until the
 * connection closes (an idle response body). Request bodies are read.
 */
export async function startStall(): Promise<StallBackend> {
  const cut: Array<Promise<boolean>> = [];
  const server = http.createServer((req, res) => {
    cut.push(new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished))));
    req.resume();
    res.writeHead(200, { 'content-length': String(1024 * 1024) });
    res.write(Buffer.alloc(1024, 7));
  });
  return Object.assign(await listen(server), { cut });
}

// ---------------------------------------------------------------- WebSocket

export interface UpgradeSeen {
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
}

export type WsEchoBackend = TestBackend & { readonly upgrades: UpgradeSeen[] };

/**
 * A WebSocket echo at /ws (and below); every other upgrade gets a plain 404,
 * which a proxy should relay. Plain requests get 404 too.
 */
export async function startWsEcho(): Promise<WsEchoBackend> {
  const upgrades: UpgradeSeen[] = [];
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const server = http.createServer((_req, res) => { res.statusCode = 404; res.end('not here'); });
  server.on('upgrade', (req, socket, head) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (!(req.url ?? '').startsWith('/ws')) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot here\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const b = await listen(server);
  return {
    ...b,
    upgrades,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await b.close();
    },
  };
}

// ---------------------------------------------------------------- am-eai-* sender

/**
 * Answers every request with am-eai-* headers (am-eai-server-task: `task`):
 * plain requests with a 500 error page, upgrades whose path holds `ws` with
 * 101 (then echoes the bytes), other upgrades with a 403.
 */
export async function startEaiSender(task: string): Promise<TestBackend> {
  const eai = `am-eai-server-task: ${task}\r\nam-eai-user-id: bob\r\nAM-EAI-XATTRS: x\r\n`;
  const server = http.createServer((_req, res) => {
    res.writeHead(500, { 'am-eai-server-task': task, 'am-eai-user-id': 'bob', 'content-type': 'text/plain' });
    res.end('back-end error page');
  });
  server.on('upgrade', (req, socket: Socket) => {
    if ((req.url ?? '').includes('ws')) {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${eai}\r\n`);
      socket.pipe(socket);
    } else {
      socket.end(`HTTP/1.1 403 Forbidden\r\n${eai}content-length: 4\r\nconnection: close\r\n\r\nnope`);
    }
  });
  return listen(server);
}

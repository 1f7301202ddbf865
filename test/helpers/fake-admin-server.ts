// fake-admin-server.ts -- a minimal stand-in for the admin server
// (lib/admin/server.ts), written to the pinned admin API contract, so the
// AdminClient and the `gatehouse admin` shell can be tested end to end
// against a real session table and task engine before the real server lands.
// Only what the client tests need: Basic / Bearer / client-certificate auth,
// a two-permission ACL, the routes, the contract's error bodies, and hooks to
// stall or corrupt replies. Also makes a throwaway PKI with openssl.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { InvalidArgumentError, parseTask, SessionCache, TaskEngine, type TaskMessage, type TaskResponse } from '../../lib/index.js';
import { uniqueName } from './tables.js';

export interface FakePrincipal {
  groups: string[];
  /** `s` on /WebSEAL/<host>-<instance>/: run tasks, end sessions. */
  server: boolean;
  /** The higher privilege: sign-out-everyone. */
  signOutEveryone: boolean;
}

export interface FakeAdminOptions {
  cache: SessionCache;
  engine: TaskEngine;
  principals: Record<string, FakePrincipal>;
  /** user -> password (Basic). */
  passwords?: Record<string, string>;
  /** token -> principal (Bearer). */
  tokens?: Record<string, string>;
  /** HTTPS with this key pair; plain HTTP without. */
  tls?: { cert: string; key: string; clientCa?: string; certificatePrincipals?: Record<string, string> };
  /** Login IDs the registry knows (for invalidate); others are 404. */
  accounts?: Iterable<string>;
  /** Reply to a request with this instead (malformed replies), or 'stall' to never reply. */
  override?: (method: string, url: string) => { status: number; body: string; contentType?: string } | 'stall' | undefined;
}

export interface FakeRequest { method: string; url: string; principal: string | undefined; via: string | undefined }

export interface FakeAdminServer {
  url: string;
  requests: FakeRequest[];
  /** Registry state: login ID -> account-valid. */
  accounts: Map<string, boolean>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {},
    readonly messages?: TaskMessage[]) { super(message); }
}

export async function startFakeAdminServer(options: FakeAdminOptions): Promise<FakeAdminServer> {
  const requests: FakeRequest[] = [];
  const accounts = new Map<string, boolean>([...(options.accounts ?? [])].map((a) => [a, true]));
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const record: FakeRequest = { method: req.method ?? '', url: req.url ?? '', principal: undefined, via: undefined };
    requests.push(record);
    const o = options.override?.(record.method, record.url);
    if (o === 'stall') return;
    if (o !== undefined) {
      res.writeHead(o.status, { 'content-type': o.contentType ?? 'application/json' }).end(o.body);
      return;
    }
    handle(req, record, options, accounts)
      .then((body) => send(res, 200, body))
      .catch((err: unknown) => {
        if (err instanceof HttpError)
          send(res, err.status, { error: { code: err.code, message: err.message }, ...(err.messages ? { messages: err.messages } : {}) }, err.headers);
        else if (err instanceof InvalidArgumentError) send(res, 400, { error: { code: 'bad_argument', message: err.message } });
        else send(res, 500, { error: { code: 'internal', message: String(err) } });
      });
  };
  const server = options.tls
    ? https.createServer({
      cert: options.tls.cert, key: options.tls.key,
      ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    accounts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function handle(req: http.IncomingMessage, record: FakeRequest, o: FakeAdminOptions, accounts: Map<string, boolean>): Promise<unknown> {
  const url = new URL(req.url ?? '/', 'http://x');
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/healthz') return { status: 'ok' };
  const who = authenticate(req, o);
  record.principal = who.principal;
  record.via = who.method;
  const body = method === 'POST' ? await readJson(req) : undefined;
  const me = o.principals[who.principal]!;
  const need = (p: 'server' | 'signOutEveryone'): void => {
    if (!me[p]) throw new HttpError(403, 'forbidden', `${who.principal} may not do this (needs ${p === 'server' ? 's on the server object' : 'the sign-out-everyone privilege'})`);
  };
  const server = o.engine.serverName;
  const p = url.pathname.split('/').slice(1).map(decodeURIComponent);
  // /api/v1/<collection>/<name>/...: the name is the one variable segment.
  const route = `${method} /${p.map((s, i) => (i === 3 && p[0] === 'api' ? '*' : s)).join('/')}`;
  switch (route) {
    case 'GET /api/v1/whoami':
      return { principal: who.principal, method: who.method, groups: me.groups, permissions: { server: me.server, signOutEveryone: me.signOutEveryone } };
    case 'GET /api/v1/servers':
      return { servers: [server] };
    case 'GET /api/v1/servers/*/tasks':
      knownServer(p[3]!, server);
      return { tasks: [...TaskEngine.taskList()] };
    case 'POST /api/v1/servers/*/tasks': {
      knownServer(p[3]!, server);
      const task = (body as { task?: unknown })?.task;
      if (typeof task !== 'string') throw new HttpError(400, 'bad_request', 'body must be {"task": "<task string>"}');
      if (Buffer.byteLength(task) > 4096) throw new HttpError(400, 'task_too_long', 'the task is over 4096 bytes');
      // As the real server: a task that does not parse is a 400 carrying the parser's message.
      const parsed = parseTask(task);
      if (!parsed.ok) {
        const { messageId, text, offset } = parsed.error;
        throw new HttpError(400, 'bad_task', `the task does not parse: ${text}`, {}, [
          { id: messageId, code: 0x47540000 + parseInt(messageId.slice(5, 9), 16), severity: 'error', text: `${text} (at byte ${offset}).` },
        ]);
      }
      authorizeTask(task, need);
      return o.engine.run(task, p[3]);
    }
    case 'GET /api/v1/users/*/sessions':
      need('server');
      return listing(o.cache.listSessions(p[3]!));
    case 'GET /api/v1/sessions': {
      need('server');
      const max = url.searchParams.get('max');
      return listing(o.cache.listByPattern(url.searchParams.get('pattern') ?? '*', max === null ? {} : { max: Number(max) }));
    }
    case 'DELETE /api/v1/sessions/*':
      need('server');
      return { ended: o.cache.terminateSession(p[3]!) ? 1 : 0 };
    case 'DELETE /api/v1/users/*/sessions':
      need('server');
      return { ended: o.cache.terminateAllSessions(p[3]!) };
    case 'POST /api/v1/users/*/refresh':
      need('server');
      return { refreshed: o.cache.refreshAllSessions(p[3]!) };
    case 'POST /api/v1/sign-out-everyone':
      need('signOutEveryone');
      return { epoch: o.cache.signOutEveryone() };
    case 'POST /api/v1/users/*/invalidate': {
      need('server');
      if (!accounts.has(p[3]!)) throw new HttpError(404, 'unknown_user', `no user ${p[3]!} in the registry`);
      accounts.set(p[3]!, false);
      const end = (body as { endSessions?: unknown })?.endSessions === true;
      return { accountValid: false, ended: end ? o.cache.terminateAllSessions(p[3]!) : 0 };
    }
    case 'POST /isam/pdadmin':
      return pdadmin(body, o, server, need);
    default:
      throw new HttpError(404, 'not_found', `no route ${method} ${url.pathname}`);
  }
}

function knownServer(name: string, server: string): void {
  if (name !== server) throw new HttpError(404, 'unknown_server', `unknown server ${name}; \`server list\` names ${server}`);
}

function authorizeTask(task: string, need: (p: 'server' | 'signOutEveryone') => void): void {
  const t = parseTask(task);
  if (t.ok && t.command.kind === 'help') return;
  need(t.ok && t.command.kind === 'signout_all_sessions' ? 'signOutEveryone' : 'server');
}

function pdadmin(body: unknown, o: FakeAdminOptions, server: string, need: (p: 'server' | 'signOutEveryone') => void): unknown {
  const commands = (body as { commands?: unknown })?.commands;
  if (!Array.isArray(commands) || !commands.every((c) => typeof c === 'string')) throw new HttpError(400, 'bad_request', 'commands must be an array of strings');
  const plan = commands.map((c: string) => {
    const m = /^\s*server\s+(list|listtasks|task)\b\s*(\S*)\s*(.*)$/s.exec(c);
    if (!m) throw new HttpError(400, 'bad_command', `not a server command: ${c}`);
    if (m[1] === 'task') authorizeTask(m[3]!, need);  // every command is authorized before any runs
    return { command: c, verb: m[1]!, name: m[2]!, rest: m[3]! };
  });
  const out = plan.map(({ command, verb, name, rest }): { command: string } & TaskResponse => {
    if (verb === 'list') return { command, ok: true, results: [server], messages: [] };
    if (verb === 'listtasks') return { command, ok: true, results: [...TaskEngine.taskList()], messages: [] };
    return { command, ...o.engine.run(rest, name) };
  });
  const result = out.flatMap((r) => [...r.results, ...r.messages.map((m) => `${m.id} ${m.text}`)]).join('\n');
  return { result, commands: out };
}

// createdAt as ISO text, lastAccessAt as ms: the contract does not pin the form, the client takes both.
function listing(l: ReturnType<SessionCache['listSessions']>): unknown {
  return {
    total: l.total,
    sessions: l.sessions.map((s) => ({
      userSessionId: s.userSessionId, loginId: s.loginId, createdAt: new Date(s.createdAt).toISOString(),
      lastAccessAt: s.lastAccessAt, authMethod: s.authMethod, refreshNeeded: s.refreshNeeded,
    })),
  };
}

function authenticate(req: http.IncomingMessage, o: FakeAdminOptions): { principal: string; method: string } {
  const denied = new HttpError(401, 'unauthenticated', 'authentication failed', { 'www-authenticate': 'Basic realm="gatehouse-admin"' });
  const h = req.headers.authorization;
  if (h?.startsWith('Basic ')) {
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const expected = o.passwords?.[user];
    if (colon < 0 || expected === undefined || expected !== decoded.slice(colon + 1) || !o.principals[user]) throw denied;
    return { principal: user, method: 'password' };
  }
  if (h?.startsWith('Bearer ')) {
    const principal = o.tokens?.[h.slice(7)];
    if (principal === undefined || !o.principals[principal]) throw denied;
    return { principal, method: 'token' };
  }
  const socket = req.socket as TLSSocket;
  if (o.tls?.clientCa && socket.authorized) {
    const cn = socket.getPeerCertificate().subject?.CN;
    const principal = typeof cn === 'string' ? o.tls.certificatePrincipals?.[cn] : undefined;
    if (principal !== undefined && o.principals[principal]) return { principal, method: 'certificate' };
  }
  throw denied;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    req.resume();
    throw new HttpError(415, 'unsupported_media_type', 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, 'too_large', 'the body is over 64 KiB');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'the body is not JSON');
  }
}

export interface TestPki {
  dir: string;
  /** Trusts server and client certificates. */
  caPem: string;
  /** A CA that signed nothing here: trusting it alone must fail. */
  otherCaPem: string;
  serverCert: string;
  serverKey: string;
  /** CN=backend-app, clientAuth. */
  clientCert: string;
  clientKey: string;
  cleanup(): void;
}

/** Makes a CA, a server certificate for 127.0.0.1/localhost and a client certificate with the openssl CLI. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-admin-pki-'));
  const f = (n: string): string => path.join(dir, n);
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] }); };
  const ca = (name: string): void => ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '3650', '-subj', `/CN=Gatehouse test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, cn: string, ext: string): void => {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
      '-out', f(`${name}.pem`), '-days', '3650', '-extfile', f(`${name}.ext`));
  };
  ca('ca');
  ca('other');
  leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'backend-app', 'extendedKeyUsage=clientAuth\n');
  const read = (n: string): string => fs.readFileSync(f(n), 'utf8');
  return {
    dir, caPem: read('ca.pem'), otherCaPem: read('other.pem'), serverCert: read('server.pem'), serverKey: read('server.key'),
    clientCert: read('client.pem'), clientKey: read('client.key'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export const TEST_SERVER = 'default-webseald-testhost';

/** The principals most tests use: an administrator, an operator without the higher privilege, a viewer with neither. */
export const PRINCIPALS: Record<string, FakePrincipal> = {
  sec_master: { groups: ['iv-admin'], server: true, signOutEveryone: true },
  operator: { groups: ['ops'], server: true, signOutEveryone: false },
  viewer: { groups: [], server: false, signOutEveryone: false },
  'backend-app': { groups: ['apps'], server: true, signOutEveryone: false },
};
export const PASSWORDS: Record<string, string> = { sec_master: 'S3cret pass!', operator: 'op-pass', viewer: 'view-pass' };
export const TOKEN = 'gh_app1_0123456789abcdefghijklmnopqrstuv';

export interface AdminFixture {
  cache: SessionCache;
  engine: TaskEngine;
  server: FakeAdminServer;
  close(): Promise<void>;
}

/** A fresh table, engine and stand-in server (HTTPS when a PKI is given); close() removes all three. */
export async function startAdminFixture(pki?: TestPki, extra: Partial<FakeAdminOptions> = {}): Promise<AdminFixture> {
  const name = uniqueName('admin');
  const cache = SessionCache.create(name, { capacity: 256 });
  const engine = new TaskEngine(cache, { serverName: TEST_SERVER, sessionServerName: 'testhost-default', replicaSet: 'default' });
  try {
    const server = await startFakeAdminServer({
      cache, engine, principals: PRINCIPALS, passwords: PASSWORDS, tokens: { [TOKEN]: 'backend-app' },
      accounts: ['bob', 'carol', 'dave'],
      ...(pki ? { tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caPem, certificatePrincipals: { 'backend-app': 'backend-app' } } } : {}),
      ...extra,
    });
    return {
      cache, engine, server,
      close: async () => {
        await server.close();
        cache.close();
        SessionCache.unlink(name);
      },
    };
  } catch (err) {
    cache.close();
    SessionCache.unlink(name);
    throw err;
  }
}

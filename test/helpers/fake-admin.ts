// fake-admin.ts -- a stand-in for Gatehouse's admin API, just enough of the
// pinned contract for the ivadmin C client's tests: GET /api/v1/whoami,
// POST /isam/pdadmin (one `server task <name> <task>` per command) and
// GET /api/v1/servers/{server}/tasks, over HTTPS with a self-signed
// certificate made by the `openssl` CLI at start. Beside the real tasks it
// knows (list sessions, terminate all_sessions, help) it has two of its own
// for tests: `echo <text>` returns <text> verbatim as its one result line,
// `fake-reply garbage|no-commands|bad-severity` sends a malformed reply, and
// `fake-reply hex <hex>` sends those bytes as the reply body.
// It records every request (passwords never) so tests can check what the
// client sent.
import { execFileSync } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeAdminUser {
  readonly id: string;
  readonly password: string;
  /** May run tasks (the `s` permission); else 403. Any authenticated user may read the task list, as on the real server. */
  readonly mayAdminister: boolean;
}

export interface FakeAdminOptions {
  /** The pdadmin server name tasks must name. Default `default-webseald-test`. */
  readonly serverName?: string;
  readonly users: readonly FakeAdminUser[];
  /** Login ID -> its user session IDs. Mutated by `terminate all_sessions`. */
  readonly sessions?: Record<string, string[]>;
}

export interface FakeAdminRequest {
  readonly method: string;
  readonly path: string;
  /** The authenticated principal (Basic or admin_id), if any. */
  readonly principal?: string;
  /** The pdadmin commands, exactly as received. */
  readonly commands?: readonly string[];
  readonly status: number;
}

export interface FakeAdmin {
  readonly url: string; // https://127.0.0.1:<port>
  readonly port: number;
  /** PEM file that trusts the server's certificate. */
  readonly caFile: string;
  readonly serverName: string;
  readonly sessions: Record<string, string[]>;
  readonly requests: FakeAdminRequest[];
  close(): Promise<void>;
}

export interface TaskMessage {
  id: string;
  code: number;
  severity: 'info' | 'warning' | 'error';
  text: string;
}

interface TaskResult {
  ok: boolean;
  results: string[];
  messages: TaskMessage[];
}

/** The 401 message of every route (the real server's GHWAA0001E). */
export const FAKE_AUTH_FAILED = 'Authentication failed.';

const MAX_BODY = 64 * 1024;
const MAX_TASK = 4096;

/** Task list lines, in the real server's `<task> <args>` style. */
export const FAKE_TASK_LIST: readonly string[] = [
  'terminate session <user_session_id>',
  'terminate all_sessions <user_id>',
  'list sessions <user_id>',
  'help [<task>]',
];

/** Makes a self-signed certificate for localhost and 127.0.0.1 in `dir`. */
export function makeSelfSignedCert(dir: string, name = 'server'): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}-cert.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { certFile, keyFile };
}

// Task engine messages (GHWAT, 0x4754nnnn) and admin-plane ones (GHWAA,
// 0x4741nnnn), as the real server numbers them.
function message(num: string, sev: 'I' | 'W' | 'E', text: string, plane: 'T' | 'A' = 'T'): TaskMessage {
  const severity = sev === 'I' ? 'info' : sev === 'W' ? 'warning' : 'error';
  const base = plane === 'T' ? 0x47540000 : 0x47410000;
  return { id: `GHWA${plane}${num}${sev}`, code: base + parseInt(num, 16), severity, text };
}

const AUTH_FAILED = message('0001', 'E', FAKE_AUTH_FAILED, 'A');
const DENIED = message('0067', 'E', 'Authorization for the requested command has been denied.', 'A');
const UNKNOWN_SERVER = message('0069', 'E', 'Unknown server; `server list` shows this server\'s name.', 'A');

/** One login-ID argument: bare, or double-quoted with \" and \\ escapes. */
function loginArg(s: string): string | undefined {
  if (!s.startsWith('"')) return /^\S+$/.test(s) ? s : undefined;
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) out += s[++i];
    else if (c === '"') return i === s.length - 1 ? out : undefined;
    else out += c;
  }
  return undefined;
}

function runTask(task: string, sessions: Record<string, string[]>): TaskResult | { raw: string | Buffer } {
  const echo = /^echo (.*)$/s.exec(task);
  if (echo) return { ok: true, results: [echo[1] ?? ''], messages: [message('0099', 'I', 'Echoed.')] };
  const hex = /^fake-reply hex ((?:[0-9a-f]{2})*)$/.exec(task);
  if (hex) return { raw: Buffer.from(hex[1] ?? '', 'hex') };
  const fake = /^fake-reply (\S+)$/.exec(task);
  if (fake) {
    if (fake[1] === 'garbage') return { raw: '<html>Service Unavailable</html>' };
    if (fake[1] === 'no-commands') return { raw: JSON.stringify({ result: '', commands: [] }) };
    const bad = { ok: true, results: [], messages: [{ id: 'X', code: 1, severity: 'fatal', text: 'x' }] };
    return { raw: JSON.stringify({ result: '', commands: [{ command: task, ...bad }] }) };
  }
  if (task === 'help') {
    return { ok: true, results: [...FAKE_TASK_LIST], messages: [message('0011', 'I', `${FAKE_TASK_LIST.length} tasks; \`help <task>\` describes one.`)] };
  }
  const help = /^help (.+)$/s.exec(task);
  if (help) {
    const topic = help[1] ?? '';
    const matching = FAKE_TASK_LIST.filter((line) => line.startsWith(topic));
    if (matching.length === 0) return { ok: false, results: [], messages: [message('0055', 'E', `No task matches \`help ${topic}\`; \`help\` lists the tasks.`)] };
    return { ok: true, results: matching, messages: [message('0012', 'I', `${matching.length} task(s) match \`help ${topic}\`.`)] };
  }
  const m = /^(terminate all_sessions|list sessions) (.+)$/s.exec(task);
  const user = m ? loginArg(m[2] ?? '') : undefined;
  if (m && user !== undefined) {
    const held = sessions[user] ?? [];
    if (held.length === 0) return { ok: true, results: [], messages: [message('0003', 'W', `User ${user} has no sessions.`)] };
    if (m[1] === 'list sessions') {
      return { ok: true, results: held.map((id) => `${id} ${user}`), messages: [message('0007', 'I', `${held.length} session(s) listed.`)] };
    }
    sessions[user] = [];
    return { ok: true, results: [], messages: [message('0002', 'I', `${held.length} session(s) of user ${user} terminated.`)] };
  }
  throw new Error(`runTask: unplanned task ${task}`);
}

/** Like the real server, every task is parsed before any runs: the parse error, or undefined. */
function parseError(task: string): TaskMessage | undefined {
  if (/^(echo .*|fake-reply .+|help|help .+)$/s.test(task)) return undefined;
  const m = /^(terminate all_sessions|list sessions) (.+)$/s.exec(task);
  if (m && loginArg(m[2] ?? '') !== undefined) return undefined;
  return message('0101', 'E', 'Parse error: the words name no task (at byte 12).');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Starts the stand-in on 127.0.0.1, an ephemeral port. */
export async function startFakeAdmin(options: FakeAdminOptions): Promise<FakeAdmin> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-fake-admin-'));
  const { certFile, keyFile } = makeSelfSignedCert(dir);
  const serverName = options.serverName ?? 'default-webseald-test';
  const sessions = options.sessions ?? {};
  const requests: FakeAdminRequest[] = [];

  const authenticate = (id: unknown, password: unknown): FakeAdminUser | undefined => {
    if (typeof id !== 'string' || typeof password !== 'string') return undefined;
    const u = options.users.find((x) => x.id === id);
    // Compare even when the user is unknown, so timing does not tell.
    const ok = sameSecret(password, u?.password ?? '\u0000never');
    return u && ok ? u : undefined;
  };
  const basicUser = (req: IncomingMessage): FakeAdminUser | undefined => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const text = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return colon < 0 ? undefined : authenticate(text.slice(0, colon), text.slice(colon + 1));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: { method: string; path: string; principal?: string; commands?: string[]; status: number } = {
      method: req.method ?? '', path, status: 0,
    };
    requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    const error = (status: number, code: string, text: string, messages?: TaskMessage[]): void => {
      send(status, { error: { code, message: text }, ...(messages ? { messages } : {}) },
        status === 401 ? { 'www-authenticate': 'Basic realm="gatehouse-admin"' } : {});
    };

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return error(413, 'body_too_large', 'The request body is larger than 64 KiB.');
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');

    if (path === '/api/v1/whoami') {
      if (req.method !== 'GET') return error(405, 'method_not_allowed', 'Use GET.');
      const u = basicUser(req);
      if (!u) return error(401, 'unauthenticated', FAKE_AUTH_FAILED, [AUTH_FAILED]);
      record.principal = u.id;
      return send(200, { principal: u.id, method: 'password', groups: [], permissions: { server: u.mayAdminister } });
    }

    const tasksRoute = /^\/api\/v1\/servers\/([^/]+)\/tasks$/.exec(path);
    if (tasksRoute) {
      if (req.method !== 'GET') return error(405, 'method_not_allowed', 'Use GET.');
      const u = basicUser(req);
      if (!u) return error(401, 'unauthenticated', FAKE_AUTH_FAILED, [AUTH_FAILED]);
      record.principal = u.id;
      const name = decodeURIComponent(tasksRoute[1] ?? '');
      if (name !== serverName) return error(404, 'unknown_server', `unknown server '${name}'; this server is ${serverName}`, [UNKNOWN_SERVER]);
      return send(200, { tasks: [...FAKE_TASK_LIST] });
    }

    if (path === '/isam/pdadmin') {
      if (req.method !== 'POST') return error(405, 'method_not_allowed', 'Use POST.');
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        return error(415, 'unsupported_media_type', 'Send application/json.');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return error(400, 'malformed_json', 'The request body is not valid JSON.');
      }
      const b = body as { admin_id?: unknown; admin_pwd?: unknown; commands?: unknown };
      if (typeof body !== 'object' || body === null || !Array.isArray(b.commands) ||
          !b.commands.every((c) => typeof c === 'string')) {
        return error(400, 'bad_request', 'Expected {"admin_id", "admin_pwd", "commands": [string...]}.');
      }
      const commands = b.commands as string[];
      record.commands = [...commands];
      const u = authenticate(b.admin_id, b.admin_pwd);
      if (!u) return error(401, 'unauthenticated', FAKE_AUTH_FAILED, [AUTH_FAILED]);
      record.principal = u.id;
      const parsed: { task: string; command: string }[] = [];
      for (const command of commands) {
        const m = /^server task (\S+) (.+)$/s.exec(command);
        if (!m) return error(400, 'bad_command', `Not a server task command: ${JSON.stringify(command.slice(0, 80))}.`);
        const where = `command ${parsed.length + 1} of ${commands.length}`;
        if (m[1] !== serverName) {
          return error(404, 'unknown_server', `${where}: unknown server '${m[1]}'; this server is ${serverName}; no command ran`, [UNKNOWN_SERVER]);
        }
        if (Buffer.byteLength(command) > MAX_TASK) return error(400, 'task_too_long', `${where} is longer than 4096 bytes`);
        const bad = parseError(m[2] ?? '');
        if (bad) return error(400, 'bad_task', `${where} does not parse: Parse error: the words name no task; no command ran`, [bad]);
        parsed.push({ task: m[2] ?? '', command });
      }
      // Every command is authorized before any runs.
      if (!u.mayAdminister) return error(403, 'forbidden', DENIED.text, [DENIED]);
      const results = [];
      for (const p of parsed) {
        const r = runTask(p.task, sessions);
        if ('raw' in r) {
          record.status = 200;
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(r.raw);
        }
        results.push({ command: p.command, ...r });
      }
      const result = results.flatMap((r) => [...r.results, ...r.messages.map((m) => `${m.id} ${m.text}`)]).join('\n');
      return send(200, { result, commands: results });
    }
    return error(404, 'not_found', `No route ${req.method ?? ''} ${path}.`);
  };

  const server: Server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: String(e) } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caFile: certFile,
    serverName,
    sessions,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

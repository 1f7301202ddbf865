// client.ts -- AdminClient: the TypeScript front door to the admin API
// (docs: the admin API contract). Back-ends end sessions with it:
//
//   const admin = new AdminClient({ url: 'https://127.0.0.1:7135', auth: { token }, ca });
//   await admin.run(tasks.terminateAllSessions('bob'));
//
// Arguments are checked before anything is sent (a bad one throws
// InvalidArgumentError and no request is made); replies are checked with
// zod; every failure after that is an AdminApiError.
import type { z } from 'zod';
import { checkLoginId, checkPattern } from '../session/checks.js';
import { GatehouseError, InvalidArgumentError } from '../session/errors.js';
import { checkMax, checkSessionToken } from '../tasks/quote.js';
import type { Task } from '../tasks/command.js';
import type { TaskMessage, TaskResponse } from '../tasks/response.js';
import type { AuthMethod } from '../session/reasons.js';
import type { AdminAction, AuthnMethod, Scope, SystemPrivilege } from './acl.js';
import { AdminApiError } from './client-error.js';
import { AdminHttp } from './client-http.js';
import {
  endedSchema, epochSchema, invalidateSchema, pdadminSchema, refreshedSchema, serversSchema,
  sessionListingSchema, taskResponseSchema, tasksSchema, userSessionListingSchema, validateSchema, whoamiSchema,
} from './client-schemas.js';

export { AdminApiError } from './client-error.js';

export type AdminAuth =
  | { user: string; password: string }
  | { token: string }
  | { certificate: { cert: string | Buffer; key: string | Buffer } };

export interface AdminClientOptions {
  /** The admin listener, e.g. https://127.0.0.1:7135 (config `[admin] host`, `port`). */
  url: string;
  auth: AdminAuth;
  /** PEM to trust, e.g. the self-signed certificate the server wrote to its state dir. */
  ca?: string | Buffer;
  /** Deadline per call, connect to last byte. Default 10000. */
  timeoutMs?: number;
}

export interface WhoAmI {
  principal: string;
  method: AuthnMethod;
  groups: string[];
  permissions: {
    /** The protected object, /WebSEAL/<host>-<instance>/. */
    object: string;
    /** Permission letters held on it, e.g. `Tsl`. */
    acl: string;
    privileges: SystemPrivilege[];
    /** A token's scopes; null when not narrowed. */
    scopes: Scope[] | null;
    /** Every task kind and admin action the server knows, and whether it is allowed. */
    actions: Partial<Record<AdminAction, boolean>>;
  };
}

export interface SessionJson {
  userSessionId: string;
  loginId: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  lastAccessAt: string;
  authMethod: AuthMethod;
  refreshNeeded: boolean;
}

/** A listing as the REST API returns it: never a cookie. */
export interface SessionListingJson {
  /** How many sessions matched (may exceed sessions.length). */
  total: number;
  sessions: SessionJson[];
}

/** One user's listing, with the account's state (absent from a server older than these fields). */
export interface UserSessionListingJson extends SessionListingJson {
  /** False when the server's registry holds the account invalid, or it is invalidated fleet-wide. */
  accountValid?: boolean;
  /** With the distributed session cache: the fleet-wide invalidation (ISO-8601 time, server, principal). */
  invalidated?: { at: string; server: string; by: string };
}

export interface PdadminReply {
  /** All output as text, as the appliance's /isam/pdadmin returns it. */
  result: string;
  commands: Array<{ command: string } & TaskResponse>;
}

/** The contract's limit on one task string; the server answers 400 above it. */
export const MAX_TASK_BYTES = 4096;
/** The contract's limit on a request body. */
export const MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;

const SERVER_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const TOKEN = /^[\x21-\x7e]{1,4096}$/;   // printable ASCII: nothing that could split a header
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export class AdminClient {
  readonly #http: AdminHttp;
  #servers: Promise<string[]> | undefined;
  #closed = false;

  constructor(options: AdminClientOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('AdminClient options must be an object');
    const url = parseUrl(options.url);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000)
      throw new InvalidArgumentError(`timeoutMs must be an integer in 1..3600000, got ${String(timeoutMs)}`);
    const { authorization, tls } = credentials(options.auth, url);
    if (options.ca !== undefined) tls.ca = checkPem(options.ca, 'ca');
    this.#http = new AdminHttp({ origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), authorization, tls, timeoutMs });
  }

  /** Who the server thinks we are, and what we may do. */
  async whoami(): Promise<WhoAmI> {
    return this.#get('/api/v1/whoami', whoamiSchema);
  }

  /** `server list`: the pdadmin names of the servers this listener administers. Cached after the first success. */
  async servers(): Promise<string[]> {
    this.#open();
    if (this.#servers === undefined) {
      const p = this.#get('/api/v1/servers', serversSchema).then((r) => r.servers);
      this.#servers = p;
      p.catch(() => { if (this.#servers === p) this.#servers = undefined; });  // a failure is not cached
    }
    return [...await this.#servers];
  }

  /** `server listtasks <server>`: one syntax line per task. */
  async taskList(server?: string): Promise<string[]> {
    const s = await this.#server(server);
    return (await this.#get(`/api/v1/servers/${encodeURIComponent(s)}/tasks`, tasksSchema)).tasks;
  }

  /**
   * `server task <server> <task>`. A task that fails -- including one the
   * server's parser refuses (400 `bad_task` with its GHWAT01xxE message) --
   * resolves with `ok: false` and its messages; only a failed request
   * (authentication, authorization, unknown server, transport) throws.
   */
  async run(task: Task | string, server?: string): Promise<TaskResponse> {
    const text = typeof task === 'string' ? task : (task as Task | null)?.text;
    if (typeof text !== 'string') throw new InvalidArgumentError('task must be a Task (from tasks.* or dsc.*) or a string');
    checkTaskText(text, 'task');
    const s = await this.#server(server);
    try {
      return await this.#send('POST', `/api/v1/servers/${encodeURIComponent(s)}/tasks`, taskResponseSchema, { task: text });
    } catch (err) {
      if (err instanceof AdminApiError && err.status === 400 && err.apiCode === 'bad_task' && err.messages.length > 0)
        return { ok: false, results: [], messages: err.messages };
      throw err;
    }
  }

  /** POST /isam/pdadmin: several pdadmin commands; all are authorized before any runs. */
  async pdadmin(commands: string[]): Promise<PdadminReply> {
    if (!Array.isArray(commands) || commands.length === 0) throw new InvalidArgumentError('commands must be a non-empty array of strings');
    commands.forEach((c, i) => checkTaskText(c, `commands[${i}]`));
    const body = { commands };
    if (Buffer.byteLength(JSON.stringify(body)) > MAX_BODY_BYTES)
      throw new InvalidArgumentError(`the commands come to more than ${MAX_BODY_BYTES} bytes of JSON; send them in several calls`);
    return this.#send('POST', '/isam/pdadmin', pdadminSchema, body);
  }

  async listSessions(loginId: string): Promise<UserSessionListingJson> {
    checkLoginId(loginId);
    return this.#get(`/api/v1/users/${encodeURIComponent(loginId)}/sessions`, userSessionListingSchema);
  }

  /** Live sessions whose login ID matches a `*` pattern (case-insensitive); max 1..100000, server default 100. */
  async listByPattern(pattern: string, max?: number): Promise<SessionListingJson> {
    checkPattern(pattern);
    const q = new URLSearchParams({ pattern });
    if (max !== undefined) q.set('max', String(checkMax(max)));
    return this.#get(`/api/v1/sessions?${q.toString()}`, sessionListingSchema);
  }

  /** Ends one session; 1 if it was live, 0 if not (already ended, or never issued). */
  async terminateSession(userSessionId: string): Promise<number> {
    checkSessionToken(userSessionId);
    return (await this.#send('DELETE', `/api/v1/sessions/${encodeURIComponent(userSessionId)}`, endedSchema)).ended;
  }

  /** Ends every session of a login ID; resolves with how many ended. */
  async terminateAllSessions(loginId: string): Promise<number> {
    checkLoginId(loginId);
    return (await this.#send('DELETE', `/api/v1/users/${encodeURIComponent(loginId)}/sessions`, endedSchema)).ended;
  }

  /** Marks every session of a login ID for credential refresh; resolves with how many. */
  async refreshAllSessions(loginId: string): Promise<number> {
    checkLoginId(loginId);
    return (await this.#send('POST', `/api/v1/users/${encodeURIComponent(loginId)}/refresh`, refreshedSchema, {})).refreshed;
  }

  /** Signs out every session of every user (needs the higher privilege); resolves with the new epoch. */
  async signOutEveryone(): Promise<number> {
    return (await this.#send('POST', '/api/v1/sign-out-everyone', epochSchema, {})).epoch;
  }

  /**
   * Marks the account invalid in the registry so it cannot log in again, and
   * by default ends its sessions too (`endSessions: false` keeps them).
   */
  async invalidateAccount(loginId: string, options: { endSessions?: boolean } = {}): Promise<{ accountValid: false; ended: number }> {
    checkLoginId(loginId);
    const endSessions = options?.endSessions ?? true;
    if (typeof endSessions !== 'boolean') throw new InvalidArgumentError('endSessions must be a boolean');
    return this.#send('POST', `/api/v1/users/${encodeURIComponent(loginId)}/invalidate`, invalidateSchema, { endSessions });
  }

  /**
   * Makes an invalidated account valid again (fleet-wide with the distributed
   * session cache); resolves with whether it is valid on that server now.
   */
  async validateAccount(loginId: string): Promise<{ accountValid: boolean }> {
    checkLoginId(loginId);
    return this.#send('POST', `/api/v1/users/${encodeURIComponent(loginId)}/validate`, validateSchema, {});
  }

  /** Closes the connections; later calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#http.close();
  }

  async #server(server: string | undefined): Promise<string> {
    if (server !== undefined) {
      if (typeof server !== 'string' || !SERVER_NAME.test(server))
        throw new InvalidArgumentError('server must be 1..256 characters of [A-Za-z0-9._-], as `server list` shows it');
      return server;
    }
    const all = await this.servers();
    const first = all[0];
    if (first === undefined) throw new AdminApiError(200, 'no_servers', 'the admin API lists no servers; pass a server name');
    return first;
  }

  #get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return this.#send('GET', path, schema);
  }

  /** POSTs always carry a JSON body (`{}` when there is nothing to say): the server may insist on application/json. */
  async #send<S extends z.ZodType>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    this.#open();
    const { status, json } = await this.#http.call(method, path, body);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw new AdminApiError(status, 'bad_response',
        `${method} ${path.split('?')[0]}: the reply does not match the admin API contract${where}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  #open(): void {
    if (this.#closed) throw new GatehouseError('ERR_GH_CLOSED', 'this AdminClient is closed');
  }
}

export type { TaskMessage, TaskResponse };

function parseUrl(value: unknown): URL {
  if (typeof value !== 'string') throw new InvalidArgumentError('url must be a string such as https://127.0.0.1:7135');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`url is not a URL: ${JSON.stringify(value.slice(0, 200))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError(`url must be https: (or http: on loopback), got ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new InvalidArgumentError('url must not carry credentials; use the auth option');
  if (url.search !== '' || url.hash !== '') throw new InvalidArgumentError('url must not have a query or fragment');
  return url;
}

function credentials(auth: unknown, url: URL): { authorization: string | undefined; tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer } } {
  if (auth === null || typeof auth !== 'object') throw new InvalidArgumentError('auth must be {user, password}, {token} or {certificate: {cert, key}}');
  const plain = url.protocol === 'http:';
  const refusePlain = (what: string): void => {
    // A password or token in clear text is only tolerable when it never leaves the host.
    if (plain && !LOOPBACK.has(url.hostname)) throw new InvalidArgumentError(`refusing to send ${what} over plain http: to ${url.hostname}; use https:`);
  };
  if ('certificate' in auth) {
    const c = (auth as { certificate: unknown }).certificate as { cert?: unknown; key?: unknown } | null;
    if (plain) throw new InvalidArgumentError('certificate authentication needs an https: url');
    if (c === null || typeof c !== 'object') throw new InvalidArgumentError('auth.certificate must be {cert, key}');
    return { authorization: undefined, tls: { cert: checkPem(c.cert, 'auth.certificate.cert'), key: checkPem(c.key, 'auth.certificate.key') } };
  }
  if ('token' in auth) {
    const token = (auth as { token: unknown }).token;
    if (typeof token !== 'string' || !TOKEN.test(token)) throw new InvalidArgumentError('auth.token must be printable ASCII without spaces (gh_<id>_<secret>)');
    refusePlain('a token');
    return { authorization: `Bearer ${token}`, tls: {} };
  }
  if ('user' in auth && 'password' in auth) {
    const { user, password } = auth as { user: unknown; password: unknown };
    checkLoginId(user, 'auth.user');
    if ((user as string).includes(':')) throw new InvalidArgumentError('auth.user must not contain ":" (HTTP Basic authentication cannot carry it)');
    if (typeof password !== 'string' || password.length === 0) throw new InvalidArgumentError('auth.password must be a non-empty string');
    if (/[\r\n\0]/.test(password)) throw new InvalidArgumentError('auth.password must not contain CR, LF or NUL');
    refusePlain('a password');
    return { authorization: `Basic ${Buffer.from(`${user as string}:${password}`, 'utf8').toString('base64')}`, tls: {} };
  }
  throw new InvalidArgumentError('auth must be {user, password}, {token} or {certificate: {cert, key}}');
}

function checkPem(value: unknown, what: string): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    if (value.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
    const text = typeof value === 'string' ? value : value.toString('latin1');
    if (!text.includes('-----BEGIN ')) throw new InvalidArgumentError(`${what} must be PEM text (-----BEGIN ...)`);
    return value;
  }
  throw new InvalidArgumentError(`${what} must be PEM text as a string or Buffer`);
}

function checkTaskText(text: unknown, what: string): void {
  if (typeof text !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  if (text.trim().length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TASK_BYTES) throw new InvalidArgumentError(`${what} is ${bytes} bytes; the admin API takes at most ${MAX_TASK_BYTES}`);
}

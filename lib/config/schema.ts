// schema.ts -- the configuration file's schema. Stanza and entry names follow
// the reference product's (webseald.conf) wherever the concept is the same,
// so an administrator who knows `[session] inactive-timeout` finds it here as
// `session.inactive-timeout`. Defaults are the reference's unless a comment
// argues for a better one (docs/proxy.md repeats the argument).
import os from 'node:os';
import { z } from 'zod';
import { yesNo } from './zod-util.js';
import type { Config, JunctionConfig } from './types.js';

const seconds = (max = 10 * 365 * 86400) => z.number({ error: 'expected a number of seconds' }).int('expected whole seconds').min(0, 'must be 0 or more').max(max, `must be at most ${max}`);
const port = z.number({ error: 'expected a port number' }).int().min(0).max(65535);
const host = z.string().min(1).max(255);
// Header names: the reference allows A-Z a-z 0-9 - _ only.
const headerName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'header names are 1-64 of A-Z a-z 0-9 - _');
// Cookie names: "Cookie names must be alphanumeric" (we also allow - and _, as the defaults use -).
const cookieName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'cookie names are 1-64 of A-Z a-z 0-9 - _');
const serverNamePart = z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'use 1-256 of A-Z a-z 0-9 . _ -');
// Headers the proxy itself sets, strips or frames with: never the request-ID header.
const PROXY_OWNED_HEADERS = new Set(['host', 'cookie', 'authorization', 'content-length', 'content-type', 'transfer-encoding', 'connection',
  'keep-alive', 'te', 'trailer', 'upgrade', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
const requestIdHeader = z.union([z.literal(''), headerName.refine((n) => {
  const h = n.toLowerCase().replaceAll('_', '-');
  return !PROXY_OWNED_HEADERS.has(h) && !h.startsWith('proxy-') && !h.startsWith('iv-') && !h.startsWith('am-eai-');
}, 'must not be a header the proxy sets or strips (Host, Cookie, X-Forwarded-*, iv-*, am-eai-*, hop-by-hop)')]);

export const concurrentPolicy = z.union([
  z.enum(['unset', 'unlimited', 'displace']),
  z.number().int().min(1).max(1_000_000),
], { error: 'expected unset, unlimited, displace or a number of sessions' });

const backendUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && !u.search && !u.hash && !u.username;
  } catch { return false; }
}, 'expected http(s)://host:port with no path, query or credentials');

const JUNCTION_POINT = /^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/;

/** `-c` header types, as the reference's junction option spells them. */
export const IDENTITY_TYPES = ['iv_user', 'iv_user_l', 'iv_groups', 'iv_creds'] as const;

const junction = z.strictObject({
  servers: z.array(backendUrl).min(1, 'a junction needs at least one server'),
  // `-c`: which identity headers this junction receives. `all` = iv_user,iv_groups,iv_creds (as the reference: not iv_user_l).
  c: z.union([z.literal('all'), z.array(z.enum(IDENTITY_TYPES))], { error: `expected all or a list of ${IDENTITY_TYPES.join(', ')}` }).default([]),
  // `-r`: iv-remote-address.
  r: yesNo.default(false),
  'strip-point': yesNo.default(true),
  'connect-timeout': seconds(3600).default(5),
  'response-timeout': seconds(86400).default(120),
  'failure-backoff': seconds(3600).default(10),
  'ca-file': z.string().min(1).optional(),
  // Serve without a session (no login page). Identity headers then say "Unauthenticated".
  public: yesNo.default(false),
  // Responses to these paths may carry `am-eai-server-task` (the EAI trigger).
  'eai-trigger-urls': z.array(z.string().regex(/^\/[^\s]*$/, 'trigger URLs are paths starting with /')).default([]),
  // Which EAI tasks this junction's back-end may run: its permission.
  'eai-tasks': z.array(z.enum(['terminate session', 'terminate all_sessions', 'refresh all_sessions'])).default(['terminate session', 'terminate all_sessions']),
});

const redisUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && (u.pathname === '' || u.pathname === '/') && !u.username && !u.password;
  } catch { return false; }
}, 'expected redis://host:port or rediss://host:port (credentials go in username / password-file)');

// The distributed session cache's store (docs/distributed.md).
const redisSection = z.strictObject({
  // One server, or Cluster seed nodes with `cluster: yes`.
  servers: z.array(redisUrl).min(1, 'name at least one server'),
  cluster: yesNo.default(false),
  username: z.string().min(1).max(256).optional(),
  // The password, from a file (first line) or an environment variable: never in the config itself.
  'password-file': z.string().min(1).optional(),
  'password-env': z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  tls: z.strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  }).optional(),
  // Every key starts with this, so several fleets can share one Redis.
  'key-prefix': z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 of A-Z a-z 0-9 . _ -').default('gatehouse'),
  'connect-timeout-ms': z.number().int().min(50).max(60_000).default(2000),
  // A command that takes longer is an outage: the request fails closed (503).
  'command-timeout-ms': z.number().int().min(10).max(60_000).default(500),
}).superRefine((r, ctx) => {
  if (r['password-file'] !== undefined && r['password-env'] !== undefined)
    ctx.addIssue({ code: 'custom', path: ['password-env'], message: 'give password-file or password-env, not both' });
});

const listener = z.strictObject({ host: host.default('127.0.0.1'), port: port });
const tlsListener = listener.extend({ cert: z.string().min(1), key: z.string().min(1) });

export const configSchema = z.strictObject({
  server: z.strictObject({
    // `[server] server-name`, `<host>-<instance>`: encoded in user session ID strings.
    'server-name': serverNamePart.default(`${hostLabel()}-default`),
    // The pdadmin name tasks are sent to, `<instance>-webseald-<host>`.
    'pdadmin-server-name': serverNamePart.default(`default-webseald-${hostLabel()}`),
    'replica-set': serverNamePart.default('default'),
    workers: z.number().int().min(0).max(256).default(os.availableParallelism()),
    // Name of the shared-memory session table; default derived from server-name.
    'table-name': z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).optional(),
    // Where generated certificates, default audit and token files live.
    'state-dir': z.string().min(1).default('./gatehouse-state'),
  }).prefault({}),
  listen: z.strictObject({
    http: z.union([z.literal(false), listener]).default({ host: '127.0.0.1', port: 8080 }),
    https: z.union([z.literal(false), tlsListener]).default(false),
    'keep-alive-timeout': seconds(3600).default(5),
    // `[server] client-connect-timeout`: a client's request head (and the proxy's own forms) must arrive within this.
    'client-connect-timeout': seconds(3600).default(30),
    // `[server] intra-connection-timeout`: the longest silence while a request (head or body) is arriving.
    'intra-connection-timeout': seconds(3600).default(60),
    // A whole request, body included, must arrive within this; 0 = no limit (streaming uploads).
    'request-timeout': seconds(86400).default(0),
  }).superRefine((l, ctx) => {
    if (l['request-timeout'] !== 0 && l['request-timeout'] < l['client-connect-timeout'])
      ctx.addIssue({ code: 'custom', path: ['request-timeout'], message: 'must be 0 or at least client-connect-timeout' });
  }).prefault({}),
  session: z.strictObject({
    'max-entries': z.number().int().min(1).max(1 << 24).default(4096),
    timeout: seconds().default(3600),
    'inactive-timeout': seconds().default(600),
    'tcp-session-cookie-name': cookieName.default('PD-H-SESSION-ID'),
    'ssl-session-cookie-name': cookieName.default('PD-S-SESSION-ID'),
    'logout-remove-cookie': yesNo.default(false),
    'prompt-for-displacement': yesNo.default(true),
    'max-concurrent-web-sessions': concurrentPolicy.default('unset'),
    // Bytes per session for login ID + credential attributes (groups, attributes).
    'credential-bytes': z.number().int().min(64).max(65536).multipleOf(8).default(1024),
    // How often expired sessions are reaped (so they stop counting against policy).
    'reap-interval': seconds(3600).default(10),
    // A restart keeps the table's live sessions when its layout still fits; `no` starts empty every time.
    'keep-on-restart': yesNo.default(true),
    // `[session] dsess-enabled`: share sessions with other hosts through Redis (the `redis` section).
    'dsess-enabled': yesNo.default(false),
    // How often a host writes a session's last access to Redis (the reference's default).
    'dsess-last-access-update-interval': seconds(3600).default(60),
    // How long the too-many-sessions page's answer (POST /pkmsdisplace) is accepted, once.
    'displacement-prompt-timeout': seconds(600).min(1, 'must be at least 1').default(120),
  }).superRefine((s, ctx) => {
    // "Cookie names must be unique": one name for both would let an HTTPS session cookie be read over HTTP.
    if (s['tcp-session-cookie-name'] === s['ssl-session-cookie-name'])
      ctx.addIssue({ code: 'custom', path: ['ssl-session-cookie-name'], message: 'must differ from tcp-session-cookie-name' });
  }).prefault({}),
  'acnt-mgt': z.strictObject({
    // A folder whose files replace the default pages (login.html, logout.html, ...).
    templates: z.string().min(1).optional(),
    // Where to go after a login that had no original URL.
    'login-redirect-page': z.string().regex(/^\/[^\s]*$/).default('/'),
  }).prefault({}),
  ba: z.strictObject({
    // `[ba] ba-auth`: none | http | https | both.
    'ba-auth': z.enum(['none', 'http', 'https', 'both']).default('none'),
    'basic-auth-realm': z.string().regex(/^[\x20-\x7e]{1,64}$/).refine((s) => !s.includes('"')).default('Gatehouse'),
  }).prefault({}),
  // Throttling of failed logins on the proxy (forms and basic authentication),
  // counted across all workers. The per-user limit is the reference's
  // max-login-failures / disable-time-interval policy; 0 turns a limit off.
  'failed-login': z.strictObject({
    // Failures of one user name from one client address.
    'max-login-failures': z.number().int().min(0).max(100_000).default(5),
    // Failures from one client address, whatever the user names.
    'max-login-failures-per-client': z.number().int().min(0).max(100_000).default(20),
    // Failures of one user name from any address. Off by default: anyone could lock a user out.
    'max-login-failures-per-user': z.number().int().min(0).max(100_000).default(0),
    // The window failures are counted in.
    'failure-window': seconds(86400).min(1, 'must be at least 1').default(300),
    // How long a limit, once reached, refuses logins (even with the right password).
    'disable-time-interval': seconds(86400).min(1, 'must be at least 1').default(300),
  }).prefault({}),
  'header-names': z.strictObject({
    // `[header-names] server-name = iv_server_name`; '' disables.
    'server-name': z.union([z.literal(''), headerName]).default('iv_server_name'),
    // `credattr{<attribute>} = <header>`: e.g. tagvalue_user_session_id: user-session-id.
    credattr: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/), headerName).default({}),
    // The request ID: read from clients (kept when sane), sent to every junction; '' disables both.
    'request-id': requestIdHeader.default('x-request-id'),
  }).superRefine((h, ctx) => {
    const id = h['request-id'].toLowerCase().replaceAll('_', '-');
    const identity = [h['server-name'], ...Object.values(h.credattr)].map((n) => n.toLowerCase().replaceAll('_', '-'));
    if (id !== '' && identity.includes(id))
      ctx.addIssue({ code: 'custom', path: ['request-id'], message: 'must differ from the identity headers (server-name, credattr)' });
  }).prefault({}),
  junctions: z.record(z.string(), junction).superRefine((j, ctx) => {
    if (Object.keys(j).length === 0) ctx.addIssue({ code: 'custom', message: 'at least one junction is needed' });
    for (const point of Object.keys(j))
      if (!JUNCTION_POINT.test(point))
        ctx.addIssue({ code: 'custom', path: [point], message: 'a junction point is / or a path like /app or /apps/hr (letters, digits, . _ ~ -)' });
  }),
  registry: z.strictObject({ file: z.string().min(1) }),
  admin: z.strictObject({
    enabled: yesNo.default(true),
    host: host.default('127.0.0.1'),
    port: port.default(7135),
    // `generate` writes a self-signed certificate to the state dir; `no` is plain HTTP (tests only).
    tls: z.union([z.literal('generate'), yesNo.refine((v) => v === false, 'use generate, no, or {cert, key}'), z.strictObject({ cert: z.string().min(1), key: z.string().min(1) })]).default('generate'),
    policy: z.string().min(1).optional(),
    tokens: z.string().min(1).optional(),
    audit: z.string().min(1).optional(),
    'client-certificates': z.strictObject({
      ca: z.string().min(1),
      principals: z.record(z.string().min(1), z.string().min(1)),
    }).optional(),
    'metrics-auth': yesNo.default(true),
  }).prefault({}),
  redis: redisSection.optional(),
  logging: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // `[logging] requests`: the access log, one JSON line per request answered.
    requests: yesNo.default(false),
    // `[logging] requests-file`: where those lines go; absent: standard output (with the application log).
    'requests-file': z.string().min(1).optional(),
    // The share of requests answered below 500 that are written; 5xx and cut connections always are.
    'requests-sample-rate': z.number({ error: 'expected a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(1),
  }).prefault({}),
}).superRefine((c, ctx) => {
  if (c.session['dsess-enabled'] && c.redis === undefined)
    ctx.addIssue({ code: 'custom', path: ['redis'], message: 'session.dsess-enabled needs a redis section (servers, ...)' });
});

// The published Config is spelled out in types.ts (no zod types in the
// declarations); these two lines fail to compile when it drifts from the
// schema: run `npm run gen:config-types`.
export type { Config, JunctionConfig } from './types.js';
const configAgrees: [Config, JunctionConfig] = [{} as z.output<typeof configSchema>, {} as z.output<typeof junction>];
const schemaAgrees: [z.output<typeof configSchema>, z.output<typeof junction>] = configAgrees;
void schemaAgrees;
export type RedisConfig = z.output<typeof redisSection>;

function hostLabel(): string {
  return os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200) || 'localhost';
}

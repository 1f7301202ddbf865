// admin-fixture.ts -- a real admin server for tests: a temp table and task
// engine, a file registry with the test users, temp policy / tokens / audit
// files, TLS (self-signed, generated) or plain HTTP, and a small client that
// returns status, headers and parsed JSON. Everything is removed afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { startAdminServer, type AdminServer } from '../../lib/admin/server.js';
import type { AdminServerOptions, LockoutOptions } from '../../lib/admin/options.js';
import { createCertificate, type IssuedCertificate } from '../../lib/admin/x509.js';
import { createToken, type TokenScope } from '../../lib/admin/authn-tokens.js';
import { FileRegistry, type NewUser } from '../../lib/registry/file-registry.js';
import { SessionCache, TaskEngine } from '../../lib/index.js';
import { uniqueName } from './tables.js';

export const SERVER = 'default-webseald-adm1';
export const SESSION_SERVER = 'adm1-default';
export const OBJECT = `/WebSEAL/${SESSION_SERVER}/`;

export const PASSWORDS: Readonly<Record<string, string>> = {
  sec_master: 'master-pw-1',
  alice: 'alice-pw-2',
  lena: 'lena-pw-3',
  norbert: 'norbert-pw-4',
  victim: 'victim-pw-5',
  mallory: 'mallory-pw-6',
};

export const USERS: readonly NewUser[] = [
  { id: 'sec_master', password: PASSWORDS.sec_master!, groups: ['iv-admin'] },
  { id: 'alice', password: PASSWORDS.alice!, groups: ['session-admins'] },
  { id: 'lena', password: PASSWORDS.lena!, groups: ['helpdesk'] },
  { id: 'norbert', password: PASSWORDS.norbert!, groups: ['staff'] },
  { id: 'victim', password: PASSWORDS.victim!, groups: ['staff'] },
  { id: 'mallory', password: PASSWORDS.mallory!, groups: ['session-admins'], accountValid: false },
];

/** The test policy: the matrix test derives its expectations independently of lib/admin/acl.ts. */
export const POLICY = `
acls:
  admin-acl:
    description: who may administer sessions on the test server
    entries:
      - { user: sec_master, permissions: Tsl }
      - { group: session-admins, permissions: Tsl }
      - { user: lena, permissions: Tl }
      - { user: backend-hr, permissions: Ts }
attach:
  ${OBJECT}: admin-acl
privileges:
  AUTH_ADMINISTRATOR:
    users: [sec_master]
`;

export interface Pki {
  readonly ca: IssuedCertificate;
  readonly client: IssuedCertificate;
  /** Issued by the CA but mapped to no principal. */
  readonly unmapped: IssuedCertificate;
  /** Self-signed, not issued by the CA. */
  readonly rogue: IssuedCertificate;
}

export function makePki(): Pki {
  const ca = createCertificate({ commonName: 'Gatehouse Test Client CA', isCA: true });
  const issuer = { certificatePem: ca.certificatePem, privateKeyPem: ca.privateKeyPem };
  return {
    ca,
    client: createCertificate({ commonName: 'backend-hr', usage: 'client', issuer }),
    unmapped: createCertificate({ commonName: 'backend-unknown', usage: 'client', issuer }),
    rogue: createCertificate({ commonName: 'backend-hr', usage: 'client' }),
  };
}

export interface FixtureOptions {
  policy?: string | null;
  tls?: boolean;
  pki?: Pki;
  lockout?: Partial<LockoutOptions>;
  now?: () => number;
  metricsAuth?: boolean;
  capacity?: number;
  extra?: Partial<AdminServerOptions>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  text: string;
}

export interface CallOptions {
  /** user:password, `Bearer <token>`, a raw header value, or null for none. */
  auth?: string | { user: string; password: string } | null;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** Use the client-certificate agent. */
  cert?: 'client' | 'unmapped' | 'rogue';
}

export interface Fixture {
  readonly dir: string;
  readonly tableName: string;
  readonly server: AdminServer;
  readonly cache: SessionCache;
  readonly engine: TaskEngine;
  readonly registry: FileRegistry;
  readonly auditFile: string;
  readonly tokensFile: string;
  readonly policyFile: string;
  call(method: string, urlPath: string, options?: CallOptions): Promise<Reply>;
  token(principal: string, scopes?: TokenScope[]): string;
  /** Audit entries written since the previous call (all parsed). */
  newAudit(): any[];
  allAudit(): any[];
  close(): Promise<void>;
}

export const basic = (user: string, password = PASSWORDS[user] ?? ''): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export async function startFixture(o: FixtureOptions = {}): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-admin-'));
  const registry = await FileRegistry.create(path.join(dir, 'users.yaml'), { watch: false, hash: { ln: 4 } });
  for (const u of USERS) await registry.createUser(u);
  const tableName = uniqueName('admin');
  const cache = SessionCache.create(tableName, { capacity: o.capacity ?? 1024 });
  const engine = new TaskEngine(cache, { serverName: SERVER, sessionServerName: SESSION_SERVER });
  const policyFile = path.join(dir, 'policy.yaml');
  if (o.policy !== null) fs.writeFileSync(policyFile, o.policy ?? POLICY);
  const tokensFile = path.join(dir, 'tokens.yaml');
  const auditFile = path.join(dir, 'audit.log');
  let caFile: string | undefined;
  if (o.pki) {
    caFile = path.join(dir, 'client-ca.pem');
    fs.writeFileSync(caFile, o.pki.ca.certificatePem);
  }
  let server: AdminServer;
  try {
    server = await startAdminServer({
      host: '127.0.0.1', port: 0,
      tls: o.tls === false ? false : { generate: true, stateDir: dir },
      ...(o.pki ? { clientCertificates: { ca: caFile!, principals: { 'backend-hr': 'backend-hr' } } } : {}),
      engine, cache, registry, policyFile, tokensFile, auditFile,
      lockout: o.lockout ?? { maxFailures: 1000, maxFailuresPerAddress: 1000 },
      logger: pino({ level: 'silent' }),
      ...(o.now ? { now: o.now } : {}),
      ...(o.metricsAuth !== undefined ? { metricsAuth: o.metricsAuth } : {}),
      ...o.extra,
    });
  } catch (err) {
    cache.close();
    SessionCache.unlink(tableName);
    registry.close();
    throw err;
  }
  const ca = server.caCertificatePem;
  const agents: Record<string, Dispatcher> = {
    plain: new Agent({ connect: ca ? { ca } : {} }),
  };
  if (o.pki) {
    for (const which of ['client', 'unmapped', 'rogue'] as const) {
      const c = o.pki[which];
      agents[which] = new Agent({ connect: { ca, cert: c.certificatePem, key: c.privateKeyPem } });
    }
  }
  let auditOffset = 0;
  const readAudit = (from: number): { entries: any[]; end: number } => {
    const data = fs.existsSync(auditFile) ? fs.readFileSync(auditFile) : Buffer.alloc(0);
    const text = data.subarray(from).toString('utf8');
    const entries = text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    return { entries, end: data.length };
  };
  return {
    dir, tableName, server, cache, engine, registry, auditFile, tokensFile, policyFile,
    async call(method, urlPath, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const auth = opts.auth === undefined ? basic('sec_master') : opts.auth;
      if (typeof auth === 'string') headers.authorization = auth.includes(' ') || auth.length === 0 ? auth : basic(auth);
      else if (auth !== null) headers.authorization = basic(auth.user, auth.password);
      let body: string | Buffer | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const r = await request(`${server.url}${urlPath}`, {
        method: method as Dispatcher.HttpMethod, headers, dispatcher: agents[opts.cert ?? 'plain']!, ...(body !== undefined ? { body } : {}),
      });
      const text = await r.body.text();
      let json: unknown;
      try { json = JSON.parse(text); } catch { json = undefined; }
      return { status: r.statusCode, headers: r.headers, json, text };
    },
    token(principal, scopes = ['*']) {
      return createToken(tokensFile, principal, scopes).token;
    },
    newAudit() {
      const { entries, end } = readAudit(auditOffset);
      auditOffset = end;
      return entries;
    },
    allAudit() {
      return readAudit(0).entries;
    },
    async close() {
      try {
        await server.close();
        await Promise.allSettled(Object.values(agents).map((a) => a.close()));
      } finally {
        cache.close();
        SessionCache.unlink(tableName);
        registry.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

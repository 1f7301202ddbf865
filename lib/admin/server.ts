// server.ts -- the admin plane's HTTP(S) listener. Each request takes one
// way: route -> authenticate -> read and validate the body -> the route's
// handler (authorize by task kind -> engine or table -> audit) -> reply.
// Failures after authentication are audited here; denials and
// authentication failures are audited where they are decided.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { createMetrics } from '../metrics.js';
import { InvalidArgumentError } from '../session/errors.js';
import { DEFAULT_POLICY } from './acl.js';
import { PolicySource, protectedObject } from './acl-policy.js';
import { AuditLog } from '../audit/index.js';
import { Authenticator } from './authn.js';
import { CertificateMap } from './authn-cert.js';
import { Lockout } from './authn-lockout.js';
import { TokenStore } from './authn-tokens.js';
import { entry, type AdminContext, type RequestContext } from './context.js';
import { HttpError, checkDeclaredLength, parseJsonBody, readBody, sendJson, sendText } from './http.js';
import { MESSAGES } from './messages.js';
import { buildOpenApi } from './openapi.js';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, type AdminServerOptions } from './options.js';
import { checkDomain } from './pdadmin.js';
import { lookupRoute, routeId, type RouteSpec } from './routes.js';
import type { PdadminRequest } from './schemas.js';
import { tlsMaterial } from './tls.js';
import { ListenError } from '../net/listen-error.js';
import type { z } from 'zod';
import { tableSessions } from '../session/session-source.js';

export interface AdminServer {
  /** Base URL, e.g. https://127.0.0.1:7135 */
  readonly url: string;
  readonly port: number;
  /** PEM clients should trust (the generated or configured certificate); undefined for plain HTTP. */
  readonly caCertificatePem: string | undefined;
  /** Continues the audit log in a new file after rotation (call on SIGHUP). */
  reopenAudit(): Promise<void>;
  close(): Promise<void>;
}

const REALM = 'Basic realm="gatehouse-admin"';

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? DEFAULT_ADMIN_HOST;
  const port = options.port ?? DEFAULT_ADMIN_PORT;
  const logger = options.logger ?? pino({ name: 'gatehouse-admin' });
  const now = options.now ?? Date.now;
  const { engine, cache, registry } = options;
  if (options.tls === false && options.clientCertificates !== undefined)
    throw new InvalidArgumentError('client certificates need TLS: set tls to certificate files or generate');

  const object = protectedObject(engine.sessionServerName);
  const policy = new PolicySource(options.policyFile, object, (err) => logger.error({ err: err.message }, 'admin policy file not reloaded; the previous policy stays in force'));
  const initial = policy.current();
  if (initial === undefined) logger.info({ policyFile: options.policyFile }, 'no admin policy file: only sec_master may administer (default policy)');
  else if (initial.acl === undefined) logger.warn({ object }, 'the admin policy attaches no ACL to this server\'s object: nobody holds s or l');
  const tokens = options.tokensFile === undefined ? undefined
    : TokenStore.open(options.tokensFile, (err) => logger.error({ err: err.message }, 'tokens file not reloaded; the previous tokens stay in force'));
  const certificates = options.clientCertificates ? new CertificateMap(options.clientCertificates.principals) : undefined;
  const authenticator = new Authenticator({
    registry, lockout: new Lockout(options.lockout, now), tokens, certificates,
    ...(options.accounts ? { accounts: options.accounts } : {}),
  });
  const metricsAuth = options.metricsAuth ?? true;

  const metricsRegistry = options.metricsRegistry ?? new Registry();
  const adminRequests = options.metrics?.adminRequests
    ?? (metricsRegistry.getSingleMetric('gatehouse_admin_requests_total') as Counter<'route' | 'outcome'> | undefined)
    ?? createMetrics(metricsRegistry, { only: 'admin', cache }).adminRequests;

  let openapiDoc: unknown;
  const audit = AuditLog.open(options.auditFile, { now });
  const admin: AdminContext = {
    engine, cache, registry, audit, logger, object,
    ...(options.accounts ? { accounts: options.accounts } : {}),
    sessions: options.sessions ?? tableSessions(cache),
    policy: () => policy.current() ?? DEFAULT_POLICY,
    async metrics() {
      const parts = [await metricsRegistry.metrics()];
      for (const r of options.extraRegistries ?? []) parts.push(await r.metrics());
      if (options.clusterMetrics) {
        try {
          parts.push(await options.clusterMetrics.clusterMetrics());
        } catch (err) {
          // A worker that does not answer (restarting, or not serving its registry) must not hide the primary's figures.
          logger.warn({ err: (err as Error).message }, 'worker metrics unavailable; serving the primary\'s only');
          parts.push(`# worker metrics unavailable: ${(err as Error).message.replace(/\s+/g, ' ')}\n`);
        }
      }
      return { text: parts.filter((p) => p.length > 0).map((p) => p.replace(/\n*$/, '\n')).join(''), contentType: metricsRegistry.contentType };
    },
    openapi: () => (openapiDoc ??= buildOpenApi()),
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void dispatch(req, res).catch((err: unknown) => {
      logger.error({ err }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, new HttpError(500, 'internal', 'internal error').body());
      else res.destroy();
    });
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let label = 'unmatched';
    let outcome = 'error';
    let ctx: RequestContext | undefined;
    try {
      const url = req.url ?? '/';
      if (!url.startsWith('/')) throw new HttpError(400, 'bad_request', 'the request target must be a path');
      const q = url.indexOf('?');
      const found = lookupRoute(req.method ?? '', q < 0 ? url : url.slice(0, q));
      if (found.kind === 'none') throw new HttpError(404, 'not_found', `no route ${req.method} ${(q < 0 ? url : url.slice(0, q)).slice(0, 200)}; see /openapi.json`);
      if (found.kind === 'bad_path') throw new HttpError(400, 'bad_request', 'the path has malformed percent-encoding');
      if (found.kind === 'method')
        throw new HttpError(405, 'method_not_allowed', `use ${found.allow.join(' or ')} on this path`, { headers: { allow: found.allow.join(', ') } });
      const route = found.match.route;
      label = routeId(route);
      checkDeclaredLength(req);
      const base = {
        admin, req, route: label, params: found.match.params,
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        source: req.socket.remoteAddress ?? 'unknown',
        note: {},
      };
      ctx = base;
      if (route.auth === 'pdadmin') {
        // The reference's endpoint carries the credentials in the body.
        const body = parseJsonBody(req, await readBody(req), route.body!.schema) as z.infer<typeof PdadminRequest>;
        if ((body.admin_id === undefined) !== (body.admin_pwd === undefined))
          throw new HttpError(400, 'bad_request', 'admin_id and admin_pwd go together');
        checkDomain(body.admin_domain);
        const creds = body.admin_id !== undefined ? { user: body.admin_id, password: body.admin_pwd! } : undefined;
        ctx = { ...base, principal: await authenticate(base, creds), body };
      } else if (route.auth === 'required' || (route.auth === 'metrics' && metricsAuth)) {
        const principal = await authenticate(base, undefined);
        ctx = { ...base, principal };
        if (route.body) ctx = { ...ctx, body: parseJsonBody(req, await readBody(req), route.body.schema, route.body.optional) };
      }
      const reply = await route.handler(ctx);
      outcome = reply.outcome;
      if (reply.text) sendText(res, reply.status, reply.text.data, reply.text.contentType);
      else sendJson(res, reply.status, reply.body);
    } catch (err) {
      const e = err instanceof HttpError ? err : internal(err, ctx);
      outcome = outcomeOf(e.status);
      // Denials (403) and authentication failures (401, 429) were audited where decided.
      if (ctx?.principal !== undefined && ![401, 403, 429].includes(e.status)) await auditFailure(ctx, e);
      sendJson(res, e.status, e.body(), e.headers);
    } finally {
      adminRequests.inc({ route: label, outcome });
    }
  }

  function internal(err: unknown, ctx: RequestContext | undefined): HttpError {
    logger.error({ err, route: ctx?.route }, 'admin request failed');
    return new HttpError(500, 'internal', 'internal error; see the server log');
  }

  async function auditFailure(ctx: RequestContext, e: HttpError): Promise<void> {
    try {
      await audit.record(entry(ctx, {
        ...(ctx.note.kind !== undefined ? { kind: ctx.note.kind } : {}),
        ...(ctx.note.task !== undefined ? { task: ctx.note.task } : {}),
        outcome: e.status >= 500 ? 'error' : 'failed',
        detail: `${e.status} ${e.code}: ${e.message}`,
      }));
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'audit log write failed');
    }
  }

  /** Authenticates or throws 401/429 after auditing the failure. */
  async function authenticate(ctx: RequestContext, bodyCredentials: { user: string; password: string } | undefined) {
    const authorization = ctx.req.headers.authorization;
    const result = await authenticator.authenticate({
      ...(authorization !== undefined ? { authorization } : {}),
      socket: ctx.req.socket, address: ctx.source,
      ...(bodyCredentials ? { bodyCredentials } : {}),
    });
    if (result.ok) return result.principal;
    const what = result.status === 429 ? 'locked out' : result.status === 503 ? 'authentication not possible' : 'authentication failed';
    await audit.record({
      initiator: result.claimed, method: result.method, source: ctx.source, server: engine.serverName, route: ctx.route,
      outcome: result.status === 503 ? 'error' : 'denied', detail: `${what}: ${result.detail}`,
    }).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'audit log write failed'));
    if (result.status === 503)
      throw new HttpError(503, 'session_store_unavailable', 'the session store cannot confirm the account now; try again shortly', { headers: { 'retry-after': '2' } });
    if (result.status === 429)
      throw new HttpError(429, 'locked_out', `${MESSAGES.lockedOut.text} Retry after ${result.retryAfterSeconds} s.`,
        { headers: { 'retry-after': String(result.retryAfterSeconds ?? 1) }, messages: [MESSAGES.lockedOut] });
    throw new HttpError(401, 'unauthenticated', MESSAGES.authenticationFailed.text, { headers: { 'www-authenticate': REALM }, messages: [MESSAGES.authenticationFailed] });
  }

  let server: http.Server;
  let caCertificatePem: string | undefined;
  if (options.tls === false) {
    server = http.createServer(handler);
  } else {
    const material = tlsMaterial(options.tls, host);
    caCertificatePem = material.caCertificatePem;
    const clientCa = options.clientCertificates ? readCa(options.clientCertificates.ca) : undefined;
    server = https.createServer({
      cert: material.cert, key: material.key, minVersion: 'TLSv1.2',
      ...(clientCa ? { requestCert: true, rejectUnauthorized: false, ca: clientCa } : {}),
    }, handler);
  }
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => reject(new ListenError('admin', host, port, err));
      server.once('error', fail);
      server.listen(port, host, () => { server.off('error', fail); resolve(); });
    });
  } catch (err) {
    await audit.close();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  const scheme = options.tls === false ? 'http' : 'https';
  const url = `${scheme}://${urlHost(host)}:${bound}`;
  logger.info({ url, object, policy: (policy.current() ?? DEFAULT_POLICY).source }, 'admin API listening');
  let closing: Promise<void> | undefined;
  return {
    url, port: bound, caCertificatePem,
    reopenAudit: () => audit.reopen(),
    close: () => (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      force.unref();
      await closed;
      clearTimeout(force);
      await audit.close();
    })()),
  };
}

function outcomeOf(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  if (status === 429) return 'locked_out';
  if (status >= 500) return 'error';
  return 'bad_request';
}

function readCa(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`client certificate CA ${file}: ${(err as Error).message}`);
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}


// routes.ts -- the admin API's route table: the one list the server
// dispatches from and openapi.ts documents from (a test checks both agree).
import { z } from 'zod';
import type { Reply, RequestContext } from './context.js';
import { pdadmin } from './pdadmin.js';
import * as api from './routes-api.js';
import * as sessions from './routes-sessions.js';
import * as S from './schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/v1/users/{loginId}/sessions`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  /**
   * none: open; required: Basic, Bearer or client certificate; metrics:
   * required unless metricsAuth is off; pdadmin: admin_id/admin_pwd in the
   * body, or as `required`.
   */
  readonly auth: 'none' | 'required' | 'metrics' | 'pdadmin';
  /** What the route needs, for the docs (the handler enforces it). */
  readonly permission: string;
  readonly body?: { readonly schema: z.ZodType; readonly optional?: boolean };
  readonly query?: Readonly<Record<string, { readonly description: string; readonly schema: z.ZodType }>>;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string }>>;
  readonly handler: (ctx: RequestContext) => Promise<Reply>;
}

/** `METHOD /path/{param}`: the label of a route in metrics and audit. */
export const routeId = (r: Pick<RouteSpec, 'method' | 'path'>): string => `${r.method} ${r.path}`;

const ok = (schema: z.ZodType, description = 'OK') => ({ 200: { description, schema } });

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET', path: '/healthz', operationId: 'health', summary: 'Liveness check.', auth: 'none', permission: 'none',
    responses: ok(S.HealthResponse), handler: api.health,
  },
  {
    method: 'GET', path: '/openapi.json', operationId: 'openapi', summary: 'This OpenAPI 3.1 document.', auth: 'none', permission: 'none',
    responses: { 200: { description: 'OpenAPI document', schema: z.record(z.string(), z.unknown()) } }, handler: api.openapi,
  },
  {
    method: 'GET', path: '/metrics', operationId: 'metrics', summary: 'Prometheus metrics.', auth: 'metrics', permission: 'authenticated (unless metrics-auth is off)',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain; version=0.0.4' } }, handler: api.metrics,
  },
  {
    method: 'GET', path: '/api/v1/whoami', operationId: 'whoami', summary: 'The caller\'s principal, groups and permissions.', auth: 'required', permission: 'authenticated',
    responses: ok(S.WhoamiResponse), handler: api.whoami,
  },
  {
    method: 'GET', path: '/api/v1/servers', operationId: 'listServers', summary: 'Server names (`server list`).', auth: 'required', permission: 'authenticated',
    responses: ok(S.ServersResponse), handler: api.servers,
  },
  {
    method: 'GET', path: '/api/v1/servers/{server}/tasks', operationId: 'listTasks', summary: 'The task list (`server listtasks`).', auth: 'required', permission: 'authenticated',
    responses: ok(S.TaskListResponse), handler: api.listTasks,
  },
  {
    method: 'POST', path: '/api/v1/servers/{server}/tasks', operationId: 'runTask', summary: 'Run one server task (`server task <server> <task>`).',
    auth: 'required', permission: 'by task kind: s for terminate/refresh, l for list, AUTH_ADMINISTRATOR for signout all_sessions and for session terminate all_sessions with a * pattern, none for help',
    body: { schema: S.TaskRequest }, responses: ok(S.TaskResponse, 'The task ran; ok is false when it failed (see messages)'), handler: api.runTask,
  },
  {
    method: 'GET', path: '/api/v1/users/{loginId}/sessions', operationId: 'listUserSessions', summary: 'Live sessions of one user, and whether the account is valid.', auth: 'required', permission: 'l',
    query: { max: { description: 'At most this many sessions (1..100000, default 100).', schema: z.int().min(1).max(100000) } },
    responses: ok(S.UserSessionsResponse), handler: sessions.listUserSessions,
  },
  {
    method: 'DELETE', path: '/api/v1/users/{loginId}/sessions', operationId: 'terminateUserSessions', summary: 'End every session of a user (`terminate all_sessions`).', auth: 'required', permission: 's',
    responses: ok(S.EndedResponse), handler: sessions.terminateUserSessions,
  },
  {
    method: 'POST', path: '/api/v1/users/{loginId}/refresh', operationId: 'refreshUserSessions', summary: 'Mark every session of a user for credential refresh (`refresh all_sessions`).', auth: 'required', permission: 's',
    responses: ok(S.RefreshedResponse), handler: sessions.refreshUserSessions,
  },
  {
    method: 'POST', path: '/api/v1/users/{loginId}/invalidate', operationId: 'invalidateUser', summary: 'Invalidate the account (in the registry; fleet-wide with the distributed session cache) and (by default) end its sessions.', auth: 'required', permission: 's',
    body: { schema: S.InvalidateRequest, optional: true }, responses: ok(S.InvalidateResponse), handler: sessions.invalidateUser,
  },
  {
    method: 'POST', path: '/api/v1/users/{loginId}/validate', operationId: 'validateUser', summary: 'Make an invalidated account valid again (fleet-wide with the distributed session cache).', auth: 'required', permission: 's',
    responses: ok(S.ValidateResponse), handler: sessions.validateUser,
  },
  {
    method: 'GET', path: '/api/v1/sessions', operationId: 'listSessions', summary: 'Live sessions whose login ID matches a pattern.', auth: 'required', permission: 'l',
    query: {
      pattern: { description: '`*` wildcards, ASCII case-insensitive (default `*`).', schema: z.string() },
      max: { description: 'At most this many sessions (1..100000, default 100).', schema: z.int().min(1).max(100000) },
    },
    responses: ok(S.SessionsResponse), handler: sessions.listSessions,
  },
  {
    method: 'DELETE', path: '/api/v1/sessions/{userSessionId}', operationId: 'terminateSession', summary: 'End one session (`terminate session`): the bare user session ID or the whole base64(server-name)_id string.', auth: 'required', permission: 's',
    responses: ok(S.EndedResponse), handler: sessions.terminateSession,
  },
  {
    method: 'POST', path: '/api/v1/sign-out-everyone', operationId: 'signOutEveryone', summary: 'Sign out every session of the server (`signout all_sessions`).', auth: 'required', permission: 'AUTH_ADMINISTRATOR',
    responses: ok(S.EpochResponse), handler: sessions.signOutEveryone,
  },
  {
    method: 'POST', path: '/isam/pdadmin', operationId: 'pdadmin', summary: 'Run pdadmin commands; all are authorized before any runs.', auth: 'pdadmin', permission: 'per command, as runTask',
    body: { schema: S.PdadminRequest }, responses: ok(S.PdadminResponse), handler: pdadmin,
  },
];

export interface RouteMatch {
  readonly route: RouteSpec;
  readonly params: Record<string, string>;
}

export type Lookup =
  | { readonly kind: 'found'; readonly match: RouteMatch }
  | { readonly kind: 'method'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'bad_path' };

const compiled = ROUTES.map((route) => ({ route, segments: route.path.split('/').slice(1) }));

/** Finds the route for a method and a raw (still percent-encoded) path. */
export function lookupRoute(method: string, rawPath: string): Lookup {
  const segments = rawPath.split('/').slice(1);
  const allow: HttpMethod[] = [];
  for (const { route, segments: tpl } of compiled) {
    if (tpl.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < tpl.length && matched; i++) {
      const t = tpl[i]!;
      const s = segments[i]!;
      if (t.startsWith('{')) {
        if (s.length === 0) { matched = false; break; }
        let decoded: string;
        try { decoded = decodeURIComponent(s); } catch { return { kind: 'bad_path' }; }
        params[t.slice(1, -1)] = decoded;
      } else if (t !== s) matched = false;
    }
    if (!matched) continue;
    if (route.method === method) return { kind: 'found', match: { route, params } };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
}

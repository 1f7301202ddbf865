// openapi.ts -- builds the OpenAPI 3.1 document served at /openapi.json from
// the route table and the zod schemas (JSON Schema 2020-12, OpenAPI 3.1's
// dialect), so the document always describes the routes that exist.
import { z } from 'zod';
import { ROUTES, routeId, type RouteSpec } from './routes.js';
import { ErrorResponse } from './schemas.js';

const ERRORS: Readonly<Record<number, string>> = {
  400: 'Malformed JSON, wrong types, a task that does not parse or is over 4096 bytes',
  401: 'Authentication failed (WWW-Authenticate: Basic realm="gatehouse-admin")',
  403: 'Authorization for the requested command has been denied (GHWAA0067E); nothing changed',
  404: 'Unknown route, server or user',
  405: 'Method not allowed (see Allow)',
  413: 'Request body over 64 KiB',
  415: 'Request body is not JSON',
  429: 'Locked out after repeated authentication failures (see Retry-After)',
  500: 'Internal error, or the audit log could not be written',
};

function schema(s: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function operation(r: RouteSpec): Record<string, unknown> {
  const params: unknown[] = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1], in: 'path', required: true, schema: { type: 'string' },
  }));
  for (const [name, q] of Object.entries(r.query ?? {}))
    params.push({ name, in: 'query', required: false, description: q.description, schema: schema(q.schema) });
  const responses: Record<string, unknown> = {};
  for (const [status, resp] of Object.entries(r.responses)) {
    responses[status] = resp.schema
      ? { description: resp.description, content: { [resp.contentType ?? 'application/json']: { schema: schema(resp.schema) } } }
      : { description: resp.description, content: { [resp.contentType ?? 'application/json']: { schema: { type: 'string' } } } };
  }
  const errors = r.auth === 'none' ? [404, 405, 500] : [400, 401, 403, 404, 405, 413, 415, 429, 500];
  for (const status of errors)
    responses[String(status)] = { description: ERRORS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const op: Record<string, unknown> = {
    operationId: r.operationId,
    summary: r.summary,
    description: `Permission: ${r.permission}.`,
    'x-gatehouse-route': routeId(r),
    responses,
  };
  if (params.length > 0) op.parameters = params;
  if (r.body) {
    op.requestBody = { required: !r.body.optional, content: { 'application/json': { schema: schema(r.body.schema) } } };
  }
  if (r.auth === 'none') op.security = [];
  return op;
}

/** The OpenAPI 3.1 document of the admin API. */
export function buildOpenApi(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: '1',
      description: 'End, list and refresh sessions; every action is authenticated, authorized against the ACL on /WebSEAL/<host>-<instance>/ and audited. See docs/admin.md.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ basicAuth: [] }, { bearerAuth: [] }, { clientCertificate: [] }],
    paths,
    components: {
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'Admin user and password from the user registry.' },
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'gh_<id>_<secret>', description: 'API token from `gatehouse token create`.' },
        clientCertificate: { type: 'mutualTLS', description: 'A TLS client certificate issued by the configured CA and mapped to a principal.' },
      },
      schemas: { Error: schema(ErrorResponse) },
    },
  };
}

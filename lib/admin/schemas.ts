// schemas.ts -- the admin API's JSON bodies as zod schemas: request bodies
// are validated with them, and openapi.ts turns all of them into the
// OpenAPI document, so the two cannot drift apart.
import { z } from 'zod';

// ---- requests ---------------------------------------------------------------

export const TaskRequest = z.strictObject({
  task: z.string().describe('A task string, e.g. `terminate all_sessions bob` (at most 4096 bytes of UTF-8).'),
}).describe('A server task.');

export const InvalidateRequest = z.strictObject({
  endSessions: z.boolean().optional().describe('Also end every session of the user (default true).'),
}).describe('Account invalidation.');

export const PdadminRequest = z.object({
  admin_id: z.string().max(256).optional().describe('Admin user; alternatively authenticate with Basic, Bearer or a client certificate.'),
  admin_pwd: z.string().max(1024).optional(),
  admin_domain: z.string().max(256).optional().describe('Only `Default` (the default) is known.'),
  commands: z.array(z.string()).min(1).max(100)
    .describe('`server list`, `server listtasks <name>`, `server task <name> <task>`; all are authorized before any runs.'),
}).describe('pdadmin commands, as the reference appliance\'s POST /isam/pdadmin takes them.');

// ---- responses --------------------------------------------------------------

export const Message = z.strictObject({
  id: z.string().describe('Message ID, e.g. GHWAT0002I or GHWAA0067E.'),
  code: z.number().int().describe('32-bit status code.'),
  severity: z.enum(['info', 'warning', 'error']),
  text: z.string(),
});

export const ErrorResponse = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('Stable code: bad_json, bad_request, bad_task, task_too_long, unauthenticated, forbidden, not_found, unknown_server, unknown_user, method_not_allowed, payload_too_large, unsupported_media_type, locked_out, audit_unavailable, internal.'),
    message: z.string(),
  }),
  messages: z.array(Message).optional(),
});

export const HealthResponse = z.strictObject({ status: z.literal('ok') });

export const WhoamiResponse = z.strictObject({
  principal: z.string(),
  method: z.enum(['password', 'token', 'certificate']),
  groups: z.array(z.string()),
  permissions: z.strictObject({
    object: z.string().describe('The protected object, /WebSEAL/<host>-<instance>/.'),
    acl: z.string().describe('Permission letters held on it, e.g. Tsl.'),
    privileges: z.array(z.string()).describe('System privileges, e.g. AUTH_ADMINISTRATOR.'),
    scopes: z.array(z.string()).nullable().describe('A token\'s scopes; null when not narrowed.'),
    actions: z.record(z.string(), z.boolean()).describe('Every task kind and admin action, and whether it is allowed.'),
  }),
});

export const ServersResponse = z.strictObject({ servers: z.array(z.string()) });
export const TaskListResponse = z.strictObject({ tasks: z.array(z.string()) });

export const TaskResponse = z.strictObject({
  ok: z.boolean(),
  results: z.array(z.string()),
  messages: z.array(Message),
});

export const SessionItem = z.strictObject({
  userSessionId: z.string().describe('What `terminate session` and DELETE /api/v1/sessions/{userSessionId} take; never the cookie.'),
  loginId: z.string(),
  createdAt: z.string().describe('ISO-8601 UTC.'),
  lastAccessAt: z.string().describe('ISO-8601 UTC.'),
  authMethod: z.string(),
  refreshNeeded: z.boolean(),
});

export const SessionsResponse = z.strictObject({
  total: z.number().int().describe('Sessions that matched (may exceed the number listed).'),
  sessions: z.array(SessionItem),
});

export const AccountInvalidationJson = z.strictObject({
  at: z.string().describe('ISO-8601 UTC.'),
  server: z.string().describe('The server whose admin plane invalidated the account.'),
  by: z.string().describe('The admin principal that did.'),
}).describe('With the distributed session cache: the account\'s fleet-wide invalidation.');

export const UserSessionsResponse = SessionsResponse.extend({
  accountValid: z.boolean().describe('False when this server\'s registry holds the account invalid, or it is invalidated fleet-wide.'),
  invalidated: AccountInvalidationJson.optional(),
});

export const EndedResponse = z.strictObject({ ended: z.number().int() });
export const RefreshedResponse = z.strictObject({ refreshed: z.number().int() });
export const EpochResponse = z.strictObject({ epoch: z.number().int() });
export const InvalidateResponse = z.strictObject({ accountValid: z.literal(false), ended: z.number().int() });
export const ValidateResponse = z.strictObject({
  accountValid: z.boolean().describe('Whether the account is valid on this server now (its registry may still hold it invalid).'),
});

export const PdadminResponse = z.strictObject({
  result: z.string().describe('All output as text: result lines, then `ID text` per message, command after command.'),
  commands: z.array(z.strictObject({
    command: z.string(),
    ok: z.boolean(),
    results: z.array(z.string()),
    messages: z.array(Message),
  })),
});

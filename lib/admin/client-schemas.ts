// client-schemas.ts -- zod schemas for the admin API's replies, as the
// AdminClient reads them. A reply that does not fit is a clear AdminApiError
// in client.ts, never a TypeError deep in a caller. Objects are not strict:
// a newer server may add fields.
import { z } from 'zod';
import { AUTH_METHODS } from '../session/reasons.js';
import { ADMIN_PLANE_MESSAGE_IDS, TASK_MESSAGE_IDS } from '../tasks/message-ids.js';
import { ADMIN_ACTIONS, AUTHN_METHODS, SCOPES, SYSTEM_PRIVILEGES } from './acl.js';
import { ADMIN_API_ERROR_CODES } from './api-error-codes.js';

export const taskMessageSchema = z.object({
  // Server and client ship together: an ID outside the catalogue breaks the contract.
  id: z.enum([...TASK_MESSAGE_IDS, ...ADMIN_PLANE_MESSAGE_IDS]),
  code: z.number().int().min(0).max(0xffffffff),
  severity: z.enum(['info', 'warning', 'error']),
  text: z.string(),
});

export const taskResponseSchema = z.object({
  ok: z.boolean(),
  results: z.array(z.string()),
  messages: z.array(taskMessageSchema),
});

export const whoamiSchema = z.object({
  principal: z.string(),
  method: z.enum(AUTHN_METHODS),
  groups: z.array(z.string()),
  permissions: z.object({
    object: z.string(),
    acl: z.string(),
    privileges: z.array(z.enum(SYSTEM_PRIVILEGES)),
    scopes: z.array(z.enum(SCOPES)).nullable(),
    actions: z.partialRecord(z.enum(ADMIN_ACTIONS), z.boolean()),
  }),
});

export const serversSchema = z.object({ servers: z.array(z.string()) });
export const tasksSchema = z.object({ tasks: z.array(z.string()) });

// Times may come as ISO-8601 text or as ms since the epoch; callers always get ISO text.
const time = z.union([
  z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time'),
  z.number().finite().transform((n, ctx) => {
    const d = new Date(n);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'a time in ms since the epoch' });
      return z.NEVER;
    }
    return d.toISOString();
  }),
]);

export const sessionListingSchema = z.object({
  total: z.number().int().min(0),
  sessions: z.array(z.object({
    userSessionId: z.string(),
    loginId: z.string(),
    createdAt: time,
    lastAccessAt: time,
    authMethod: z.enum(AUTH_METHODS),
    refreshNeeded: z.boolean(),
  })),
});

export const userSessionListingSchema = sessionListingSchema.extend({
  // Optional: a server older than the field does not send it.
  accountValid: z.boolean().optional(),
  invalidated: z.object({ at: time, server: z.string(), by: z.string() }).optional(),
});

export const endedSchema = z.object({ ended: z.number().int().min(0) });
export const refreshedSchema = z.object({ refreshed: z.number().int().min(0) });
export const epochSchema = z.object({ epoch: z.number().int().min(0) });
export const invalidateSchema = z.object({ accountValid: z.literal(false), ended: z.number().int().min(0) });
export const validateSchema = z.object({ accountValid: z.boolean() });

export const pdadminSchema = z.object({
  result: z.string(),
  commands: z.array(taskResponseSchema.extend({ command: z.string() })),
});

/** The error body every non-2xx reply should carry. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.enum(ADMIN_API_ERROR_CODES), message: z.string() }),
  messages: z.array(taskMessageSchema).optional(),
});

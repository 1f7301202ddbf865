// client.ts -- the `gatehouse/client` entry: the admin API client and the
// task builders, without the native addon. Everything here is plain
// TypeScript over HTTP, so it loads on any platform Node runs on; nothing it
// imports (at run time or in its declarations) may reach lib/native.ts.
// test/entry-points.test.ts enforces that.
export { AdminClient, AdminApiError, MAX_TASK_BYTES, MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS } from './admin/client.js';
export type {
  AdminClientOptions, AdminAuth, WhoAmI, SessionListingJson, UserSessionListingJson, SessionJson, PdadminReply,
} from './admin/client.js';
export { ADMIN_API_ERROR_CODES, ADMIN_CLIENT_ERROR_CODES, isAdminApiErrorCode } from './admin/api-error-codes.js';
export type { AdminApiErrorCode, AdminClientErrorCode } from './admin/api-error-codes.js';
export { ADMIN_ACTIONS, AUTHN_METHODS, SCOPES, SYSTEM_PRIVILEGES } from './admin/acl.js';
export type { AdminAction, AuthnMethod, Scope, SystemPrivilege } from './admin/acl.js';
export { tasks, dsc } from './tasks/builders.js';
export { quoteUserId } from './tasks/quote.js';
export type { Task, TaskCommand, TaskKind } from './tasks/command.js';
export type { TaskMessage, TaskResponse } from './tasks/response.js';
export { TASK_MESSAGE_IDS, TASK_PARSE_ERROR_IDS, ADMIN_PLANE_MESSAGE_IDS } from './tasks/message-ids.js';
export type { TaskMessageId, TaskParseErrorId, AdminMessageId, MessageId } from './tasks/message-ids.js';
export { AUTH_METHODS } from './session/reasons.js';
export type { AuthMethod } from './session/reasons.js';
export { GatehouseError, InvalidArgumentError } from './session/errors.js';
export type { GatehouseErrorCode } from './session/errors.js';

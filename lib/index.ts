// Public entry point of the gatehouse package.
export { SessionCache } from './session/cache.js';
export type {
  TableOptions, NewSession, SessionView, CreatedSession, ValidationResult, SessionListing, TableStats,
} from './session/cache.js';
export type { CredentialAttributes } from './session/attributes.js';
export { INVALID_REASONS, AUTH_METHODS } from './session/reasons.js';
export type { InvalidReason, AuthMethod } from './session/reasons.js';
export { isSessionId, LOGIN_MAX_BYTES } from './session/checks.js';
export {
  GatehouseError, InvalidArgumentError, SessionLimitError, TooLargeError, TableError,
} from './session/errors.js';
export type { GatehouseErrorCode } from './session/errors.js';
export { tasks, dsc, parseTask, quoteUserId, TaskEngine } from './tasks/index.js';
export type { Task, TaskCommand, TaskKind, ParsedTask, TaskSyntaxError, TaskResponse, TaskMessage, ServerIdentity } from './tasks/index.js';

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
export { TASK_MESSAGE_IDS, TASK_PARSE_ERROR_IDS, ADMIN_PLANE_MESSAGE_IDS } from './tasks/index.js';
export type { TaskMessageId, TaskParseErrorId, AdminMessageId, MessageId } from './tasks/index.js';
export {
  FileRegistry, hashPassword, verifyPassword, validatePolicy, RegistryError, RegistryFileError,
} from './registry/index.js';
export type {
  UserRegistry, UserRecord, UserPatch, AuthOutcome, AuthFailure, ConcurrentSessionPolicy,
  FileRegistryOptions, UserDetails, NewUser,
} from './registry/index.js';
export { encodeCredential, decodeCredential, UNAUTHENTICATED_CREDENTIAL } from './proxy/creds.js';
export type { Credential } from './proxy/creds.js';
export { loadConfig, parseConfig, ConfigError } from './config/load.js';
export type { Config, JunctionConfig } from './config/types.js';
export { serve } from './server/primary.js';
export type { Running } from './server/primary.js';
export { Pages, PAGE_NAMES, TemplateError } from './proxy/pages.js';
export type { PageName, PageMacros } from './proxy/pages.js';
export { reasonText } from './proxy/reason-text.js';
export { AdminClient, AdminApiError } from './admin/client.js';
export { ADMIN_API_ERROR_CODES, ADMIN_CLIENT_ERROR_CODES, isAdminApiErrorCode } from './admin/api-error-codes.js';
export type { AdminApiErrorCode, AdminClientErrorCode } from './admin/api-error-codes.js';
export type { AdminClientOptions, AdminAuth, WhoAmI, SessionListingJson, UserSessionListingJson, SessionJson, PdadminReply } from './admin/client.js';
export * from './admin/index.js';
export { createMetrics, serveWorkerMetrics, clusterMetricsText } from './metrics.js';
export type { GatehouseMetrics, MetricsOptions, BackendHealth } from './metrics.js';
export { Junction, isReservedHeader } from './proxy/junction.js';
export type { JunctionOptions, JunctionServer, ForwardContext, ForwardFailure, UpgradeContext } from './proxy/junction.js';
// Types that the exports above mention in their signatures (so consumers can name them).
export type { NativeStats } from './native.js';
export type { RegistryErrorCode, LockOptions, StoredUser } from './registry/user-file.js';
export type { ScryptParams } from './registry/password.js';
export type { RegistryLogger, UserListing, UserEdit } from './registry/file-registry.js';
export type { TemplateProblem } from './proxy/page-macros.js';
export type { BackendTls } from './proxy/backend-pool.js';
export type { TokenCheck } from './admin/authn-tokens.js';
export type { Logger, LogMethod } from './logger-type.js';

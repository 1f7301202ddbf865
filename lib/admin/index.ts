// index.ts -- the admin plane's public surface: the server, its options,
// the authorization decision (reused by the proxy's EAI path), the audit
// log (shared with the proxy workers), tokens, and the OpenAPI document.
// The route table (routes.ts) is internal: its entries hold zod schemas and
// request handlers, which are no part of the published declarations.
export { startAdminServer } from './server.js';
export type { AdminServer } from './server.js';
export { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, DEFAULT_LOCKOUT } from './options.js';
export type { AdminServerOptions, AdminTlsOptions, ClientCertificateOptions, LockoutOptions } from './options.js';
export {
  authorize, grantedBy, permissionsOf, privilegesOf, requirementOf,
  ADMIN_ACTIONS, AUTHN_METHODS, AUTH_ADMINISTRATOR, DEFAULT_POLICY, INSTALL_ADMINISTRATOR, PERMISSION_LETTERS, SCOPES, SYSTEM_PRIVILEGES,
} from './acl.js';
export type { AdminAction, AdminPolicy, AclEntry, AuthnMethod, Decision, Principal, Requirement, Scope, SystemPrivilege } from './acl.js';
export { parsePolicy, loadPolicy, protectedObject, PolicySource } from './acl-policy.js';
export { AuditLog, redactTask, shortId } from '../audit/index.js';
export type { AuditEntry, AuditOutcome } from '../audit/index.js';
export { TokenStore, createToken, revokeToken, readTokens, parseScopes, hashSecret, TOKEN_PATTERN } from './authn-tokens.js';
export type { TokenRecord, TokenScope, CreatedToken } from './authn-tokens.js';
export { MESSAGES as ADMIN_MESSAGE_IDS, ADMIN_MESSAGES } from './messages.js';
export { buildOpenApi } from './openapi.js';
export { createCertificate } from './x509.js';
export type { CertificateRequest, IssuedCertificate } from './x509.js';

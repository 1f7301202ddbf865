// api-error-codes.ts -- the stable `error.code` values of the admin API
// (docs/admin.md, "Errors") and the ones the AdminClient adds when no valid
// reply arrived. Plain data, so the client entry can use it without the addon.

/** What the server puts in `{"error": {"code"}}`; test/api-error-codes.test.ts checks the docs' table. */
export const ADMIN_API_ERROR_CODES = [
  'bad_json', 'bad_request', 'bad_task', 'task_too_long', 'unauthenticated', 'forbidden', 'not_found',
  'unknown_server', 'unknown_user', 'method_not_allowed', 'payload_too_large', 'unsupported_media_type',
  'locked_out', 'internal', 'audit_unavailable', 'session_store_unavailable',
] as const;
export type AdminApiErrorCode = (typeof ADMIN_API_ERROR_CODES)[number];

/**
 * Codes the client itself assigns: no reply (`timeout`, `connection_failed`,
 * `tls_failed`), a reply outside the contract (`bad_response`), no server to
 * address (`no_servers`), or an error status without a known code (`http_<status>`).
 */
export const ADMIN_CLIENT_ERROR_CODES = ['bad_response', 'timeout', 'connection_failed', 'tls_failed', 'no_servers'] as const;
export type AdminClientErrorCode = (typeof ADMIN_CLIENT_ERROR_CODES)[number] | `http_${number}`;

const SERVER_CODES: ReadonlySet<string> = new Set(ADMIN_API_ERROR_CODES);
export function isAdminApiErrorCode(code: unknown): code is AdminApiErrorCode {
  return typeof code === 'string' && SERVER_CODES.has(code);
}

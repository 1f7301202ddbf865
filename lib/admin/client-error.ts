// client-error.ts -- AdminApiError: every way an admin API call can fail
// after its arguments were accepted (HTTP error replies, malformed replies,
// transport failures), with one stable code so callers branch on fields.
import { GatehouseError, type GatehouseErrorCode } from '../session/errors.js';
import type { TaskMessage } from '../tasks/response.js';
import type { AdminApiErrorCode, AdminClientErrorCode } from './api-error-codes.js';

/**
 * `status` is the HTTP status, or 0 when no reply arrived (then `apiCode` is
 * `timeout`, `connection_failed` or `tls_failed`). `apiCode` is the server's
 * stable `error.code` (docs/admin.md, "Errors"), `bad_response` for a reply
 * that breaks the contract, or `http_<status>` for an error reply without a
 * code this client knows.
 */
export class AdminApiError extends GatehouseError {
  readonly status: number;
  readonly apiCode: AdminApiErrorCode | AdminClientErrorCode;
  readonly messages: TaskMessage[];
  /** From Retry-After on 429 (locked out), in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, apiCode: AdminApiErrorCode | AdminClientErrorCode, message: string, options: { messages?: TaskMessage[]; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super('ERR_GH_ADMIN_API', message);
    this.status = status;
    this.apiCode = apiCode;
    this.messages = options.messages ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** 401, 403 or 429: the credentials or their rights are the problem, not the request. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 429;
  }
}

// errors.ts -- one error class per failure kind, each with a stable `code`
// (ERR_GH_*), so callers branch on codes rather than on message text.

export type GatehouseErrorCode =
  | 'ERR_GH_INVALID_ARGUMENT'
  | 'ERR_GH_TABLE_EXISTS'
  | 'ERR_GH_TABLE_NOT_FOUND'
  | 'ERR_GH_INCOMPATIBLE_TABLE'
  | 'ERR_GH_CORRUPT_TABLE'
  | 'ERR_GH_UNSAFE_TABLE'
  | 'ERR_GH_SYSTEM'
  | 'ERR_GH_TABLE_FULL'
  | 'ERR_GH_SESSION_LIMIT'
  | 'ERR_GH_TOO_LARGE'
  | 'ERR_GH_CLOSED'
  | 'ERR_GH_ADMIN_API'
  | 'ERR_GH_DSC_UNAVAILABLE'
  | 'ERR_GH_DSC_LAYOUT'
  | 'ERR_GH_DSC_CONFIG';

export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  constructor(code: GatehouseErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A caller passed something malformed; nothing was changed. */
export class InvalidArgumentError extends GatehouseError {
  constructor(message: string) { super('ERR_GH_INVALID_ARGUMENT', message); }
}
/** The user already holds as many sessions as their policy allows. */
export class SessionLimitError extends GatehouseError {
  constructor(message: string) { super('ERR_GH_SESSION_LIMIT', message); }
}
/** Login ID plus attributes do not fit the table's credential area. */
export class TooLargeError extends GatehouseError {
  constructor(message: string) { super('ERR_GH_TOO_LARGE', message); }
}
/** Opening, creating or mapping the shared-memory table failed. */
export class TableError extends GatehouseError {}

const NATIVE_CODES: Record<string, GatehouseErrorCode> = {
  GH_E_INVALID_ARGUMENT: 'ERR_GH_INVALID_ARGUMENT',
  GH_E_EXISTS: 'ERR_GH_TABLE_EXISTS',
  GH_E_NOT_FOUND: 'ERR_GH_TABLE_NOT_FOUND',
  GH_E_INCOMPATIBLE: 'ERR_GH_INCOMPATIBLE_TABLE',
  GH_E_CORRUPT: 'ERR_GH_CORRUPT_TABLE',
  // The segment belongs to another uid or group/others may access it.
  GH_E_PERMISSION: 'ERR_GH_UNSAFE_TABLE',
  GH_E_SYSTEM: 'ERR_GH_SYSTEM',
  GH_E_FULL: 'ERR_GH_TABLE_FULL',
  GH_E_LIMIT: 'ERR_GH_SESSION_LIMIT',
  GH_E_TOO_LARGE: 'ERR_GH_TOO_LARGE',
  GH_E_CLOSED: 'ERR_GH_CLOSED',
};

/** Converts an error thrown by the addon into the matching class. */
export function fromNative(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const code = NATIVE_CODES[(err as { code?: string }).code ?? ''];
  if (code === undefined) return err;
  switch (code) {
    case 'ERR_GH_INVALID_ARGUMENT': return new InvalidArgumentError(err.message);
    case 'ERR_GH_SESSION_LIMIT': return new SessionLimitError(err.message);
    case 'ERR_GH_TOO_LARGE': return new TooLargeError(err.message);
    default: return new TableError(code, err.message);
  }
}

/** Runs an addon call, translating its errors. */
export function nativeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

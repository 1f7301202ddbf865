// reasons.ts -- why a session is not valid, and how it was authenticated.
// Numeric values mirror gh_reason / gh_auth_method in native/include/gatehouse.h.

export const INVALID_REASONS = [
  'unknown', 'expired', 'inactive', 'logged_out', 'terminated',
  'all_sessions_terminated', 'signed_out_everywhere', 'displaced', 'evicted',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** Reason code 1..9 from the addon -> name. */
export function reasonName(code: number): InvalidReason {
  return INVALID_REASONS[code - 1] ?? 'unknown';
}
export function reasonCode(reason: InvalidReason): number {
  return INVALID_REASONS.indexOf(reason) + 1;
}

export const AUTH_METHODS = ['other', 'forms', 'basic', 'certificate', 'eai', 'token'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export function authMethodName(code: number): AuthMethod {
  return AUTH_METHODS[code] ?? 'other';
}

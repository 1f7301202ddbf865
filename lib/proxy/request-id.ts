// request-id.ts -- the ID that ties one request's access-log line, the
// proxy's own log lines and the back-end's logs together. A client (or a
// load balancer in front) may bring one in the request-ID header; it is kept
// only when it is short and made of characters that are safe in a header, a
// log line and a shell (no spaces, quotes, control characters or commas, so
// a header sent twice, which Node joins with ", ", is replaced too).
// Anything else is replaced with a fresh random UUID.
import crypto from 'node:crypto';

/** The longest request ID accepted from a client. */
export const REQUEST_ID_MAX = 128;

const SANE = /^[A-Za-z0-9._~:+/=@-]+$/;

/** True for an incoming request ID worth keeping. */
export function isSaneRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= REQUEST_ID_MAX && SANE.test(value);
}

/** The client's request ID when sane, else a new random one. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return isSaneRequestId(incoming) ? incoming : crypto.randomUUID();
}

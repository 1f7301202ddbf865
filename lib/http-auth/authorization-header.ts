// authorization-header.ts -- reads `Authorization: Basic base64(user:password)`
// and `Authorization: Bearer <token>` headers for the admin plane and the
// proxy's Basic authentication. Parsing only: checking is the caller's. Limits keep a hostile header from costing more than a glance.

export type PresentedCredentials =
  | { readonly scheme: 'basic'; readonly user: string; readonly password: string }
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'malformed'; readonly detail: string };

const MAX_HEADER = 4096;

/** Parses an Authorization header; undefined when there is none. */
export function parseAuthorization(header: string | undefined): PresentedCredentials | undefined {
  if (header === undefined || header.length === 0) return undefined;
  if (header.length > MAX_HEADER) return { scheme: 'malformed', detail: 'Authorization header too long' };
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    return value.length > 0 ? { scheme: 'bearer', token: value } : { scheme: 'malformed', detail: 'empty bearer token' };
  }
  if (scheme !== 'basic') return { scheme: 'malformed', detail: `unsupported authorization scheme '${scheme.slice(0, 20)}'` };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return { scheme: 'malformed', detail: 'basic credentials are not base64' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { scheme: 'malformed', detail: 'basic credentials need user:password' };
  return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// cross-site.ts -- login CSRF defence for the proxy's own forms
// (/pkmslogin.form, /pkmsdisplace). A browser says where a request comes
// from (Sec-Fetch-Site, Origin); a POST another site made is refused, so a
// page elsewhere cannot log a visitor in under the attacker's account or
// answer the displacement prompt for them. A request that says nothing
// (curl, scripts, old clients) is allowed: the reference lets non-browser
// clients post the login form directly, and such a request carries no
// victim's cookies to abuse.
import type { IncomingMessage } from 'node:http';

/** Why the request is refused as cross-site, or undefined when it may proceed. */
export function crossSiteReason(req: IncomingMessage): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site.trim().toLowerCase() === 'cross-site') return 'the form was sent from another site';
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (!sameHost(origin, req.headers.host)) return 'the form was sent from another origin';
  return undefined;
}

/**
 * Whether the Origin names the host the request was sent to. Compared by
 * host and port, not scheme: a TLS-terminating balancer in front turns
 * https://host into http to us. `null` (a sandboxed or privacy-sensitive
 * context) is never this site.
 */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin.trim() === 'null') return false;
  let o: URL;
  let h: URL;
  try {
    o = new URL(origin.trim());
    h = new URL(`${o.protocol}//${host.trim()}`);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  if (o.hostname !== h.hostname) return false;
  // URL drops the scheme's default port from both: an explicit :443 equals none under https.
  return o.port === h.port;
}

// headers.ts -- header copying for the two plain baseline proxies, kept to
// the same rules Gatehouse's junctions apply (lib/proxy/forward-headers.ts)
// minus everything about sessions: hop-by-hop headers (and those Connection
// names) go both ways, Host is the back-end's, X-Forwarded-For/-Proto/-Host
// are set. So the comparison measures session logic, not header shortcuts;
// and the baseline gets the same fast paths Gatehouse has (names lower-cased
// once, no token set for a plain `Connection: keep-alive`), so it does not
// measure those either.

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const REPLACED = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

const NO_TOKENS: ReadonlySet<string> = new Set();
const TRIVIAL_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;
/** `keep-alive` or `close` alone, the exact spellings compared before the pattern runs. */
const trivialConnection = (v: string): boolean => v === 'keep-alive' || v === 'close' || TRIVIAL_CONNECTION.test(v);

function connectionTokens(values: readonly string[]): ReadonlySet<string> {
  if (values.length === 0 || (values.length === 1 && trivialConnection(values[0]!))) return NO_TOKENS;
  const out = new Set<string>();
  for (const v of values) for (const t of v.split(',')) { const s = t.trim().toLowerCase(); if (s !== '') out.add(s); }
  return out;
}

const hopByHop = (lower: string, listed: ReadonlySet<string>): boolean =>
  HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || listed.has(lower);

/** Request headers for the back-end as a flat name/value list (rawHeaders form), Host included. */
export function forwardRequestHeaders(raw: readonly string[], clientAddress: string, backendHost: string): string[] {
  const lowers: string[] = new Array<string>(raw.length >> 1);
  const connection: string[] = [];
  const forwardedFor: string[] = [];
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    lowers[i >> 1] = lower;
    if (lower === 'connection') connection.push(raw[i + 1]!);
    else if (lower === 'x-forwarded-for') forwardedFor.push(raw[i + 1]!);
    else if (lower === 'host' && host === undefined) host = raw[i + 1]!;
  }
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = lowers[i >> 1]!;
    if (REPLACED.has(lower) || hopByHop(lower, listed)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (clientAddress !== '') forwardedFor.push(clientAddress);
  if (forwardedFor.length > 0) out.push('x-forwarded-for', forwardedFor.join(', '));
  out.push('x-forwarded-proto', 'http');
  if (host !== undefined) out.push('x-forwarded-host', host);
  out.push('host', backendHost);
  return out;
}

/** The back-end's response headers (lower-case keys, arrays kept) without hop-by-hop ones. */
export function forwardResponseHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[]> {
  const conn = headers['connection'];
  const listed = connectionTokens(conn === undefined ? [] : Array.isArray(conn) ? conn : [conn]);
  const out: Record<string, string | string[]> = {};
  // undici hands the names over in lower case.
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !hopByHop(name, listed) && name !== '__proto__') out[name] = value;
  }
  return out;
}

/** The client's address as Gatehouse reports it (IPv4-mapped IPv6 unwrapped). */
export function clientAddress(remote: string | undefined): string {
  const a = remote ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

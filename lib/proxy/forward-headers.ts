// forward-headers.ts -- which headers cross a junction, in each direction.
// Client -> back-end: hop-by-hop headers go, every identity-looking header a
// client sent goes (iv-*, iv_*, am-eai-*, reserved names), the session cookies
// leave the Cookie header, X-Forwarded-* are set, and only then the proxy's own
// identity headers are added. Back-end -> client: hop-by-hop and am-eai-*
// headers go; everything else, Set-Cookie arrays included, passes unchanged.

/** Hop-by-hop headers (RFC 9110 7.6.1) besides Proxy-* and those Connection names. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * Lower case with `_` read as `-`: CGI, PHP and many frameworks map both to
 * `_` (HTTP_IV_USER), so `iv_user` from a client would pass for `iv-user`.
 */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** The reserved-name set isReservedHeader expects (normalized names). */
export function reservedHeaderSet(names: Iterable<string>): ReadonlySet<string> {
  const set = new Set<string>();
  for (const n of names) set.add(normalizeHeaderName(n));
  return set;
}

/**
 * True for a header name a client may never send through (iv-*, iv_*,
 * am-eai-*, plus reserved). Case-insensitive; `_` and `-` are the same.
 * `reserved` holds names as reservedHeaderSet makes them.
 */
export function isReservedHeader(name: string, reserved?: ReadonlySet<string>): boolean {
  return isReservedLower(name.toLowerCase(), reserved);
}

/**
 * isReservedHeader for a name already in lower case (the per-request path
 * lower-cases once); `identity` holds the junction's own header names.
 */
function isReservedLower(lower: string, reserved?: ReadonlySet<string>, identity?: ReadonlySet<string>): boolean {
  const n = lower.includes('_') ? lower.replaceAll('_', '-') : lower;
  if (n.startsWith('iv-') || n.startsWith('am-eai-')) return true;
  return (reserved !== undefined && (reserved.has(n) || reserved.has(lower))) || (identity !== undefined && identity.has(n));
}

const NO_TOKENS: ReadonlySet<string> = new Set();
const TRIVIAL_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;
/** `keep-alive` or `close` alone, the exact spellings compared before the pattern runs. */
const trivialConnection = (v: string): boolean => v === 'keep-alive' || v === 'close' || TRIVIAL_CONNECTION.test(v);

// The identity headers of a junction are the same on every request, and the
// gateway hands over the same identity object for a session's requests: their
// normalized name set and flat name/value list are computed once per object.
interface IdentityPlan { readonly names: ReadonlySet<string>; readonly flat: readonly string[] }
const identityPlans = new WeakMap<object, IdentityPlan>();
function identityPlan(identity: Readonly<Record<string, string>>): IdentityPlan {
  let plan = identityPlans.get(identity);
  if (plan === undefined) {
    const names = Object.keys(identity);
    const flat: string[] = [];
    for (const name of names) flat.push(name, identity[name]!);
    plan = { names: reservedHeaderSet(names), flat };
    identityPlans.set(identity, plan);
  }
  return plan;
}

/** The hop-by-hop names a Connection header adds; none for the usual `keep-alive` / `close`. */
function listedTokens(values: readonly string[]): ReadonlySet<string> {
  if (values.length === 0 || (values.length === 1 && trivialConnection(values[0]!))) return NO_TOKENS;
  return connectionTokens(values);
}

/** The names a Connection header lists (hop-by-hop for this one message). */
export function connectionTokens(values: Iterable<string>): Set<string> {
  const tokens = new Set<string>();
  for (const v of values) {
    for (const t of v.split(',')) {
      const s = t.trim().toLowerCase();
      if (s !== '') tokens.add(s);
    }
  }
  return tokens;
}

function isHopByHop(lower: string, listed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || listed.has(lower);
}

/** The Cookie header without `names` (kept cookies in order), or undefined when none is left. */
export function stripCookies(values: readonly string[], names: ReadonlySet<string>): string | undefined {
  // The usual browser request to a junction: the session cookie alone.
  if (values.length === 1 && onlyCookie(values[0]!, names)) return undefined;
  const kept: string[] = [];
  for (const value of values) {
    for (const part of value.split(';')) {
      const pair = part.trim();
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = (eq < 0 ? '' : pair.slice(0, eq)).trim();
      if (eq >= 0 && names.has(name)) continue;
      kept.push(pair);
    }
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/** True when `value` is one `name=value` pair whose name is in `names`. */
function onlyCookie(value: string, names: ReadonlySet<string>): boolean {
  if (value.includes(';')) return false;
  const eq = value.indexOf('=');
  return eq > 0 && names.has(value.slice(0, eq).trim());
}

export interface RequestHeaderInput {
  /** The client's headers as received (IncomingMessage.rawHeaders: name, value, name, value ...). */
  readonly rawHeaders: readonly string[];
  readonly clientAddress: string;
  readonly secure: boolean;
  readonly identity: Readonly<Record<string, string>>;
  readonly sessionCookieNames: ReadonlySet<string>;
  /** Normalized (reservedHeaderSet) extra names to strip. */
  readonly reserved: ReadonlySet<string>;
}

export interface RequestHeaders {
  /** Flat name/value list for undici, without Host (set per back-end server). */
  readonly headers: string[];
  /** The client's Upgrade value; the caller decides whether to use it. */
  readonly upgrade: string | undefined;
  /** The client's Host, also sent as X-Forwarded-Host. */
  readonly host: string | undefined;
}

// Never copied from the client: set by the proxy or by undici (Host, framing,
// Expect: Node's server already answered 100-continue to the client).
const REPLACED = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'cookie']);

/** The headers to send to the back-end for a client request. */
export function requestHeaders(input: RequestHeaderInput): RequestHeaders {
  const raw = input.rawHeaders;
  const lower: string[] = new Array<string>(raw.length >> 1);
  let connection: string[] | undefined;
  const cookies: string[] = [];
  const forwardedFor: string[] = [];
  let host: string | undefined;
  let upgrade: string | undefined;
  for (let i = 0, k = 0; i + 1 < raw.length; i += 2, k++) {
    const name = raw[i]!.toLowerCase();
    lower[k] = name;
    const value = raw[i + 1]!;
    if (name === 'connection') (connection ??= []).push(value);
    else if (name === 'cookie') cookies.push(value);
    else if (name === 'x-forwarded-for') forwardedFor.push(value);
    else if (name === 'host' && host === undefined) host = value;
    else if (name === 'upgrade' && upgrade === undefined) upgrade = value;
  }
  const listed = connection === undefined ? NO_TOKENS : listedTokens(connection);
  const identity = identityPlan(input.identity);

  const out: string[] = [];
  for (let i = 0, k = 0; i + 1 < raw.length; i += 2, k++) {
    const name = lower[k]!;
    if (name.charCodeAt(0) === 58 /* : */ || REPLACED.has(name) || isHopByHop(name, listed)) continue;
    // A client header named like one the proxy adds is the client's forgery.
    if (isReservedLower(name, input.reserved, identity.names)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  const cookie = cookies.length === 0 ? undefined : stripCookies(cookies, input.sessionCookieNames);
  if (cookie !== undefined) out.push('cookie', cookie);
  if (input.clientAddress !== '') forwardedFor.push(input.clientAddress);
  if (forwardedFor.length > 0) out.push('x-forwarded-for', forwardedFor.join(', '));
  out.push('x-forwarded-proto', input.secure ? 'https' : 'http');
  if (host !== undefined) out.push('x-forwarded-host', host);
  for (const v of identity.flat) out.push(v);
  return { headers: out, upgrade, host };
}

export type ResponseHeaders = Record<string, string | string[]>;

/** The EAI trigger's response header: kept by responseHeaders for the EAI hook, never relayed. */
export const EAI_TASK_HEADER = 'am-eai-server-task';

/**
 * The back-end's response headers without hop-by-hop ones and without
 * am-eai-* headers (meant for the proxy, never a browser) except
 * am-eai-server-task, left for the EAI hook (clientResponseHeaders removes
 * it). undici hands them over with lower-case names, repeated names as
 * arrays (Set-Cookie stays a list).
 */
export function responseHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): ResponseHeaders {
  const conn = headers['connection'];
  const listed = conn === undefined ? NO_TOKENS : listedTokens(Array.isArray(conn) ? conn : [conn]);
  const out: ResponseHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    // `__proto__` would set the copy's prototype instead of a header.
    if (value === undefined || isHopByHop(name, listed) || name === '__proto__') continue;
    if (name.charCodeAt(0) === 97 /* a */ && name.startsWith('am-eai-') && name !== EAI_TASK_HEADER) continue;
    out[name] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

// cookies.ts -- the session cookie: reading one name out of a Cookie header
// without parsing the rest (the per-request path), and the Set-Cookie values
// for issuing and removing it.

/**
 * The value of cookie `name` in a Cookie header, or undefined. When the name
 * appears more than once (a path-scoped duplicate planted by a sibling site),
 * the first one wins, as browsers send the most specific first.
 */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : header.join('; ');
  let i = 0;
  while (i < text.length) {
    while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
    let end = text.indexOf(';', i);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', i);
    if (eq > i && eq < end && eq - i === name.length && text.startsWith(name, i)) {
      let value = text.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    i = end + 1;
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Default `/`. */
  path?: string;
}

/** HttpOnly, SameSite=Lax, Path=/; Secure over HTTPS. A browser-session cookie: the table owns lifetime. */
export function sessionCookie(name: string, value: string, opts: CookieOptions): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}`;
}

export function clearCookie(name: string, opts: CookieOptions): string {
  return `${name}=; Path=${opts.path ?? '/'}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}`;
}

// request-path.ts -- reads a request path the way the most lenient back-end
// could, so the junction match (and with it the login requirement) is decided
// on a form no back-end can read differently. Back-ends in front of which a
// proxy commonly sits decode `%2F` (Node, Python), strip `;param` path
// parameters (Java servlet containers read `/..;/` as `/../`), decode twice,
// accept overlong UTF-8 (`%c0%af` = `/`), read `\` as `/`, merge `//` and
// NFKC-normalise (fullwidth `／` `．`). A path that any such reading turns into a
// different path structure is refused, never normalised; what remains is
// returned in its canonical form for the junction match.

/** Percent-decoding rounds before a path that keeps decoding is refused (`%25252e` ...). */
const MAX_DECODE_ROUNDS = 4;

// An encoded slash, backslash or NUL at any decoding level: refused outright,
// as a back-end may or may not decode them (Apache AllowEncodedSlashes, Tomcat
// ALLOW_ENCODED_SLASH); IIS-style %uXXXX escapes likewise.
const ENCODED_FORBIDDEN = /%(?:2f|5c|00)|%u[0-9a-f]{4}/i;
const PERCENT_BYTE = /%([0-9a-fA-F]{2})/g;
// Control bytes never belong in a path (a NUL ends it in C); '\' is a '/' on some back-ends.
const CONTROL_OR_BACKSLASH = /[\x00-\x1f\x7f\\]/;
// Overlong UTF-8 (on the decoded bytes, one char per byte): C0/C1 leads, E0 80-9F, F0 80-8F.
// No conforming client sends them; lenient decoders read `%c0%af` as '/'.
const OVERLONG = /[\xc0\xc1][\x80-\xbf]|\xe0[\x80-\x9f]|\xf0[\x80-\x8f]/;
const NON_ASCII = /[^\x00-\x7f]/;
const DOTS_ONLY = /^\.+$/;

const percentByte = (_: string, hex: string): string => String.fromCharCode(parseInt(hex, 16));

/**
 * The path a lenient back-end would act on, for the junction match: fully
 * percent-decoded (bytes as Latin-1 characters, so the ASCII structure is
 * exact), `;params` cut from each segment, `//` merged. Undefined when some
 * reading of the path differs in structure from the literal one: a
 * dot-segment (`.`, `..`, `...`; also after decoding or with `;params`), an
 * encoded `/` `\` or NUL, a backslash, a control byte, overlong UTF-8, or a
 * compatibility character that NFKC turns into `/` `\` or a dot-segment.
 *
 * `path` is the request target up to `?`, as received (origin-form).
 */
export function canonicalPath(path: string): string | undefined {
  // The usual path: one scan, no allocation, returned as it is. Only '%',
  // '\', ';', '//', a '.' opening a segment and bytes outside printable
  // ASCII need a closer look.
  let prev = 0;
  let i = 0;
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 /* % */ || c === 92 /* \ */ || c === 59 /* ; */ || c < 0x21 || c > 0x7e) break;
    if (prev === 47 /* / */ && (c === 47 || c === 46 /* . */)) break;
    prev = c;
  }
  if (i === path.length) return path;
  return carefulRead(path);
}

function carefulRead(path: string): string | undefined {
  let s = path;
  for (let round = 0; ; round++) {
    if (ENCODED_FORBIDDEN.test(s) || CONTROL_OR_BACKSLASH.test(s) || OVERLONG.test(s) || hasDotSegment(s)) return undefined;
    if (!s.includes('%')) break;
    const next = s.replace(PERCENT_BYTE, percentByte);
    if (next === s) break;  // a '%' that starts no escape (`/100%`) is literal
    if (round === MAX_DECODE_ROUNDS) return undefined;
    s = next;
  }
  if (NON_ASCII.test(s) && !sameUnderNfkc(s)) return undefined;
  return canonicalSegments(s);
}

/** True when a segment, with any `;params` cut off, is only dots. */
function hasDotSegment(s: string): boolean {
  if (!s.includes('.')) return false;
  for (const seg of s.split('/')) {
    const semi = seg.indexOf(';');
    if (DOTS_ONLY.test(semi < 0 ? seg : seg.slice(0, semi))) return true;
  }
  return false;
}

/**
 * The decoded bytes read as UTF-8 and NFKC-normalised keep the path's
 * structure: no new '/', '\', control character or dot-segment appears
 * (fullwidth solidus U+FF0F, two dot leader U+2025, ...).
 */
function sameUnderNfkc(latin1: string): boolean {
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  const nfkc = text.normalize('NFKC');
  if (nfkc === text) return true;
  const slashes = (x: string): number => x.split('/').length;
  return slashes(nfkc) === slashes(text) && !CONTROL_OR_BACKSLASH.test(nfkc) && !hasDotSegment(nfkc);
}

/** `;params` cut from every segment, empty segments (`//`) merged. */
function canonicalSegments(s: string): string {
  if (!s.includes(';') && !s.includes('//')) return s;
  const out: string[] = [];
  const segs = s.split('/');
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k]!;
    const semi = seg.indexOf(';');
    const bare = semi < 0 ? seg : seg.slice(0, semi);
    // Keep the leading '' (the root) and a trailing '' (a trailing slash); drop empty ones between.
    if (bare === '' && k !== 0 && k !== segs.length - 1) continue;
    out.push(bare);
  }
  const joined = out.join('/');
  return joined === '' ? '/' : joined;
}

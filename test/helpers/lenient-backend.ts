// lenient-backend.ts -- a back-end that reads request paths as leniently as
// any common server might, all at once: percent-decodes repeatedly (also
// %uXXXX and overlong UTF-8), reads '\' as '/', cuts `;params` from segments,
// drops control characters, NFKC-normalises, merges '//' and resolves dot-segments
// ('...' as '..').
// It serves a secret for every path that resolves under /app; a proxy in
// front of it must never let such a request through a public junction.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SECRET = 'TOP-SECRET-CONTENT';

/** Percent-decoding of one round: bytes, then UTF-8 read leniently (overlong forms accepted). */
function decodeOnce(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && /^u[0-9a-f]{4}$/i.test(s.slice(i + 1, i + 6))) {
      for (const b of Buffer.from(String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16)), 'utf8')) bytes.push(b);
      i += 5;
    } else if (c === 37 && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(String.fromCharCode(c), 'utf8')) bytes.push(b);
    }
  }
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const cont = (k: number): number | undefined => {
      const x = bytes[i + k];
      return x !== undefined && (x & 0xc0) === 0x80 ? x & 0x3f : undefined;
    };
    if (b >= 0xc0 && b < 0xe0 && cont(1) !== undefined) { out += String.fromCodePoint(((b & 0x1f) << 6) | cont(1)!); i += 2; continue; }
    if (b >= 0xe0 && b < 0xf0 && cont(1) !== undefined && cont(2) !== undefined) {
      out += String.fromCodePoint(((b & 0x0f) << 12) | (cont(1)! << 6) | cont(2)!); i += 3; continue;
    }
    if (b >= 0xf0 && b < 0xf8 && cont(1) !== undefined && cont(2) !== undefined && cont(3) !== undefined) {
      const cp = ((b & 0x07) << 18) | (cont(1)! << 12) | (cont(2)! << 6) | cont(3)!;
      if (cp <= 0x10ffff) { out += String.fromCodePoint(cp); i += 4; continue; }
    }
    out += String.fromCharCode(b);  // Latin-1 for anything else
    i++;
  }
  return out;
}

/** The path this back-end acts on for a request target. */
export function lenientRead(target: string): string {
  let p = target.split('?')[0]!;
  for (let round = 0; round < 6; round++) {
    const next = decodeOnce(p);
    if (next === p) break;
    p = next;
  }
  p = p.replaceAll('\\', '/');
  p = p.replace(/[\x00-\x1f\x7f]/g, '');  // a sanitiser that drops control characters
  p = p.normalize('NFKC');
  const out: string[] = [];
  for (const raw of p.split('/')) {
    const seg = raw.split(';')[0]!;
    if (seg === '' || seg === '.') continue;
    if (/^\.{2,}$/.test(seg)) { out.pop(); continue; }  // '...' as '..' too (old Windows servers)
    out.push(seg);
  }
  return `/${out.join('/')}`;
}

export interface LenientBackend {
  readonly url: string;
  /** Every path as the back-end read it. */
  readonly seen: string[];
  close(): Promise<void>;
}

export async function startLenient(): Promise<LenientBackend> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    const path = lenientRead(req.url ?? '/');
    seen.push(path);
    res.setHeader('content-type', 'text/plain');
    res.end(path === '/app' || path.startsWith('/app/') ? `${SECRET} ${path}` : `public ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

// authn-cert.ts -- maps a verified TLS client certificate to a principal.
// Only a certificate the listener verified against the configured CA counts
// (`socket.authorized`); it is then looked up by SHA-256 fingerprint first,
// then by subject CN, in the configured map.
import type { TLSSocket } from 'node:tls';

export type CertificateOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'principal'; readonly principal: string; readonly subject: string }
  | { readonly kind: 'refused'; readonly subject: string; readonly detail: string };

const FINGERPRINT = /^(?:[0-9a-f]{2}:?){31}[0-9a-f]{2}$/i;

/** Turns the configured map into lookups by fingerprint and by CN. */
export class CertificateMap {
  readonly #byFingerprint = new Map<string, string>();
  readonly #byCn = new Map<string, string>();

  constructor(principals: Readonly<Record<string, string>>) {
    for (const [key, principal] of Object.entries(principals)) {
      if (typeof principal !== 'string' || principal.length === 0) throw new TypeError(`client certificate '${key}' maps to no principal`);
      if (FINGERPRINT.test(key)) this.#byFingerprint.set(normalizeFingerprint(key), principal);
      else this.#byCn.set(key.replace(/^CN=/, ''), principal);
    }
  }

  /** The principal of the connection's client certificate, if any. */
  resolve(socket: unknown): CertificateOutcome {
    const tls = socket as Partial<TLSSocket>;
    if (typeof tls.getPeerCertificate !== 'function') return { kind: 'none' };
    const cert = tls.getPeerCertificate(false);
    if (cert === null || cert === undefined || Object.keys(cert).length === 0) return { kind: 'none' };
    const cnValue = cert.subject?.CN;
    const cn = Array.isArray(cnValue) ? cnValue[0] : cnValue;
    const subject = cn ?? '(no CN)';
    if (tls.authorized !== true)
      return { kind: 'refused', subject, detail: `client certificate not verified: ${String(tls.authorizationError ?? 'unknown error')}` };
    const byFp = cert.fingerprint256 ? this.#byFingerprint.get(normalizeFingerprint(cert.fingerprint256)) : undefined;
    const principal = byFp ?? (cn !== undefined ? this.#byCn.get(cn) : undefined);
    if (principal === undefined) return { kind: 'refused', subject, detail: 'client certificate is not mapped to a principal' };
    return { kind: 'principal', principal, subject };
  }
}

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toUpperCase();
}

// tls.ts -- the admin listener's certificate: configured PEM files, or a
// self-signed one kept in the state directory (made on first start, reused,
// renewed 30 days before expiry) that clients are told to trust.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { InvalidArgumentError } from '../session/errors.js';
import type { AdminTlsOptions } from './options.js';
import { createCertificate } from './x509.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** What clients should trust: the generated certificate, or the configured certificate file. */
  readonly caCertificatePem: string;
}

export const GENERATED_CERT = 'admin-tls-cert.pem';
export const GENERATED_KEY = 'admin-tls-key.pem';
const RENEW_BEFORE_MS = 30 * 86400_000;

function readPem(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`admin TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

export function tlsMaterial(tls: Exclude<AdminTlsOptions, false>, host: string): TlsMaterial {
  if (!('generate' in tls)) {
    const cert = readPem(tls.cert, 'certificate');
    const key = readPem(tls.key, 'key');
    try {
      new X509Certificate(cert);
      createPrivateKey(key);
    } catch (err) {
      throw new InvalidArgumentError(`admin TLS certificate or key is not valid PEM: ${(err as Error).message}`);
    }
    return { cert, key, caCertificatePem: cert };
  }
  const certFile = path.join(tls.stateDir, GENERATED_CERT);
  const keyFile = path.join(tls.stateDir, GENERATED_KEY);
  const existing = reuse(certFile, keyFile);
  if (existing) return existing;
  const names = new Set(['localhost', '127.0.0.1', '::1', os.hostname(), ...(tls.hostnames ?? [])]);
  if (host !== '0.0.0.0' && host !== '::' && host.length > 0) names.add(host);
  const made = createCertificate({
    commonName: 'gatehouse-admin', organization: 'Gatehouse (self-signed)', isCA: true, usage: 'server',
    altNames: [...names].filter((n) => net.isIP(n) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(n)),
  });
  fs.mkdirSync(tls.stateDir, { recursive: true, mode: 0o700 });
  writeAtomic(keyFile, made.privateKeyPem, 0o600);
  writeAtomic(certFile, made.certificatePem, 0o644);
  return { cert: made.certificatePem, key: made.privateKeyPem, caCertificatePem: made.certificatePem };
}

function reuse(certFile: string, keyFile: string): TlsMaterial | undefined {
  try {
    const cert = fs.readFileSync(certFile, 'utf8');
    const key = fs.readFileSync(keyFile, 'utf8');
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) return undefined;
    if (Date.parse(x.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    return { cert, key, caCertificatePem: cert };
  } catch {
    return undefined;  // absent or unreadable: make a new one
  }
}

function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

// proxy-tls.ts -- a throwaway self-signed certificate for HTTPS listener
// tests, made with the `openssl` CLI at test time (no key material in the
// repository), and an undici client that trusts exactly that certificate.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';

export interface TestCert {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate PEM: the only CA a client needs. */
  readonly pem: string;
  remove(): void;
}

/** A P-256 self-signed certificate for 127.0.0.1 and localhost, valid one day. */
export function makeTestCert(): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=gatehouse-test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, certFile, keyFile, pem: fs.readFileSync(certFile, 'utf8'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An undici Agent that trusts `ca` only (certificate verification stays on). */
export function trustingAgent(ca: string): Agent {
  return new Agent({ connect: { ca } });
}

/** One request; the caller sets every header (cookies included). No redirects are followed. */
export async function send(agent: Agent, url: string, init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<RawReply> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.form !== undefined) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const r = await request(url, { method: (init.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET', headers, body, dispatcher: agent });
  return { status: r.statusCode, headers: r.headers as RawReply['headers'], body: await r.body.text() };
}

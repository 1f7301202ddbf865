// check.ts -- `gatehouse serve --check`: what serve would refuse before it
// listens, found without listening or creating anything (like `nginx -t`):
// the pages load, the registry, policy and tokens files parse, the TLS and
// CA files are readable certificates and keys, the state dir is writable.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { loadPolicy, protectedObject } from '../admin/acl-policy.js';
import { TokenStore } from '../admin/authn-tokens.js';
import type { Config } from '../config/schema.js';
import { Pages } from '../proxy/pages.js';
import { FileRegistry } from '../registry/file-registry.js';

type Problems = string[];

function attempt(problems: Problems, key: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    problems.push(`${key}: ${(err as Error).message}`);
  }
}

/** A certificate and its key: readable, PEM, and belonging together. */
function checkKeyPair(problems: Problems, key: string, pair: { cert: string; key: string }): void {
  attempt(problems, key, () => {
    const cert = fs.readFileSync(pair.cert);
    const privateKey = fs.readFileSync(pair.key);
    try {
      tls.createSecureContext({ cert, key: privateKey });
    } catch (err) {
      throw new Error(`${pair.cert} and ${pair.key} are not a PEM certificate and its key: ${(err as Error).message}`);
    }
  });
}

/** A CA file: readable, and the first certificate in it parses. */
function checkCa(problems: Problems, key: string, file: string): void {
  attempt(problems, key, () => {
    const pem = fs.readFileSync(file);
    try {
      new crypto.X509Certificate(pem);
    } catch (err) {
      throw new Error(`${file} is not a PEM certificate: ${(err as Error).message}`);
    }
  });
}

/** The state dir is written at start (certificate, audit log, PID file): it, or the folder it would be made in, must be writable. */
function checkWritableDir(problems: Problems, key: string, dir: string): void {
  let existing = dir;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  attempt(problems, key, () => {
    if (!fs.statSync(existing).isDirectory()) throw new Error(`${existing} is not a folder`);
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  });
}

export async function checkConfig(config: Config): Promise<Problems> {
  const problems: Problems = [];
  attempt(problems, 'acnt-mgt.templates', () => { Pages.load(config['acnt-mgt'].templates); });
  try {
    (await FileRegistry.open(config.registry.file, { watch: false })).close();
  } catch (err) {
    problems.push(`registry.file: ${(err as Error).message}`);
  }
  if (config.listen.https !== false) checkKeyPair(problems, 'listen.https', config.listen.https);
  for (const [point, j] of Object.entries(config.junctions))
    if (j['ca-file'] !== undefined) checkCa(problems, `junctions["${point}"].ca-file`, j['ca-file']);
  checkWritableDir(problems, 'server.state-dir', config.server['state-dir']);
  const a = config.admin;
  if (a.enabled) {
    if (typeof a.tls === 'object') checkKeyPair(problems, 'admin.tls', a.tls);
    if (a['client-certificates'] !== undefined) {
      if (a.tls === false) problems.push('admin.client-certificates: client certificates need TLS: set admin.tls to generate or {cert, key}');
      checkCa(problems, 'admin.client-certificates.ca', a['client-certificates'].ca);
    }
    attempt(problems, 'admin.policy', () => { loadPolicy(a.policy, protectedObject(config.server['server-name'])); });
    if (a.tokens !== undefined) attempt(problems, 'admin.tokens', () => { TokenStore.open(a.tokens!); });
  }
  return problems;
}

// authn-tokens.ts -- API tokens for back-ends: `gh_<id>_<secret>`. The file
// keeps, per token, its ID, the SHA-256 of its secret (never the secret),
// the principal it acts as, its scopes, when it was created and whether it
// was revoked. `gatehouse token` (lib/cli/token.ts) writes the file; the
// admin server reads it and notices changes without a restart. The file is
// YAML (JSON, being YAML too, is read as well):
//
//   version: 1
//   tokens:
//     - id: 3f9c0a7d1e2b4c58
//       hash: <64 hex digits>
//       principal: backend-hr
//       scopes: [terminate, list]
//       created: 2025-11-23T10:00:00.000Z
//       revoked: null
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { checkLoginId } from '../session/checks.js';
import { InvalidArgumentError } from '../session/errors.js';
import { SCOPES, type Scope } from './acl.js';

/** `*` stands for every scope (the token is as strong as its principal). */
export type TokenScope = Scope | '*';

export interface TokenRecord {
  readonly id: string;
  /** Lowercase hex SHA-256 of the secret part. */
  readonly hash: string;
  readonly principal: string;
  readonly scopes: readonly TokenScope[];
  /** ISO-8601 time of creation. */
  readonly created: string;
  /** ISO-8601 time of revocation, or null while valid. */
  readonly revoked: string | null;
  readonly description?: string;
}

export type TokenCheck =
  | { readonly ok: true; readonly record: TokenRecord }
  | { readonly ok: false; readonly reason: 'malformed' | 'unknown' | 'revoked'; readonly id?: string };

export const TOKEN_PATTERN = /^gh_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const recordSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/, 'token IDs are 16 lowercase hex digits'),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'hash is the SHA-256 of the secret, 64 lowercase hex digits'),
  principal: z.string().min(1).max(256),
  scopes: z.array(z.enum(['*', ...SCOPES])).min(1),
  created: z.string(),
  revoked: z.string().nullable(),
  description: z.string().max(200).optional(),
});
const fileSchema = z.strictObject({ version: z.literal(1), tokens: z.array(recordSchema) });

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The scopes a principal should carry: undefined when not narrowed. */
export function effectiveScopes(scopes: readonly TokenScope[]): readonly Scope[] | undefined {
  return scopes.includes('*') ? undefined : scopes.filter((s): s is Scope => s !== '*');
}

/** Parses `terminate,list` (or `*`/`all`) into scopes; throws on unknown names. */
export function parseScopes(text: string): TokenScope[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new InvalidArgumentError(`--scope needs one or more of ${SCOPES.join(', ')} (or *)`);
  const out = new Set<TokenScope>();
  for (const n of names) {
    if (n === '*' || n === 'all') out.add('*');
    else if ((SCOPES as readonly string[]).includes(n)) out.add(n as Scope);
    else throw new InvalidArgumentError(`unknown scope '${n}'; scopes are ${SCOPES.join(', ')} (or *)`);
  }
  return out.has('*') ? ['*'] : [...out];
}

/** Reads a tokens file; a missing file is an empty list. Throws with the file named when it is malformed. */
export function readTokens(file: string): TokenRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InvalidArgumentError(`tokens file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = parseYaml(text, { maxAliasCount: 0 }) ?? { version: 1, tokens: [] };
  } catch (err) {
    throw new InvalidArgumentError(`tokens file ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidArgumentError(`tokens file ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return parsed.data.tokens;
}

/** Verifies bearer tokens against a tokens file, re-reading it when it changes. */
export class TokenStore {
  readonly file: string;
  #stamp = '';
  #byId = new Map<string, TokenRecord>();
  readonly #onReloadError: (err: Error) => void;

  private constructor(file: string, onReloadError: (err: Error) => void) {
    this.file = file;
    this.#onReloadError = onReloadError;
  }

  /** Opens (and reads) the file; throws if it exists but is malformed. */
  static open(file: string, onReloadError: (err: Error) => void = () => {}): TokenStore {
    const store = new TokenStore(file, onReloadError);
    store.#reload(true);
    return store;
  }

  /** Checks a presented token in constant time with respect to the secret. */
  verify(token: string): TokenCheck {
    this.#reload(false);
    const m = TOKEN_PATTERN.exec(token);
    // Hash even when malformed or unknown, so the work does not depend on what matched.
    const presented = Buffer.from(hashSecret(m?.[2] ?? token), 'hex');
    if (m === null) { timingSafeEqual(presented, DUMMY); return { ok: false, reason: 'malformed' }; }
    const id = m[1]!;
    const record = this.#byId.get(id);
    const equal = timingSafeEqual(presented, record ? Buffer.from(record.hash, 'hex') : DUMMY);
    if (record === undefined || !equal) return { ok: false, reason: 'unknown', id };
    if (record.revoked !== null) return { ok: false, reason: 'revoked', id };
    return { ok: true, record };
  }

  #reload(strict: boolean): void {
    let stamp: string;
    try {
      const st = fs.statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'absent';
    }
    if (stamp === this.#stamp) return;
    try {
      const records = readTokens(this.file);
      this.#byId = new Map(records.map((r) => [r.id, r]));
      this.#stamp = stamp;
    } catch (err) {
      if (strict) throw err;
      this.#stamp = stamp;  // report once per change; keep the tokens we had
      this.#onReloadError(err as Error);
    }
  }
}

const DUMMY = Buffer.alloc(32);

// ---- writing (the token command) ------------------------------------------

export interface CreatedToken {
  /** The whole token; shown once, never stored. */
  readonly token: string;
  readonly record: TokenRecord;
}

export function createToken(file: string, principal: string, scopes: readonly TokenScope[] = ['*'], description?: string): CreatedToken {
  checkLoginId(principal, 'principal');
  if (description !== undefined && description.length > 200) throw new InvalidArgumentError('description is longer than 200 characters');
  return withTokensFile(file, (records) => {
    let id: string;
    do id = randomBytes(8).toString('hex'); while (records.some((r) => r.id === id));
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = {
      id, hash: hashSecret(secret), principal, scopes: [...scopes], created: new Date().toISOString(), revoked: null,
      ...(description !== undefined ? { description } : {}),
    };
    return { records: [...records, record], result: { token: `gh_${id}_${secret}`, record } };
  });
}

/** Revokes a token; the record stays (audit trail). Returns it, or undefined if no such ID. */
export function revokeToken(file: string, id: string): TokenRecord | undefined {
  return withTokensFile(file, (records) => {
    const i = records.findIndex((r) => r.id === id);
    if (i < 0) return { records, result: undefined };
    const old = records[i]!;
    if (old.revoked !== null) return { records, result: old };
    const updated: TokenRecord = { ...old, revoked: new Date().toISOString() };
    const next = [...records];
    next[i] = updated;
    return { records: next, result: updated };
  });
}

/**
 * Read-modify-write under a lock file (O_EXCL), replacing the file by an
 * atomic rename so a reader never sees half a file.
 */
function withTokensFile<T>(file: string, change: (records: TokenRecord[]) => { records: TokenRecord[]; result: T }): T {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = fs.openSync(lock, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than 30 s belongs to a process that died.
      try { if (Date.now() - fs.statSync(lock).mtimeMs > 30_000) fs.rmSync(lock, { force: true }); } catch { /* gone already */ }
      if (Date.now() > deadline) throw new InvalidArgumentError(`tokens file ${file} is locked (${lock}); remove the lock if no gatehouse token command is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    const { records, result } = change(readTokens(file));
    const tmp = `${file}.${process.pid}.tmp`;
    const out = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(out, `# Gatehouse admin API tokens (gatehouse token); only hashes of the secrets.\n${stringifyYaml({ version: 1, tokens: records })}`);
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(tmp, file);
    return result;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}

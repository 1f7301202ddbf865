// password.ts -- password hashing for the file registry: node:crypto scrypt,
// stored as a PHC-style string `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` (salt and
// hash in unpadded standard base64). The cost is read back from the stored
// string, so raising DEFAULT_SCRYPT later only affects new hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { InvalidArgumentError } from '../session/errors.js';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/**
 * ln=14 (N=16384), r=8, p=1: 16 MiB and ~45 ms per hash on the 2-core build
 * machine (ln=15 measured ~90 ms, ln=13 ~23 ms); the target is 30-80 ms.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ ln: 14, r: 8, p: 1 });

export const SALT_BYTES = 16;
export const HASH_BYTES = 32;
/** Longest accepted password; scrypt's cost does not depend on it, the limit only stops abuse. */
export const PASSWORD_MAX_BYTES = 1024;
/** Largest scrypt working set a stored hash may ask for (128 * N * r bytes). */
const MAX_MEMORY = 256 * 1024 * 1024;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{22,88})$/;

export interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function checkParams(params: ScryptParams, what: string): ScryptParams {
  const { ln, r, p } = params;
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(ln, 1, 24) || !int(r, 1, 64) || !int(p, 1, 16))
    throw new InvalidArgumentError(`${what}: scrypt parameters must be ln 1..24, r 1..64, p 1..16`);
  if (128 * 2 ** ln * r > MAX_MEMORY)
    throw new InvalidArgumentError(`${what}: scrypt ln=${ln}, r=${r} needs more than ${MAX_MEMORY / 1048576} MiB`);
  return params;
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

/** Splits a stored hash into its parts; throws InvalidArgumentError if it is not one. */
export function parsePasswordHash(stored: string): ParsedHash {
  const m = typeof stored === 'string' ? PHC.exec(stored) : null;
  if (!m) throw new InvalidArgumentError('expected a scrypt hash ($scrypt$ln=..,r=..,p=..$<salt>$<hash>)');
  const params = checkParams({ ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }, 'password hash');
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  // Round-trip the base64 so a non-canonical string cannot hide trailing bits.
  if (b64(salt) !== m[4] || b64(hash) !== m[5] || salt.length < 12 || hash.length < 16)
    throw new InvalidArgumentError('password hash: salt or hash is not canonical base64 of the right length');
  return { params, salt, hash };
}

export function isPasswordHash(stored: unknown): boolean {
  try {
    parsePasswordHash(stored as string);
    return true;
  } catch {
    return false;
  }
}

/** A password must be a non-empty, well-formed string of at most PASSWORD_MAX_BYTES. */
export function checkPassword(password: unknown): string {
  if (typeof password !== 'string') throw new InvalidArgumentError('password must be a string');
  if (password.length === 0) throw new InvalidArgumentError('password must not be empty');
  if (!password.isWellFormed()) throw new InvalidArgumentError('password is not well-formed Unicode');
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES)
    throw new InvalidArgumentError(`password is longer than ${PASSWORD_MAX_BYTES} bytes`);
  return password;
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1048576 };
  // NFC so the same password typed on two keyboards (composed or not) matches.
  const input = Buffer.from(password.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(input, salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password with a fresh 16-byte salt; `options` lowers or raises the cost (tests use ln 4-10). */
export async function hashPassword(password: string, options: Partial<ScryptParams> = {}): Promise<string> {
  checkPassword(password);
  const params = checkParams({ ...DEFAULT_SCRYPT, ...options }, 'hashPassword');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, HASH_BYTES);
  return formatHash(params, salt, hash);
}

export function formatHash(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

async function verifyParsed(password: string, parsed: ParsedHash): Promise<boolean> {
  const usable = typeof password === 'string' && password.length > 0 && password.isWellFormed();
  const key = await derive(usable ? password : '', parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash) && usable;
}

/**
 * True when `password` matches `stored`. Never throws for a bad password; a
 * stored string that is not a hash is treated as "no match" after the same
 * work a real check costs (so it cannot be told apart by timing).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  let parsed: ParsedHash;
  try {
    parsed = parsePasswordHash(stored);
  } catch {
    return burnVerify(password);
  }
  return verifyParsed(password, parsed);
}

const dummies = new Map<string, ParsedHash>();

/**
 * A random hash with the given cost, for checking passwords of users that do
 * not exist: no password matches it, and checking one costs the same time.
 */
function dummyHash(params: ScryptParams): ParsedHash {
  const key = `${params.ln},${params.r},${params.p}`;
  let d = dummies.get(key);
  if (d === undefined) {
    d = { params: checkParams(params, 'dummy hash'), salt: randomBytes(SALT_BYTES), hash: randomBytes(HASH_BYTES) };
    dummies.set(key, d);
  }
  return d;
}

/** Checks `password` against a random hash of cost `params`: the time of a real check, always false. */
export async function burnVerify(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<false> {
  await verifyParsed(password, dummyHash(params));
  return false;
}

/** True when a stored hash is cheaper than `params` (re-hash at the next successful login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  try {
    const p = parsePasswordHash(stored).params;
    return p.ln < params.ln || p.r < params.r || p.p < params.p;
  } catch {
    return true;
  }
}

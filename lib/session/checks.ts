// checks.ts -- argument validation, done once at the edge before any native
// call: a bad argument throws InvalidArgumentError and changes nothing.
import { InvalidArgumentError } from './errors.js';

export const LOGIN_MAX_BYTES = 256;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SESSION_ID = /^[A-Za-z0-9_-]{32}$/;
const USER_SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const TABLE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function checkLoginId(loginId: unknown, what = 'loginId'): string {
  if (typeof loginId !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  if (loginId.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  if (!loginId.isWellFormed()) throw new InvalidArgumentError(`${what} is not well-formed Unicode (lone surrogate)`);
  if (CONTROL.test(loginId)) throw new InvalidArgumentError(`${what} must not contain control characters`);
  const bytes = Buffer.byteLength(loginId, 'utf8');
  if (bytes > LOGIN_MAX_BYTES) throw new InvalidArgumentError(`${what} is ${bytes} bytes of UTF-8; the limit is ${LOGIN_MAX_BYTES}`);
  return loginId;
}

export function checkPattern(pattern: unknown): string {
  return checkLoginId(pattern, 'pattern');
}

export function isSessionId(s: unknown): s is string {
  return typeof s === 'string' && SESSION_ID.test(s);
}

export function checkUserSessionId(s: unknown): string {
  if (typeof s !== 'string' || !USER_SESSION_ID.test(s))
    throw new InvalidArgumentError('user session ID must be 22 base64url characters');
  return s;
}

export function checkTableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name) || name === '.' || name === '..')
    throw new InvalidArgumentError('table name must be 1..200 characters of [A-Za-z0-9._-]');
  return name;
}

export function checkUint(value: unknown, what: string, max = 0xffffffff, fallback = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new InvalidArgumentError(`${what} must be an integer in 0..${max}, got ${String(value)}`);
  return value;
}

/** A time in ms since the epoch; undefined means "now" (0 for the addon). */
export function checkTime(value: unknown, what = 'now'): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError(`${what} must be a positive integer of milliseconds since the epoch`);
  return value;
}

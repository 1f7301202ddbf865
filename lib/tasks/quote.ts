// quote.ts -- the grammar's token rules, for building task strings: quote
// only when needed, escape `"` and `\` inside quotes, and validate each
// argument the way the native parser will.
import { checkLoginId } from '../session/checks.js';
import { InvalidArgumentError } from '../session/errors.js';

export const MAX_SESSION_ID_BYTES = 1024;
export const DEFAULT_MAX = 100;
export const MAX_MAX = 100_000;

const SESSION_ID = /^[\x21\x23-\x5b\x5d-\x7e]+$/;  // printable ASCII but space, " and \

/**
 * A user ID, pattern, replica set or help word: the same rules as a login ID
 * (1..256 bytes of UTF-8, well-formed, no control characters -- tabs included).
 */
export const checkText = (value: unknown, what: string): string => checkLoginId(value, what);

export function checkSessionToken(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SESSION_ID_BYTES || !SESSION_ID.test(value))
    throw new InvalidArgumentError('user session ID must be 1..1024 printable ASCII characters without spaces, quotes or backslashes');
  return value;
}

export function checkMax(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_MAX)
    throw new InvalidArgumentError(`maximum to return must be an integer in 1..${MAX_MAX}, got ${String(value)}`);
  return value;
}

/**
 * The canonical token: unchanged when it can stand alone, else in double
 * quotes with `"` and `\` escaped. User IDs equal to the keyword `pattern`
 * (any case) are quoted too, so `list sessions "pattern"` lists that user.
 */
export function token(value: string, guardKeyword: boolean): string {
  const needs = value.length === 0 || /[ \t"]/.test(value) || (guardKeyword && value.toLowerCase() === 'pattern');
  return needs ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

export const quoteUserId = (userId: string): string => token(userId, true);

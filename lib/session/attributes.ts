// attributes.ts -- the credential attributes a session carries (groups,
// tagvalue_* attributes ...), stored as compact JSON in the session's
// credential area. JSON keeps them readable from C and fast to decode here.
import { InvalidArgumentError } from './errors.js';

export type CredentialAttributes = Readonly<Record<string, string | readonly string[]>>;

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const EMPTY: CredentialAttributes = Object.freeze({});

export function encodeAttributes(attrs: CredentialAttributes | undefined): Buffer | null {
  if (attrs === undefined) return null;
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs))
    throw new InvalidArgumentError('attributes must be an object of strings or string arrays');
  for (const [name, value] of Object.entries(attrs)) {
    if (!NAME.test(name)) throw new InvalidArgumentError(`attribute name ${JSON.stringify(name)} must match ${NAME}`);
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || !v.isWellFormed()))
      throw new InvalidArgumentError(`attribute ${name} must be a string or an array of well-formed strings`);
  }
  const keys = Object.keys(attrs);
  return keys.length === 0 ? null : Buffer.from(JSON.stringify(attrs), 'utf8');
}

export function decodeAttributes(buf: Buffer): CredentialAttributes {
  if (buf.length === 0) return EMPTY;
  return Object.freeze(JSON.parse(buf.toString('utf8')) as Record<string, string | string[]>);
}

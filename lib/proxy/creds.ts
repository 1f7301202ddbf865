// creds.ts -- the iv-creds header: the user's credential as junctioned
// back-ends receive it, in the reference's wire format:
//
//   "Version=1, " base64( 04 02 AC DC  DER(principal chain) )
//   chain     = SEQUENCE { UTF8String signature, SEQUENCE OF principal }
//   principal = SEQUENCE { INTEGER 1, SEQUENCE { secid user, SEQUENCE OF secid group },
//                          INTEGER 1, SEQUENCE { SEQUENCE OF attribute } }
//             | SEQUENCE { INTEGER 1, INTEGER 0, SEQUENCE { SEQUENCE OF attribute } }   (unauthenticated)
//   secid     = SEQUENCE { SEQUENCE { INTEGER x5, OCTET STRING node(6) }, UTF8String name }
//   attribute = SEQUENCE { UTF8String name, SEQUENCE OF SEQUENCE { INTEGER 4, UTF8String value, OCTET STRING '' } }
//
// We have no registry UUIDs, so a principal's or group's UUID is derived from
// its name (SHA-256, shaped as an RFC 9562 version-8 UUID). The signature
// field is a fixed placeholder: this header is only as trustworthy as the
// junction that carries it (use TLS junctions), exactly as in the reference.
import crypto from 'node:crypto';
import { InvalidArgumentError } from '../session/errors.js';
import {
  derInteger, derOctets, derSequence, derUtf8, parseDer, readInteger, readOctets, readSequence, readUtf8,
  TAG_INTEGER, type DerNode,
} from './creds-der.js';

/** A credential as the iv-creds header carries it. */
export interface Credential {
  readonly user: string;
  readonly dn: string;
  readonly groups: readonly string[];
  readonly authenticated: boolean;
  /** Extended attributes; a value with exactly one element decodes as a plain string. */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

export const CREDS_VERSION_PREFIX = 'Version=1, ';
/** Longest header value encoded or accepted (characters); far above what a sane credential needs. */
export const MAX_CREDS_HEADER_LENGTH = 256 * 1024;
const MAGIC = Buffer.from([0x04, 0x02, 0xac, 0xdc]);
const SIGNATURE = 'SIGNATURE';
const PRINCIPAL_VERSION = 1;
const AUTH_TYPE_AUTHENTICATED = 1;
const VALUE_TYPE_STRING = 4;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export const ATTR_PRINCIPAL_NAME = 'AZN_CRED_PRINCIPAL_NAME';
export const ATTR_PRINCIPAL_UUID = 'AZN_CRED_PRINCIPAL_UUID';
export const ATTR_REGISTRY_ID = 'AZN_CRED_REGISTRY_ID';
export const ATTR_PRINCIPAL_DOMAIN = 'AZN_CRED_PRINCIPAL_DOMAIN';
export const ATTR_GROUPS = 'AZN_CRED_GROUPS';

/**
 * Attributes the codec writes itself from user, dn and groups. A caller's
 * attribute of the same name is dropped: a registry attribute must never be
 * able to claim a different AZN_CRED_PRINCIPAL_NAME than the principal. The
 * decoder reads them back into user/dn/groups, not into `attributes`.
 */
export const DERIVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR_PRINCIPAL_NAME, ATTR_PRINCIPAL_UUID, ATTR_REGISTRY_ID, ATTR_PRINCIPAL_DOMAIN, ATTR_GROUPS,
]);

/** The credential of a request without a session (the reference's canned values). */
export const UNAUTHENTICATED_CREDENTIAL: Credential = Object.freeze({
  user: 'unauthenticated',
  dn: 'cn=unauthenticated',
  groups: Object.freeze([]),
  authenticated: false,
  attributes: Object.freeze({}),
});

/** A stable UUID for a principal or group name (version-8 UUID from SHA-256). */
export function nameUuid(kind: 'principal' | 'group', name: string): string {
  const h = crypto.createHash('sha256').update(`gatehouse-${kind}\0${name}`, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8: custom
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

// ---------------------------------------------------------------- encode

function bad(message: string): never {
  throw new InvalidArgumentError(`iv-creds: ${message}`);
}

function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  if (!value.isWellFormed()) bad(`${what} contains a lone UTF-16 surrogate (cannot be UTF-8 encoded)`);
  return value;
}

function checkAttributes(attributes: unknown): Array<[string, readonly string[]]> {
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) bad('attributes must be an object');
  const out: Array<[string, readonly string[]]> = [];
  for (const [name, value] of Object.entries(attributes)) {
    checkText(name, 'an attribute name');
    if (name === '') bad('attribute names must not be empty');
    if (DERIVED_ATTRIBUTES.has(name)) continue;
    const values: unknown = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values)) bad(`attribute ${JSON.stringify(name)} must be a string or an array of strings`);
    out.push([name, values.map((v) => checkText(v, `a value of attribute ${JSON.stringify(name)}`))]);
  }
  return out;
}

function uuidDer(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  return derSequence([
    derInteger(parseInt(hex.slice(0, 8), 16)),
    derInteger(parseInt(hex.slice(8, 12), 16)),
    derInteger(parseInt(hex.slice(12, 16), 16)),
    derInteger(parseInt(hex.slice(16, 18), 16)),
    derInteger(parseInt(hex.slice(18, 20), 16)),
    derOctets(Buffer.from(hex.slice(20, 32), 'hex')),
  ]);
}

function secIdDer(kind: 'principal' | 'group', name: string): Buffer {
  return derSequence([uuidDer(nameUuid(kind, name)), derUtf8(name)]);
}

function attributeListDer(attrs: ReadonlyArray<readonly [string, readonly string[]]>): Buffer {
  return derSequence([derSequence(attrs.map(([name, values]) => derSequence([
    derUtf8(name),
    derSequence(values.map((v) => derSequence([derInteger(VALUE_TYPE_STRING), derUtf8(v), derOctets(Buffer.alloc(0))]))),
  ])))]);
}

/**
 * The iv-creds header value for a credential. Attributes named in
 * DERIVED_ATTRIBUTES are written from user/dn/groups (a caller's copy is
 * ignored). An unauthenticated credential must carry the canned user/dn
 * (or empty ones) and no groups. Throws InvalidArgumentError on bad input
 * or when the result would exceed MAX_CREDS_HEADER_LENGTH.
 */
export function encodeCredential(c: Credential): string {
  if (c === null || typeof c !== 'object') bad('the credential must be an object');
  const user = checkText(c.user, 'user');
  const dn = checkText(c.dn, 'dn');
  if (!Array.isArray(c.groups)) bad('groups must be an array of strings');
  const groups = c.groups.map((g) => checkText(g, 'a group name'));
  if (typeof c.authenticated !== 'boolean') bad('authenticated must be true or false');
  const extra = checkAttributes(c.attributes);

  let principal: Buffer;
  if (c.authenticated) {
    if (user === '') bad('an authenticated credential needs a user name');
    const attrs: Array<readonly [string, readonly string[]]> = [
      [ATTR_PRINCIPAL_NAME, [user]], [ATTR_PRINCIPAL_UUID, [nameUuid('principal', user)]],
      [ATTR_REGISTRY_ID, [dn]], [ATTR_PRINCIPAL_DOMAIN, ['Default']], [ATTR_GROUPS, groups], ...extra,
    ];
    principal = derSequence([
      derInteger(PRINCIPAL_VERSION),
      derSequence([secIdDer('principal', user), derSequence(groups.map((g) => secIdDer('group', g)))]),
      derInteger(AUTH_TYPE_AUTHENTICATED),
      attributeListDer(attrs),
    ]);
  } else {
    if ((user !== '' && user !== UNAUTHENTICATED_CREDENTIAL.user) || (dn !== '' && dn !== UNAUTHENTICATED_CREDENTIAL.dn) || groups.length > 0)
      bad(`an unauthenticated credential has no user, DN or groups (use ${UNAUTHENTICATED_CREDENTIAL.user} / ${UNAUTHENTICATED_CREDENTIAL.dn})`);
    const attrs: Array<readonly [string, readonly string[]]> = [
      [ATTR_PRINCIPAL_NAME, [UNAUTHENTICATED_CREDENTIAL.user]], [ATTR_PRINCIPAL_UUID, [NIL_UUID]],
      [ATTR_REGISTRY_ID, [UNAUTHENTICATED_CREDENTIAL.dn]], [ATTR_PRINCIPAL_DOMAIN, ['Default']], ...extra,
    ];
    principal = derSequence([derInteger(PRINCIPAL_VERSION), derInteger(0), attributeListDer(attrs)]);
  }
  const chain = derSequence([derUtf8(SIGNATURE), derSequence([principal])]);
  const bytes = MAGIC.length + chain.length;
  if (CREDS_VERSION_PREFIX.length + Math.ceil(bytes / 3) * 4 > MAX_CREDS_HEADER_LENGTH)
    bad(`the credential is too large for a header (${bytes} bytes encoded; the limit is ${MAX_CREDS_HEADER_LENGTH} characters)`);
  return CREDS_VERSION_PREFIX + Buffer.concat([MAGIC, chain]).toString('base64');
}

// ---------------------------------------------------------------- decode

function failAt(node: DerNode, message: string): never {
  bad(`${message} at byte ${node.offset}`);
}

function readUuid(node: DerNode, what: string): void {
  const p = readSequence(node, `${what} UUID`, 6);
  const bits = [32, 16, 16, 8, 8];
  for (let k = 0; k < 5; k++) readInteger(p[k]!, `${what} UUID field ${k + 1}`, bits[k]);
  if (readOctets(p[5]!, `${what} UUID node`).length !== 6) failAt(p[5]!, `${what} UUID node must be 6 bytes`);
}

function readSecId(node: DerNode, what: string): string {
  const p = readSequence(node, what, [1, 2]);
  readUuid(p[0]!, what);
  if (p.length < 2) failAt(node, `${what} has no name`);
  return readUtf8(p[1]!, `${what} name`);
}

function readAttributes(node: DerNode): Map<string, string[]> {
  const wrapper = readSequence(node, 'attribute list wrapper', 1);
  const out = new Map<string, string[]>();
  for (const a of readSequence(wrapper[0]!, 'attribute list')) {
    const [nameNode, valuesNode] = readSequence(a, 'attribute', 2);
    const name = readUtf8(nameNode!, 'attribute name');
    if (name === '') failAt(nameNode!, 'empty attribute name');
    if (out.has(name)) failAt(nameNode!, `duplicate attribute ${JSON.stringify(name.slice(0, 64))}`);
    const values: string[] = [];
    for (const v of readSequence(valuesNode!, `values of ${name.slice(0, 64)}`)) {
      const [typeNode, textNode, bytesNode] = readSequence(v, 'attribute value', 3);
      const type = readInteger(typeNode!, 'attribute value type');
      if (type !== VALUE_TYPE_STRING) failAt(typeNode!, `attribute value type ${type} is not supported (only 4, string)`);
      values.push(readUtf8(textNode!, 'attribute value'));
      if (readOctets(bytesNode!, 'attribute value bytes').length !== 0) failAt(bytesNode!, 'a string attribute value carries bytes');
    }
    out.set(name, values);
  }
  return out;
}

function singleValue(attrs: Map<string, string[]>, name: string, node: DerNode): string | undefined {
  const v = attrs.get(name);
  if (v === undefined) return undefined;
  if (v.length !== 1) failAt(node, `${name} must have exactly one value`);
  return v[0];
}

function publicAttributes(attrs: Map<string, string[]>): Readonly<Record<string, string | readonly string[]>> {
  const entries: Array<[string, string | readonly string[]]> = [];
  for (const [name, values] of attrs) {
    if (DERIVED_ATTRIBUTES.has(name)) continue;
    entries.push([name, values.length === 1 ? values[0]! : Object.freeze(values)]);
  }
  // fromEntries defines own properties: a name like __proto__ stays data.
  return Object.freeze(Object.fromEntries(entries));
}

function decodeBytes(header: unknown): { bytes: Buffer; base: number } {
  if (typeof header !== 'string') bad('the header value must be a string');
  if (header.length > MAX_CREDS_HEADER_LENGTH) bad(`the header is longer than ${MAX_CREDS_HEADER_LENGTH} characters`);
  let text = header.replace(/^[ \t]+/, '');
  if (text.startsWith('Version=')) {
    if (!text.startsWith(CREDS_VERSION_PREFIX)) bad(`unsupported version ${JSON.stringify(text.slice(0, 16))}... (expected ${JSON.stringify(CREDS_VERSION_PREFIX)})`);
    text = text.slice(CREDS_VERSION_PREFIX.length);
  }
  text = text.replace(/[ \t]+$/, '');
  if (text === '') bad('the header is empty');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) bad('the value is not standard base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) bad('the value is not canonical base64');
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) bad('the value does not start with the credential magic 04 02 AC DC');
  return { bytes: bytes.subarray(MAGIC.length), base: MAGIC.length };
}

/**
 * Reads an iv-creds header value (with or without the "Version=1, "
 * prefix). Strict: anything malformed -- bad base64, wrong magic, lengths
 * past the end, non-DER encodings, too deep nesting, unexpected structure,
 * invalid UTF-8 -- throws InvalidArgumentError naming the problem, and
 * nothing else is ever thrown. Delegation chains with more than one
 * principal and non-string attribute values are rejected.
 */
export function decodeCredential(header: string): Credential {
  const { bytes, base } = decodeBytes(header);
  const root = parseDer(bytes, base);
  const [sigNode, listNode] = readSequence(root, 'principal chain', 2);
  readUtf8(sigNode!, 'signature');
  const principals = readSequence(listNode!, 'principal list');
  if (principals.length !== 1) failAt(listNode!, `expected one principal, found ${principals.length}`);
  const p = readSequence(principals[0]!, 'principal', [3, 4]);
  const version = readInteger(p[0]!, 'principal version');
  if (version !== PRINCIPAL_VERSION) failAt(p[0]!, `unsupported principal version ${version}`);

  if (p[1]!.tag === TAG_INTEGER) {
    const flag = readInteger(p[1]!, 'unauthenticated marker');
    if (flag !== 0) failAt(p[1]!, `expected 0 (unauthenticated), found ${flag}`);
    if (p.length !== 3) failAt(principals[0]!, 'an unauthenticated principal has 3 elements');
    const attrs = readAttributes(p[2]!);
    return Object.freeze({ ...UNAUTHENTICATED_CREDENTIAL, attributes: publicAttributes(attrs) });
  }

  if (p.length !== 4) failAt(principals[0]!, 'an authenticated principal has 4 elements');
  const [userNode, groupsNode] = readSequence(p[1]!, 'privilege attributes', 2);
  const user = readSecId(userNode!, 'principal');
  const groups = readSequence(groupsNode!, 'group list').map((g) => readSecId(g, 'group'));
  const authType = readInteger(p[2]!, 'authentication type');
  if (authType !== AUTH_TYPE_AUTHENTICATED) failAt(p[2]!, `unsupported authentication type ${authType}`);
  const attrs = readAttributes(p[3]!);
  const named = singleValue(attrs, ATTR_PRINCIPAL_NAME, p[3]!);
  if (named !== undefined && named !== user) failAt(p[3]!, `${ATTR_PRINCIPAL_NAME} does not match the principal`);
  const dn = singleValue(attrs, ATTR_REGISTRY_ID, p[3]!);
  if (dn === undefined) failAt(p[3]!, `the credential has no ${ATTR_REGISTRY_ID}`);
  return Object.freeze({ user, dn, groups: Object.freeze(groups), authenticated: true, attributes: publicAttributes(attrs) });
}

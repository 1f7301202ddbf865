// iv-creds codec: round trips, a hand-assembled reference credential, and a
// strict decoder that answers malformed input with InvalidArgumentError only.
import test from 'ava';
import fc from 'fast-check';
import {
  decodeCredential, encodeCredential, nameUuid, CREDS_VERSION_PREFIX, DERIVED_ATTRIBUTES, MAX_CREDS_HEADER_LENGTH,
  UNAUTHENTICATED_CREDENTIAL, type Credential,
} from '../lib/proxy/creds.js';
import { InvalidArgumentError } from '../lib/session/errors.js';

const MAGIC = Buffer.from([0x04, 0x02, 0xac, 0xdc]);

// An independent TLV writer for hand-assembled vectors (short and 0x81/0x82 lengths).
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const int = (...bytes: number[]): Buffer => tlv(0x02, Buffer.from(bytes));
const octets = (...bytes: number[]): Buffer => tlv(0x04, Buffer.from(bytes));
const strValue = (s: string): Buffer => seq(int(4), utf8(s), octets());
const attr = (name: string, ...values: string[]): Buffer => seq(utf8(name), seq(...values.map(strValue)));
const header = (der: Buffer, prefix = CREDS_VERSION_PREFIX): string => prefix + Buffer.concat([MAGIC, der]).toString('base64');

function throwsInvalid(t: { throws: (fn: () => unknown, e: object, m?: string) => unknown }, value: string, message?: RegExp): void {
  t.throws(() => decodeCredential(value), { instanceOf: InvalidArgumentError, ...(message ? { message } : {}) }, value.slice(0, 80));
}

/** What decode returns for an input credential: single values flatten, derived attributes move out. */
function normalized(c: Credential): Credential {
  const attributes: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(c.attributes)) {
    if (DERIVED_ATTRIBUTES.has(k)) continue;
    Object.defineProperty(attributes, k, { value: typeof v !== 'string' && v.length === 1 ? v[0] : v, enumerable: true, writable: true, configurable: true });
  }
  return c.authenticated
    ? { user: c.user, dn: c.dn, groups: c.groups, authenticated: true, attributes }
    : { ...UNAUTHENTICATED_CREDENTIAL, attributes };
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const attrName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !DERIVED_ATTRIBUTES.has(s));
const attrValue = fc.oneof(text, fc.array(text, { maxLength: 4 }));
const attributes = fc.dictionary(attrName, attrValue, { maxKeys: 6 });
const authenticatedCred = fc.record({
  user: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  dn: text,
  groups: fc.array(text, { maxLength: 6 }),
  authenticated: fc.constant(true),
  attributes,
});
const unauthenticatedCred = fc.record({
  user: fc.constant('unauthenticated'), dn: fc.constant('cn=unauthenticated'), groups: fc.constant([] as string[]),
  authenticated: fc.constant(false), attributes,
});
const anyCred = fc.oneof(authenticatedCred, unauthenticatedCred);

test('round trip: decode(encode(c)) is c (property, unicode included)', (t) => {
  fc.assert(fc.property(anyCred, (c) => {
    t.deepEqual(decodeCredential(encodeCredential(c)), normalized(c));
  }), { numRuns: 400 });
  t.pass();
});

test('a hand-picked credential round-trips', (t) => {
  const c: Credential = {
    user: 'Jürgen 山田', dn: 'cn=Jürgen,o=example', groups: ['admins', 'Grüße', '👩‍💻'], authenticated: true,
    attributes: { tagvalue_user_session_id: 'ZGVmYXVsdAA=_abc:', multi: ['a', 'b'], empty: [], one: ['x'], __proto__x: 'y' },
  };
  const d = decodeCredential(encodeCredential(c));
  t.is(d.user, c.user);
  t.is(d.dn, c.dn);
  t.deepEqual(d.groups, c.groups);
  t.true(d.authenticated);
  t.deepEqual(d.attributes, { tagvalue_user_session_id: 'ZGVmYXVsdAA=_abc:', multi: ['a', 'b'], empty: [], one: 'x', __proto__x: 'y' });
});

test('an attribute named __proto__ stays data', (t) => {
  const attrs = JSON.parse('{"__proto__": "polluted"}') as Record<string, string>;
  const d = decodeCredential(encodeCredential({ user: 'u', dn: 'cn=u', groups: [], authenticated: true, attributes: attrs }));
  t.is(Object.getPrototypeOf(d.attributes), Object.prototype);
  t.is(Object.getOwnPropertyDescriptor(d.attributes, '__proto__')?.value, 'polluted');
});

test('the header is "Version=1, " + base64 with no CR/LF (property)', (t) => {
  fc.assert(fc.property(anyCred, (c) => {
    const h = encodeCredential(c);
    return h.startsWith(CREDS_VERSION_PREFIX) && /^[A-Za-z0-9+/]+={0,2}$/.test(h.slice(CREDS_VERSION_PREFIX.length)) && !/[\r\n]/.test(h);
  }), { numRuns: 200 });
  const bytes = Buffer.from(encodeCredential({ user: 'bob', dn: 'cn=bob', groups: [], authenticated: true, attributes: {} }).slice(CREDS_VERSION_PREFIX.length), 'base64');
  t.deepEqual(bytes.subarray(0, 4), MAGIC);
  t.is(bytes[4], 0x30);
});

// The reference's unauthenticated principal, assembled by hand: version 1, marker 0, attribute list.
const CANNED_UNAUTH = seq(
  utf8('SIGNATURE'),
  seq(seq(
    int(1), int(0),
    seq(seq(
      attr('AZN_CRED_PRINCIPAL_NAME', 'unauthenticated'),
      attr('AZN_CRED_PRINCIPAL_UUID', '00000000-0000-0000-0000-000000000000'),
      attr('AZN_CRED_REGISTRY_ID', 'cn=unauthenticated'),
      attr('AZN_CRED_PRINCIPAL_DOMAIN', 'Default'),
    )),
  )),
);

test('canned unauthenticated credential: decodes, and is what the encoder writes', (t) => {
  t.deepEqual(decodeCredential(header(CANNED_UNAUTH)), UNAUTHENTICATED_CREDENTIAL);
  t.deepEqual(decodeCredential(header(CANNED_UNAUTH, '')), UNAUTHENTICATED_CREDENTIAL, 'the Version prefix is optional');
  t.deepEqual(decodeCredential(` ${header(CANNED_UNAUTH)}\t`), UNAUTHENTICATED_CREDENTIAL, 'surrounding whitespace');
  t.is(encodeCredential(UNAUTHENTICATED_CREDENTIAL), header(CANNED_UNAUTH));
  t.is(encodeCredential({ user: '', dn: '', groups: [], authenticated: false, attributes: {} }), header(CANNED_UNAUTH));
});

test('a hand-assembled authenticated credential decodes', (t) => {
  const uuid = seq(int(0x00, 0x83, 0x46, 0x5c, 0xd2), int(0x00, 0xbf, 0xe0), int(0x12, 0x34), int(0x00, 0xac), int(0x05), octets(1, 2, 3, 4, 5, 6));
  const der = seq(utf8('anything'), seq(seq(
    int(1),
    seq(seq(uuid, utf8('dlucas')), seq(seq(uuid, utf8('sales')), seq(uuid, utf8('hr')))),
    int(1),
    seq(seq(attr('AZN_CRED_REGISTRY_ID', 'cn=dlucas,o=ibm'), attr('AZN_CRED_PRINCIPAL_NAME', 'dlucas'), attr('tagvalue_x', 'a', 'b'), attr('AZN_CRED_AUTH_METHOD', 'password'))),
  )));
  t.deepEqual(decodeCredential(header(der)), {
    user: 'dlucas', dn: 'cn=dlucas,o=ibm', groups: ['sales', 'hr'], authenticated: true,
    attributes: { tagvalue_x: ['a', 'b'], AZN_CRED_AUTH_METHOD: 'password' },
  });
});

test('derived attributes come from user/dn/groups; a caller cannot override them', (t) => {
  const h = encodeCredential({
    user: 'bob', dn: 'cn=bob', groups: ['g'], authenticated: true,
    attributes: { AZN_CRED_PRINCIPAL_NAME: 'admin', AZN_CRED_REGISTRY_ID: 'cn=admin', AZN_CRED_GROUPS: ['admins'], keep: 'me' },
  });
  const raw = Buffer.from(h.slice(CREDS_VERSION_PREFIX.length), 'base64').toString('latin1');
  t.false(raw.includes('admin'));
  t.deepEqual(decodeCredential(h), { user: 'bob', dn: 'cn=bob', groups: ['g'], authenticated: true, attributes: { keep: 'me' } });
});

test('UUIDs are derived from names, stable, and shaped as version-8 UUIDs', (t) => {
  const a = nameUuid('principal', 'bob');
  t.regex(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.is(nameUuid('principal', 'bob'), a);
  t.not(nameUuid('principal', 'bob2'), a);
  t.not(nameUuid('group', 'bob'), a);
  const bytes = Buffer.from(encodeCredential({ user: 'bob', dn: 'cn=bob', groups: [], authenticated: true, attributes: {} }).slice(CREDS_VERSION_PREFIX.length), 'base64');
  t.true(bytes.toString('latin1').includes(a), 'AZN_CRED_PRINCIPAL_UUID carries it');
});

test('the encoder refuses what it cannot represent', (t) => {
  const base: Credential = { user: 'u', dn: 'cn=u', groups: [], authenticated: true, attributes: {} };
  const bad: Array<[unknown, RegExp]> = [
    [{ ...base, user: '' }, /needs a user name/],
    [{ ...base, user: 'a\ud800' }, /lone UTF-16 surrogate/],
    [{ ...base, groups: ['\udc00'] }, /surrogate/],
    [{ ...base, attributes: { x: ['ok', '\ud83d'] } }, /surrogate/],
    [{ ...base, attributes: { '': 'x' } }, /must not be empty/],
    [{ ...base, attributes: { x: 5 } }, /string or an array/],
    [{ ...base, attributes: [] }, /must be an object/],
    [{ ...base, groups: 'g' }, /groups must be an array/],
    [{ ...base, authenticated: 'yes' }, /true or false/],
    [{ ...base, authenticated: false }, /unauthenticated credential has no user/],
    [{ ...UNAUTHENTICATED_CREDENTIAL, groups: ['g'] }, /unauthenticated/],
    [{ ...base, attributes: { big: 'x'.repeat(MAX_CREDS_HEADER_LENGTH) } }, /too large/],
    [null, /must be an object/],
  ];
  for (const [c, message] of bad) t.throws(() => encodeCredential(c as Credential), { instanceOf: InvalidArgumentError, message }, String(message));
});

test('garbage, wrong framing and oversized input give InvalidArgumentError', (t) => {
  const good = encodeCredential({ user: 'bob', dn: 'cn=bob', groups: ['g'], authenticated: true, attributes: { a: 'b' } });
  throwsInvalid(t, '', /empty/);
  throwsInvalid(t, 'Version=1, ', /empty/);
  throwsInvalid(t, 'Version=2, ' + good.slice(CREDS_VERSION_PREFIX.length), /unsupported version/);
  throwsInvalid(t, 'hello world', /base64/);
  throwsInvalid(t, good + '\r\nX-Evil: 1', /base64/);
  throwsInvalid(t, good.slice(0, -1), /base64/);
  throwsInvalid(t, 'QUJD', /magic/);
  throwsInvalid(t, Buffer.from('hello').toString('base64url'), /base64/);
  throwsInvalid(t, 'BAKs3R==', /canonical/);
  throwsInvalid(t, 'Version=1, ' + 'A'.repeat(MAX_CREDS_HEADER_LENGTH), /longer than/);
  t.throws(() => decodeCredential(42 as unknown as string), { instanceOf: InvalidArgumentError, message: /must be a string/ });
  t.throws(() => decodeCredential(undefined as unknown as string), { instanceOf: InvalidArgumentError });
});

test('every truncation of a valid credential is refused cleanly', (t) => {
  const bytes = Buffer.from(encodeCredential({ user: 'bob', dn: 'cn=bob', groups: ['g1', 'g2'], authenticated: true, attributes: { a: ['b', 'c'] } }).slice(CREDS_VERSION_PREFIX.length), 'base64');
  for (let n = 0; n < bytes.length; n++) throwsInvalid(t, bytes.subarray(0, n).toString('base64'));
  throwsInvalid(t, Buffer.concat([bytes, Buffer.from([0])]).toString('base64'), /unexpected byte/);
});

test('non-DER and structurally wrong encodings are refused with a reason', (t) => {
  const principalOf = (p: Buffer): string => header(seq(utf8('S'), seq(p)));
  const attrs = seq(seq(attr('AZN_CRED_REGISTRY_ID', 'cn=u')));
  const uuid = seq(int(1), int(2), int(3), int(4), int(5), octets(1, 2, 3, 4, 5, 6));
  const pa = seq(seq(uuid, utf8('u')), seq());
  const cases: Array<[string, RegExp]> = [
    [header(Buffer.from([0x30, 0x80, 0x00, 0x00])), /indefinite length/],
    [header(Buffer.from([0x30, 0x81, 0x05, 0x0c, 0x03, 0x61, 0x62, 0x63])), /not minimally encoded/],
    [header(Buffer.from([0x30, 0x85, 1, 0, 0, 0, 0])), /length field too long/],
    [header(Buffer.from([0x31, 0x00])), /unsupported ASN.1 tag 0x31/],
    [header(Buffer.from([0x1f, 0x00])), /unsupported ASN.1 tag/],
    [header(seq(utf8('S'))), /principal chain: expected 2/],
    [header(seq(utf8('S'), seq())), /expected one principal, found 0/],
    [header(seq(utf8('S'), seq(seq(int(1), int(0), attrs), seq(int(1), int(0), attrs)))), /expected one principal, found 2/],
    [principalOf(seq(int(2), int(0), attrs)), /unsupported principal version 2/],
    [principalOf(seq(int(0, 1), int(0), attrs)), /not minimally encoded/],
    [principalOf(seq(int(0x81), int(0), attrs)), /negative/],
    [principalOf(seq(int(1), int(7), attrs)), /expected 0/],
    [principalOf(seq(int(1), pa, int(2), attrs)), /authentication type 2/],
    [principalOf(seq(int(1), pa, int(1), seq(seq()))), /no AZN_CRED_REGISTRY_ID/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(attr('AZN_CRED_REGISTRY_ID', 'a', 'b'))))), /exactly one value/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(attr('AZN_CRED_REGISTRY_ID', 'cn=u'), attr('AZN_CRED_PRINCIPAL_NAME', 'root'))))), /does not match/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(attr('AZN_CRED_REGISTRY_ID', 'cn=u'), attr('x', '1'), attr('x', '2'))))), /duplicate attribute/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(seq(utf8('x'), seq(seq(int(7), utf8('v'), octets()))))))), /value type 7/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(seq(utf8('x'), seq(seq(int(4), utf8('v'), octets(1)))))))), /carries bytes/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(seq(utf8(''), seq())))) ), /empty attribute name/],
    [principalOf(seq(int(1), pa, int(1), seq(seq(seq(tlv(0x0c, Buffer.from([0xc3, 0x28])), seq()))))), /not valid UTF-8/],
    [principalOf(seq(int(1), seq(seq(uuid), seq()), int(1), attrs)), /principal has no name/],
    [principalOf(seq(int(1), seq(seq(seq(int(1), int(2), int(3), int(4), int(5), octets(1)), utf8('u')), seq()), int(1), attrs)), /6 bytes/],
    [principalOf(seq(int(1), seq(seq(seq(int(1), int(1, 0, 0), int(3), int(4), int(5), octets(1, 2, 3, 4, 5, 6)), utf8('u')), seq()), int(1), attrs)), /larger than 16 bits/],
    [principalOf(seq(int(1), seq(seq(seq(int(1, 0, 0, 0, 0), int(2), int(3), int(4), int(5), octets(1, 2, 3, 4, 5, 6)), utf8('u')), seq()), int(1), attrs)), /larger than 32 bits/],
    [principalOf(seq(int(1), pa, int(1))), /authenticated principal has 4/],
    [principalOf(seq(int(1), int(0), attrs, int(1))), /unauthenticated principal has 3/],
    [principalOf(seq(int(1), utf8('x'), int(1), attrs)), /privilege attributes: expected SEQUENCE, found UTF8String/],
  ];
  for (const [h, re] of cases) throwsInvalid(t, h, re);
});

test('deep nesting stops at the depth limit', (t) => {
  let der: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 200; i++) der = seq(der);
  throwsInvalid(t, header(der), /nesting deeper than/);
  // Deep nesting written with long-form lengths cannot smuggle past either.
  let big: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 5000; i++) big = Buffer.concat([Buffer.from([0x30, 0x84, 0, 0, 0, 0]), big]);
  throwsInvalid(t, header(big));
});

test('property: random bytes never throw anything but InvalidArgumentError', (t) => {
  const check = (s: string): boolean => {
    try {
      decodeCredential(s);
      return true;
    } catch (err) {
      return err instanceof InvalidArgumentError;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withMagic) => {
    const buf = withMagic ? Buffer.concat([MAGIC, bytes]) : Buffer.from(bytes);
    return check(CREDS_VERSION_PREFIX + buf.toString('base64')) && check(buf.toString('base64'));
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 1000 });
  t.pass();
});

test('property: corrupting a valid credential never throws anything but InvalidArgumentError', (t) => {
  fc.assert(fc.property(anyCred, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 4 }), (c, edits) => {
    const bytes = [...Buffer.from(encodeCredential(c).slice(CREDS_VERSION_PREFIX.length), 'base64')];
    for (const [where, value, op] of edits) {
      const i = where % (bytes.length + 1);
      if (op === 'set' && i < bytes.length) bytes[i] = value;
      else if (op === 'insert') bytes.splice(i, 0, value);
      else if (op === 'delete' && i < bytes.length) bytes.splice(i, 1);
    }
    try {
      const d = decodeCredential(Buffer.from(bytes).toString('base64'));
      return typeof d.user === 'string' && Array.isArray(d.groups);
    } catch (err) {
      return err instanceof InvalidArgumentError;
    }
  }), { numRuns: 1500 });
  t.pass();
});

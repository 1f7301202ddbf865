// x509.ts -- a minimal X.509 v3 certificate writer (DER by hand, ECDSA P-256
// signatures from node:crypto), so the admin listener can make its own
// self-signed certificate without OpenSSL on the PATH or another package.
// Tests use it to make a client CA and client certificates too.
import {
  X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject,
} from 'node:crypto';
import net from 'node:net';

export interface CertificateRequest {
  /** Subject common name. */
  commonName: string;
  /** Optional subject organisation. */
  organization?: string;
  /** DNS names and IP addresses for subjectAltName. */
  altNames?: readonly string[];
  /** A CA may sign other certificates (basicConstraints cA). */
  isCA?: boolean;
  /** serverAuth, clientAuth or both (default both). */
  usage?: 'server' | 'client' | 'both';
  /** Validity in days from now (backdated one hour for clock skew). Default 730. */
  days?: number;
  /** Signer; default: self-signed with the new key. */
  issuer?: { certificatePem: string; privateKeyPem: string };
  /** Clock, in ms since the epoch (tests). */
  now?: number;
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** Creates a key pair (EC P-256) and a certificate for it. */
export function createCertificate(req: CertificateRequest): IssuedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  let signer: KeyObject = privateKey;
  let issuerName: Buffer;
  let issuerSpki = spki;
  if (req.issuer) {
    const ca = new X509Certificate(req.issuer.certificatePem);
    issuerName = issuerNameDer(ca.raw);
    issuerSpki = ca.publicKey.export({ type: 'spki', format: 'der' });
    signer = createPrivateKey(req.issuer.privateKeyPem);
  } else {
    issuerName = name(req.commonName, req.organization);
  }
  const now = req.now ?? Date.now();
  const days = req.days ?? 730;
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;  // positive
  const extensions = [
    extension(OID.basicConstraints, true, seq(req.isCA ? [bool(true)] : [])),
    extension(OID.keyUsage, true, keyUsage(req.isCA === true)),
    extension(OID.extKeyUsage, false, seq(extKeyUsages(req.usage ?? 'both'))),
    extension(OID.subjectKeyIdentifier, false, octets(keyId(spki))),
    extension(OID.authorityKeyIdentifier, false, seq([tlv(0x80, keyId(issuerSpki))])),
  ];
  if (req.altNames && req.altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, seq(req.altNames.map(generalName))));
  const tbs = seq([
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    seq([oid(OID.ecdsaWithSha256)]),
    issuerName,
    seq([time(now - 3600_000), time(now + days * 86400_000)]),
    name(req.commonName, req.organization),
    spki,
    tlv(0xa3, seq(extensions)),
  ]);
  const signature = sign('sha256', tbs, signer);
  const cert = seq([tbs, seq([oid(OID.ecdsaWithSha256)]), bitString(signature)]);
  return {
    certificatePem: pem('CERTIFICATE', cert),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

// ---- DER ----------------------------------------------------------------

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, value]);
}

const seq = (items: readonly Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (items: readonly Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (v: Buffer): Buffer => tlv(0x04, v);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (v: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), v]));

function integer(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const body = v.subarray(i);
  return tlv(0x02, (body[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();  // 2025-11-23T10:43:37.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');  // 20251123104337
  const year = Number(iso.slice(0, 4));
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

function name(cn: string, org?: string): Buffer {
  const rdns = [];
  if (org !== undefined) rdns.push(set([seq([oid(OID.organization), utf8(org)])]));
  rdns.push(set([seq([oid(OID.commonName), utf8(cn)])]));
  return seq(rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(critical ? [oid(id), bool(true), octets(value)] : [oid(id), octets(value)]);
}

function keyUsage(ca: boolean): Buffer {
  // Bit 0 digitalSignature (0x80); CAs add keyCertSign (0x04) and cRLSign (0x02).
  return ca ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0x80]), 7);
}

function extKeyUsages(usage: 'server' | 'client' | 'both'): Buffer[] {
  const out = [];
  if (usage !== 'client') out.push(oid(OID.serverAuth));
  if (usage !== 'server') out.push(oid(OID.clientAuth));
  return out;
}

function generalName(value: string): Buffer {
  const family = net.isIP(value);
  if (family === 4) return tlv(0x87, Buffer.from(value.split('.').map(Number)));
  if (family === 6) return tlv(0x87, ipv6Bytes(value));
  return tlv(0x82, Buffer.from(value, 'ascii'));
}

function ipv6Bytes(addr: string): Buffer {
  const [head, tail] = addr.includes('::') ? addr.split('::') as [string, string] : [addr, undefined];
  const parts = (s: string | undefined) => (s ? s.split(':').filter((p) => p.length > 0) : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

/** The subject Name of a DER certificate (to use as issuer of the next one). */
function issuerNameDer(certDer: Buffer): Buffer {
  const children = (buf: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      const start = i;
      i++;
      let len = buf[i++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
      }
      out.push(buf.subarray(start, i + len));
      i += len;
    }
    return out;
  };
  const body = (t: Buffer): Buffer => {
    let i = 1;
    let len = t[i++]!;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + t[i++]!;
    }
    return t.subarray(i, i + len);
  };
  const cert = children(certDer)[0]!;
  const tbs = children(body(cert))[0]!;
  const fields = children(body(tbs));
  // version [0], serial, signature alg, issuer, validity, subject
  const offset = fields[0]![0] === 0xa0 ? 1 : 0;
  return fields[offset + 4]!;
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

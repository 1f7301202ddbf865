// creds-der.ts -- the little DER (ASN.1) writer and reader the iv-creds codec
// needs: SEQUENCE, INTEGER, OCTET STRING and UTF8String, nothing else. The
// reader is strict because back-ends feed it data they received over the
// network: definite minimal lengths only, no read past the end, a nesting
// limit, and canonical (DER) integers.
import { InvalidArgumentError } from '../session/errors.js';

export const TAG_INTEGER = 0x02;
export const TAG_OCTET_STRING = 0x04;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_SEQUENCE = 0x30;

const TAG_NAMES: Readonly<Record<number, string>> = {
  [TAG_INTEGER]: 'INTEGER', [TAG_OCTET_STRING]: 'OCTET STRING', [TAG_UTF8_STRING]: 'UTF8String', [TAG_SEQUENCE]: 'SEQUENCE',
};

/** Deeper than any credential (the deepest path is 8 levels); stops stack-exhaustion input. */
export const MAX_DEPTH = 16;

// ---------------------------------------------------------------- writer

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

/** A non-negative integer below 2^32, minimally encoded. */
export function derInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`DER integer out of range: ${value}`);
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0);
  return tlv(TAG_INTEGER, Buffer.from(bytes));
}
export function derOctets(value: Uint8Array): Buffer {
  return tlv(TAG_OCTET_STRING, Buffer.from(value));
}
/** The caller has checked the string is well-formed (no lone surrogates). */
export function derUtf8(value: string): Buffer {
  return tlv(TAG_UTF8_STRING, Buffer.from(value, 'utf8'));
}
export function derSequence(items: readonly Buffer[]): Buffer {
  return tlv(TAG_SEQUENCE, Buffer.concat(items));
}

// ---------------------------------------------------------------- reader

/** One decoded element; `offset` is where its tag byte sits (for error messages). */
export interface DerNode {
  readonly tag: number;
  readonly offset: number;
  readonly content: Uint8Array;
  /** Children of a SEQUENCE; null for primitive types. */
  readonly children: readonly DerNode[] | null;
}

function fail(what: string, offset: number): never {
  throw new InvalidArgumentError(`iv-creds: ${what} at byte ${offset}`);
}

/** Parses exactly one element filling all of `bytes`. */
export function parseDer(bytes: Uint8Array, base = 0): DerNode {
  const { node, end } = parseAt(bytes, 0, bytes.length, 0, base);
  if (end !== bytes.length) fail(`${bytes.length - end} unexpected byte(s) after the credential`, base + end);
  return node;
}

function parseAt(bytes: Uint8Array, pos: number, limit: number, depth: number, base: number): { node: DerNode; end: number } {
  const offset = base + pos;
  if (pos >= limit) fail('data ends where an element was expected', offset);
  const tag = bytes[pos]!;
  if (TAG_NAMES[tag] === undefined) fail(`unsupported ASN.1 tag 0x${tag.toString(16).padStart(2, '0')}`, offset);
  if (pos + 1 >= limit) fail('data ends inside an element header', offset);
  const first = bytes[pos + 1]!;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) fail('indefinite length (not allowed in DER)', offset);
    if (count > 4) fail('length field too long', offset);
    if (pos + 2 + count > limit) fail('data ends inside a length field', offset);
    length = 0;
    for (let k = 0; k < count; k++) length = length * 256 + bytes[pos + 2 + k]!;
    if (bytes[pos + 2]! === 0 || length < 0x80) fail('length not minimally encoded (not DER)', offset);
    header = 2 + count;
  }
  const start = pos + header;
  if (length > limit - start) fail(`${TAG_NAMES[tag]} of ${length} bytes runs past the end of its container`, offset);
  const end = start + length;
  const content = bytes.subarray(start, end);
  if (tag !== TAG_SEQUENCE) return { node: { tag, offset, content, children: null }, end };
  if (depth + 1 > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`, offset);
  const children: DerNode[] = [];
  for (let p = start; p < end;) {
    const child = parseAt(bytes, p, end, depth + 1, base);
    children.push(child.node);
    p = child.end;
  }
  return { node: { tag, offset, content, children }, end };
}

// ---------------------------------------------------------------- typed reads

export function tagName(tag: number): string {
  return TAG_NAMES[tag] ?? `tag 0x${tag.toString(16)}`;
}

function expectTag(node: DerNode, tag: number, what: string): void {
  if (node.tag !== tag) fail(`${what}: expected ${tagName(tag)}, found ${tagName(node.tag)}`, node.offset);
}

/** Children of a SEQUENCE; `count` (exact) or [min, max] when given. */
export function readSequence(node: DerNode, what: string, count?: number | readonly [number, number]): readonly DerNode[] {
  expectTag(node, TAG_SEQUENCE, what);
  const kids = node.children!;
  if (count !== undefined) {
    const [min, max] = typeof count === 'number' ? [count, count] : count;
    if (kids.length < min || kids.length > max)
      fail(`${what}: expected ${min === max ? min : `${min} to ${max}`} element(s), found ${kids.length}`, node.offset);
  }
  return kids;
}

/** A non-negative DER INTEGER of at most `bits` bits. */
export function readInteger(node: DerNode, what: string, bits = 32): number {
  expectTag(node, TAG_INTEGER, what);
  const c = node.content;
  if (c.length === 0) fail(`${what}: empty INTEGER`, node.offset);
  if (c[0]! & 0x80) fail(`${what}: negative INTEGER`, node.offset);
  if (c.length > 1 && c[0] === 0 && !(c[1]! & 0x80)) fail(`${what}: INTEGER not minimally encoded (not DER)`, node.offset);
  const significant = c[0] === 0 ? c.subarray(1) : c;
  if (significant.length > 4) fail(`${what}: INTEGER larger than ${bits} bits`, node.offset);
  let v = 0;
  for (const b of significant) v = v * 256 + b;
  if (v >= 2 ** bits) fail(`${what}: INTEGER larger than ${bits} bits`, node.offset);
  return v;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function readUtf8(node: DerNode, what: string): string {
  expectTag(node, TAG_UTF8_STRING, what);
  try {
    return UTF8.decode(node.content);
  } catch {
    return fail(`${what}: UTF8String is not valid UTF-8`, node.offset);
  }
}

export function readOctets(node: DerNode, what: string): Uint8Array {
  expectTag(node, TAG_OCTET_STRING, what);
  return node.content;
}

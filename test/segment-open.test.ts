// SessionCache.open on crafted segments: a header whose geometry differs
// from what create derives (checksum recomputed, so only the geometry check
// can notice) and a segment others may access are refused with a clean
// error code, never a crash.
import fs from 'node:fs';
import test from 'ava';
import { SessionCache, TableError } from '../lib/index.js';
import { uniqueName } from './helpers/tables.js';

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

/** SipHash-2-4 of `data` under key (k0, k1), as native/src/table/siphash.h. */
function siphash24(data: Buffer, k0: bigint, k1: bigint): bigint {
  let v0 = 0x736f6d6570736575n ^ k0, v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0, v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const full = data.length & ~7;
  for (let i = 0; i < full; i += 8) {
    const m = data.readBigUInt64LE(i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  let b = BigInt(data.length) << 56n;
  for (let i = 0; i < (data.length & 7); i++) b |= BigInt(data[full + i]!) << BigInt(8 * i);
  v3 ^= b; round(); round(); v0 ^= b;
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}

// Header field offsets (docs/table.md §1).
const U32 = { capacity: 16, slot_bytes: 20, cred_bytes: 24, index_buckets: 28, user_records: 32 } as const;
const U64 = { segment_bytes: 40, slots_off: 48, index_off: 56, users_off: 64 } as const;

/** Recomputes geometry_check (offset 96) over the 12 geometry words. */
function reseal(h: Buffer): void {
  const words = Buffer.alloc(96);
  words.writeBigUInt64LE(h.readBigUInt64LE(0), 0);
  [8, 12, 16, 20, 24, 28, 32].forEach((off, i) => words.writeBigUInt64LE(BigInt(h.readUInt32LE(off)), 8 * (i + 1)));
  [40, 48, 56, 64].forEach((off, i) => words.writeBigUInt64LE(h.readBigUInt64LE(off), 8 * (i + 8)));
  h.writeBigUInt64LE(siphash24(words, 0x6761746568n, 0x6f757365n), 96);
}

/** A closed, sound 64-slot table; `fn` gets its /dev/shm path. */
function withSegment(fn: (name: string, path: string) => void): void {
  const name = uniqueName('seg');
  SessionCache.create(name, { capacity: 64 }).close();
  try {
    fn(name, `/dev/shm/${name}`);
  } finally {
    SessionCache.unlink(name);
  }
}

function editHeader(path: string, edit: (h: Buffer) => void): void {
  const fd = fs.openSync(path, 'r+');
  try {
    const h = Buffer.alloc(128);
    fs.readSync(fd, h, 0, 128, 0);
    edit(h);
    reseal(h);
    fs.writeSync(fd, h, 0, 128, 0);
  } finally {
    fs.closeSync(fd);
  }
}

test('a resealed but unchanged header opens: the crafted cases below differ only in their edit', (t) => {
  withSegment((name, path) => {
    editHeader(path, () => {});
    const c = SessionCache.open(name);
    t.is(c.stats().capacity, 64);
    c.close();
  });
});

const crafted: Array<[string, (h: Buffer) => void, RegExp]> = [
  ['capacity 2^24 in a 64-slot file', (h) => h.writeUInt32LE(1 << 24, U32.capacity), /index_buckets/],
  ['capacity 33', (h) => h.writeUInt32LE(33, U32.capacity), /capacity 33/],
  ['cred_bytes 65544', (h) => h.writeUInt32LE(65544, U32.cred_bytes), /cred_bytes 65544/],
  ['index_buckets 0', (h) => h.writeUInt32LE(0, U32.index_buckets), /index_buckets is 0/],
  ['user_records 3', (h) => h.writeUInt32LE(3, U32.user_records), /user_records is 3/],
  ['slot_bytes 4096', (h) => h.writeUInt32LE(4096, U32.slot_bytes), /slot_bytes is 4096/],
  ['users_off + 32', (h) => h.writeBigUInt64LE(h.readBigUInt64LE(U64.users_off) + 32n, U64.users_off), /users_off/],
  ['slots_off 0', (h) => h.writeBigUInt64LE(0n, U64.slots_off), /slots_off is 0/],
];
for (const [what, edit, message] of crafted) {
  test(`open refuses a crafted header: ${what}`, (t) => {
    withSegment((name, path) => {
      editHeader(path, edit);
      const err = t.throws(() => SessionCache.open(name), { instanceOf: TableError });
      t.is(err?.code, 'ERR_GH_CORRUPT_TABLE');
      t.regex(err?.message ?? '', message);
    });
  });
}

test('open refuses a segment that group or others may access, with ERR_GH_UNSAFE_TABLE', (t) => {
  withSegment((name, path) => {
    for (const mode of [0o640, 0o604, 0o620, 0o666]) {
      fs.chmodSync(path, mode);
      const err = t.throws(() => SessionCache.open(name), { instanceOf: TableError });
      t.is(err?.code, 'ERR_GH_UNSAFE_TABLE');
      t.regex(err?.message ?? '', /mode/);
    }
    fs.chmodSync(path, 0o600);
    SessionCache.open(name).close();
    t.pass();
  });
});

test('open refuses a segment owned by another user', (t) => {
  // Only root can give a file away (CI runs as root); otherwise the owner is always us.
  if (process.geteuid?.() !== 0) { t.pass('not root: cannot create a segment owned by someone else'); return; }
  withSegment((name, path) => {
    fs.chownSync(path, 65534, 65534);
    const err = t.throws(() => SessionCache.open(name), { instanceOf: TableError });
    t.is(err?.code, 'ERR_GH_UNSAFE_TABLE');
    t.regex(err?.message ?? '', /owned by uid 65534/);
    fs.chownSync(path, 0, 0);
  });
});

// table.ts -- `npm run bench:table` (JS half): SessionCache.validate() against
// a JS Map doing the same validity checks, side by side in one process, at
// 10,000 and 1,000,000 live sessions; and memory per session against a Map
// of equivalent objects. Keys are fresh strings for every lookup (sliced out
// of one long string, as a cookie parser would produce them), so neither side
// benefits from a cached string hash. Run with --expose-gc.
import os from 'node:os';
import { SessionCache } from '../lib/index.js';

type Reason = 'unknown' | 'expired' | 'inactive' | 'all_sessions_terminated' | 'signed_out_everywhere';
interface JsSession {
  loginId: string; userSessionId: string; attributes: Record<string, string[]>;
  createdAt: number; lastAccessAt: number; lifetimeSeconds: number; inactivitySeconds: number;
  userIndex: number; generation: number; epoch: number; flags: number; authMethod: string; authLevel: number;
}

/** The baseline: what a careful Node developer would write with a Map. */
class MapSessions {
  readonly map = new Map<string, JsSession>();
  readonly generations: number[] = [];
  epoch = 1;
  validate(id: string, now: number): { valid: true; session: JsSession } | { valid: false; reason: Reason } {
    const s = this.map.get(id);
    if (s === undefined) return { valid: false, reason: 'unknown' };
    if (s.epoch !== this.epoch) return { valid: false, reason: 'signed_out_everywhere' };
    if (s.generation !== this.generations[s.userIndex]) return { valid: false, reason: 'all_sessions_terminated' };
    if (s.lifetimeSeconds && now >= s.createdAt + s.lifetimeSeconds * 1000) return { valid: false, reason: 'expired' };
    if (s.inactivitySeconds && now >= s.lastAccessAt + s.inactivitySeconds * 1000) return { valid: false, reason: 'inactive' };
    if (now >= s.lastAccessAt + 1000) s.lastAccessAt = now;
    return { valid: true, session: s };
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapUsed(): number { gc?.(); gc?.(); return process.memoryUsage().heapUsed; }

function shuffled(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); const t = a[i]!; a[i] = a[j]!; a[j] = t; }
  return a;
}

function nsPerOp(fn: (i: number) => unknown, order: Uint32Array, lookups: number): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < lookups; k++) if (fn(order[k % order.length]!)) sink++;
  const ns = Number(process.hrtime.bigint() - t0) / lookups;
  if (sink !== lookups) throw new Error(`only ${sink} of ${lookups} lookups were valid`);
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function compare(n: number): { n: number; table: number; map: number; ratio: number } {
  const name = `gh-bench-${process.pid}-${n}`;
  SessionCache.unlink(name);
  const cache = SessionCache.create(name, { capacity: n, credentialBytes: 64 });
  const base = new MapSessions();
  const ids: string[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const loginId = `user${i}`;
    const s = cache.create({ loginId, attributes: { groups: ['staff', 'dev'] }, lifetimeSeconds: 3600, inactivitySeconds: 600, now });
    ids.push(s.sessionId);
    base.generations.push(1);
    base.map.set(s.sessionId, {
      loginId, userSessionId: s.userSessionId, attributes: { groups: ['staff', 'dev'] }, createdAt: now, lastAccessAt: now,
      lifetimeSeconds: 3600, inactivitySeconds: 600, userIndex: i, generation: 1, epoch: 1, flags: 0, authMethod: 'forms', authLevel: 1,
    });
  }
  const all = ids.join('');
  ids.length = 0;
  const key = (i: number): string => all.slice(i * 32, i * 32 + 32);
  const order = shuffled(n);
  const lookups = Math.max(2_000_000, n * 2);
  // Warm both paths (JIT, identity cache), then alternate rounds.
  nsPerOp((i) => cache.validate(key(i)).valid, order, Math.min(lookups, n * 2));
  nsPerOp((i) => base.validate(key(i), Date.now()).valid, order, Math.min(lookups, n * 2));
  const t: number[] = [], m: number[] = [];
  for (let round = 0; round < 5; round++) {
    t.push(nsPerOp((i) => cache.validate(key(i)).valid, order, lookups));
    m.push(nsPerOp((i) => base.validate(key(i), Date.now()).valid, order, lookups));
  }
  cache.close();
  SessionCache.unlink(name);
  const table = median(t), map = median(m);
  return { n, table, map, ratio: table / map };
}

function memory(n: number): { table: number; map: number; ratio: number } {
  const name = `gh-bench-mem-${process.pid}`;
  SessionCache.unlink(name);
  const cache = SessionCache.create(name, { capacity: n, credentialBytes: 64 });
  const tableBytes = cache.stats().segmentBytes / cache.stats().capacity;
  cache.close();
  SessionCache.unlink(name);
  // The equivalent objects, with strings of the same lengths the table stores.
  const before = heapUsed();
  const map = new Map<string, JsSession>();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const sid = i.toString(36).padStart(32, '-');
    map.set(sid, {
      loginId: `user${i}`, userSessionId: i.toString(36).padStart(22, '_'), attributes: { groups: ['staff', 'dev'] },
      createdAt: now, lastAccessAt: now, lifetimeSeconds: 3600, inactivitySeconds: 600, userIndex: i, generation: 1, epoch: 1,
      flags: 0, authMethod: 'forms', authLevel: 1,
    });
  }
  const mapBytes = (heapUsed() - before) / n;
  if (map.size !== n) throw new Error('map lost entries');
  return { table: tableBytes, map: mapBytes, ratio: tableBytes / mapBytes };
}

const quick = process.argv.includes('--quick');
const sizes = quick ? [10_000, 100_000] : [10_000, 1_000_000];
console.log(`# SessionCache vs JS Map — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores${gc ? '' : ' (run with --expose-gc for memory)'}`);
console.log('\n| live sessions | SessionCache.validate ns/op | Map validate ns/op | ratio (target) |\n|---:|---:|---:|---:|');
for (const n of sizes) {
  const r = compare(n);
  const target = n <= 10_000 ? '<= 1.5' : '<= 1.0';
  console.log(`| ${n.toLocaleString('en')} | ${r.table.toFixed(0)} | ${r.map.toFixed(0)} | ${r.ratio.toFixed(2)} (${target}) |`);
}
const mem = memory(sizes[sizes.length - 1]!);
console.log(`\n| memory per session | table (segment / capacity) | Map of equivalent objects (heap) | ratio (target <= 0.50) |\n|---|---:|---:|---:|`);
console.log(`| ${sizes[sizes.length - 1]!.toLocaleString('en')} sessions | ${mem.table.toFixed(0)} B | ${mem.map.toFixed(0)} B | ${mem.ratio.toFixed(2)} |`);

// profile.ts -- reads a V8 .cpuprofile (node --cpu-prof) and names where the
// time went: the top frames by self time, self time grouped by origin
// (Gatehouse's own code, undici, Node internals, native/GC/idle), and the
// inclusive time of Gatehouse's own functions. Percentages are of the busy
// (non-idle) time.
import fs from 'node:fs';
import path from 'node:path';

export interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface Frame {
  frame: string;
  ms: number;
  /** Of the busy time. */
  percent: number;
  /** Per request served while profiling, when that count is known. */
  microsPerRequest?: number;
}
export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Percent of the samples where the process was idle (waiting in the event loop). */
  idlePercent: number;
  /** Requests served while profiling and busy CPU per request, when the count is known. */
  requests?: number;
  busyMicrosPerRequest?: number;
  topSelf: Frame[];
  byOrigin: Frame[];
  gatehouseInclusive: Frame[];
}

/** Where a script comes from, for grouping. */
export function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('wasm://')) return 'undici (llhttp, wasm)';
  if (url.includes('/node_modules/')) return url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1');
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/lib/')) return 'gatehouse ' + url.replace(/^.*\/dist\/lib\//, 'lib/').replace(/\/[^/]+$/, '/');
  return url;
}

function frameName(f: CallFrame): string {
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^file:\/\//, '')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
}

function top(map: Map<string, number>, total: number, n: number, requests: number | undefined): Frame[] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([frame, us]) => ({
    frame, ms: Math.round(us / 100) / 10, percent: Math.round((us / total) * 1000) / 10,
    ...(requests ? { microsPerRequest: Math.round((us / requests) * 100) / 100 } : {}),
  }));
}

/**
 * `from`, when given, names the first frame of interest: samples before the
 * first stack holding such a frame (module loading, start-up) are left out.
 */
export function summarize(file: string, from?: (f: CallFrame) => boolean, requests?: number, n = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of p.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const onStack = (id: number, test: (f: CallFrame) => boolean): boolean => {
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) if (test(byId.get(x)!.callFrame)) return true;
    return false;
  };
  let first = 0;
  if (from !== undefined) {
    while (first < p.samples.length && !onStack(p.samples[first]!, from)) first++;
    if (first === p.samples.length) first = 0;  // never seen: keep everything
  }
  let total = 0;
  let idle = 0;
  for (let i = first; i < p.samples.length; i++) {
    const us = p.timeDeltas[i] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (node === undefined) continue;
    total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)') { idle += us; continue; }
    self.set(frameName(f), (self.get(frameName(f)) ?? 0) + us);
    const g = origin(f.url, f.functionName);
    groups.set(g, (groups.get(g) ?? 0) + us);
    // Inclusive: once per distinct Gatehouse function on this sample's stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (!cf.url.includes('/dist/lib/')) continue;
      const name = frameName(cf);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  const busy = total - idle;
  return {
    file: path.basename(file),
    totalMs: Math.round(total / 1000),
    idlePercent: Math.round((idle / Math.max(1, total)) * 1000) / 10,
    ...(requests ? { requests, busyMicrosPerRequest: Math.round((busy / requests) * 10) / 10 } : {}),
    topSelf: top(self, busy, n, requests),
    byOrigin: top(groups, busy, n, requests),
    gatehouseInclusive: top(inclusive, busy, n, requests),
  };
}

/** The profile with the most non-idle samples in `dir` (the busy worker, not the primary). */
export function busiestProfile(dir: string): string | undefined {
  let best: { file: string; busy: number } | undefined;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.cpuprofile')) continue;
    const file = path.join(dir, name);
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const idleIds = new Set(p.nodes.filter((x) => x.callFrame.functionName === '(idle)').map((x) => x.id));
    let busy = 0;
    for (let i = 0; i < p.samples.length; i++) if (!idleIds.has(p.samples[i]!)) busy += p.timeDeltas[i] ?? 0;
    if (best === undefined || busy > best.busy) best = { file, busy };
  }
  return best?.file;
}

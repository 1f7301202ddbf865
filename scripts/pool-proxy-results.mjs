// pool-proxy-results.mjs -- pools the paired rounds of several proxy benchmark
// runs (bench/results/proxy-*.json, same command, same code) into one ratio per
// connection count: round i of `a` over round i of `b` from every file, their
// median and the 95% bootstrap interval of the median (bench/proxy/bootstrap.ts).
//
//   npm run build:ts
//   node scripts/pool-proxy-results.mjs [--a gatehouse-1] [--b plain-undici] bench/results/proxy-A.json bench/results/proxy-B.json ...
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { median, medianInterval } = await import(path.join(root, 'dist/bench/proxy/bootstrap.js'));

const { values, positionals: files } = parseArgs({ allowPositionals: true, options: {
  a: { type: 'string', default: 'gatehouse-1' }, b: { type: 'string', default: 'plain-undici' },
} });
if (files.length === 0) { process.stderr.write('usage: pool-proxy-results.mjs [--a ID] [--b ID] results.json ...\n'); process.exit(2); }

const ratios = new Map();  // connections -> paired ratios from every file
for (const file of files) {
  const run = JSON.parse(fs.readFileSync(file, 'utf8'));
  const rounds = (id, connections) => run.results.find((r) => r.id === id && r.connections === connections)?.rounds.map((r) => r.requestsPerSecond);
  for (const connections of run.options.connections) {
    const a = rounds(values.a, connections);
    const b = rounds(values.b, connections);
    if (a === undefined || b === undefined) throw new Error(`${file}: no ${values.a} and ${values.b} rounds at ${connections} connections`);
    const list = ratios.get(connections) ?? [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) list.push(a[i] / b[i]);
    ratios.set(connections, list);
  }
}
for (const [connections, list] of ratios) {
  const [lo, hi] = medianInterval(list) ?? [NaN, NaN];
  process.stdout.write(`${values.a} / ${values.b} at ${connections} connections: ${list.length} pairs, median ${median(list).toFixed(3)}, 95% interval ${lo.toFixed(3)}-${hi.toFixed(3)}\n`);
}

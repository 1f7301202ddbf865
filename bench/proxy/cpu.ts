// cpu.ts -- CPU time of processes, read from /proc (Linux). On a 2-core
// machine where the load generator competes with the proxy, CPU time per
// request says more about a proxy's cost than requests per second alone.
// Elsewhere every reading is undefined and the runner leaves the figures out.
import fs from 'node:fs';

/** User + system CPU seconds `pid` has used so far, or undefined. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;  // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** The direct children of `pid` (a cluster primary's workers), or [] when /proc cannot tell. */
export function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Sum over `pids`; undefined when any of them cannot be read. */
export function totalCpuSeconds(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const p of pids) {
    const s = cpuSeconds(p);
    if (s === undefined) return undefined;
    sum += s;
  }
  return pids.length === 0 ? undefined : sum;
}

/** This process (the load generator), all threads. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

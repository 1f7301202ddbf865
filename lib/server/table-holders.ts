// table-holders.ts -- waits for the worker processes of a crashed run to let
// go of its table. A cluster worker exits as soon as its IPC channel to the
// primary closes (node:cluster does so on an unexpected disconnect), but
// between two table calls, so none is left halfway; until then it may still
// write, and the consistency check needs a quiet table. Linux /proc tells
// whether a process still maps the segment: a zombie maps nothing, and a
// reused PID does not map this table.
import fs from 'node:fs';

/** Those of `pids` whose address space still holds the table's segment. */
export function holdersOf(tableName: string, pids: readonly number[]): number[] {
  const segment = `/dev/shm/${tableName}`;
  return pids.filter((pid) => {
    let maps: string;
    try { maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8'); } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EACCES';  // alive, and not ours to read
    }
    return maps.split('\n').some((line) => line.endsWith(` ${segment}`));
  });
}

/** Waits up to `ms` for every one of `pids` to let go of the table; returns those that did not. */
export async function waitForRelease(tableName: string, pids: readonly number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = holdersOf(tableName, pids);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    left = holdersOf(tableName, left);
  }
  return left;
}

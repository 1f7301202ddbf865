// run-record.ts -- what one run of `gatehouse serve` leaves in the state
// folder for the next, next to the PID file: which segment it served (so a
// table some other server made under the same name is never taken for
// ours), the worker processes that map it, whether the run stopped cleanly,
// and how many of its processes were killed mid-operation (each may have
// left one user count too high; the consistency check after a crash allows
// that many, docs/table.md §5).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const recordSchema = z.strictObject({
  table: z.string(),
  /** The segment's inode in /dev/shm: a table unlinked and made again is another table. */
  inode: z.number().int().nonnegative().nullable(),
  primary: z.number().int().positive(),
  workers: z.array(z.number().int().positive()),
  /** Processes of this table's runs killed at an arbitrary instant (by a signal), since it was made. */
  kills: z.number().int().nonnegative(),
  clean: z.boolean(),
});

export type RunRecordData = z.infer<typeof recordSchema>;

/** The inode of a table's segment, or null where shared memory is not under /dev/shm. */
export function segmentInode(tableName: string): number | null {
  try { return fs.statSync(path.join('/dev/shm', tableName)).ino; } catch { return null; }
}

export class RunRecord {
  readonly #file: string;
  #data: RunRecordData;

  private constructor(file: string, data: RunRecordData) {
    this.#file = file;
    this.#data = data;
  }

  static fileOf(stateDir: string, tableName: string): string {
    return path.join(stateDir, `${tableName}.run.json`);
  }

  /** The previous run's record; undefined when there is none or it does not parse. */
  static read(stateDir: string, tableName: string): RunRecordData | undefined {
    let text: string;
    try { text = fs.readFileSync(RunRecord.fileOf(stateDir, tableName), 'utf8'); } catch { return undefined; }
    try {
      const r = recordSchema.safeParse(JSON.parse(text));
      return r.success && r.data.table === tableName ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Starts this run's record: this process serves the table, no workers yet, not stopped. */
  static begin(stateDir: string, tableName: string, kills: number): RunRecord {
    const record = new RunRecord(RunRecord.fileOf(stateDir, tableName), {
      table: tableName, inode: segmentInode(tableName), primary: process.pid, workers: [], kills, clean: false,
    });
    record.#write();
    return record;
  }

  workerStarted(pid: number): void {
    this.#data = { ...this.#data, workers: [...this.#data.workers, pid] };
    this.#write();
  }

  /** `killed`: it ended by a signal, possibly halfway through a table operation. */
  workerEnded(pid: number, killed: boolean): void {
    this.#data = { ...this.#data, workers: this.#data.workers.filter((p) => p !== pid), kills: this.#data.kills + (killed ? 1 : 0) };
    this.#write();
  }

  /** The run stopped cleanly: every operation on the table finished. */
  stopped(): void {
    this.#data = { ...this.#data, workers: [], clean: true };
    this.#write();
  }

  // Written whole and renamed into place, so a crash never leaves half a record.
  #write(): void {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.#data)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.#file);
  }
}

// table-lock.ts -- one Gatehouse per session table. A PID file in the state
// folder tells a second `gatehouse serve` with the same server-name that the
// table is taken; a stale one (its process is gone: a crash or kill -9) is
// taken over, and `crashed` tells the caller that the last run never
// stopped, so its table is checked before it is kept (server-table.ts).
import fs from 'node:fs';
import path from 'node:path';

export class TableLock {
  readonly #file: string;
  /** A stale PID file was taken over: the previous run did not stop. */
  readonly crashed: boolean;
  private constructor(file: string, crashed: boolean) {
    this.#file = file;
    this.crashed = crashed;
  }

  static acquire(stateDir: string, tableName: string): TableLock {
    const file = path.join(stateDir, `${tableName}.pid`);
    let stale = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return new TableLock(file, stale);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new Error(`session table '${tableName}' is in use by another Gatehouse (pid ${pid}; ${file}). Give this one another server.server-name or server.table-name.`);
      fs.rmSync(file, { force: true });
      stale = true;
    }
    throw new Error(`could not take ${file}`);
  }

  release(): void {
    try {
      if (fs.readFileSync(this.#file, 'utf8').trim() === String(process.pid)) fs.rmSync(this.#file, { force: true });
    } catch { /* already gone */ }
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

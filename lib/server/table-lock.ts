// table-lock.ts -- one Gatehouse per session table. A PID file in the state
// folder tells a second `gatehouse serve` with the same server-name that the
// table is taken; a stale one (its process is gone: a crash) is taken over
// and the crashed run's table is removed before a fresh one is made.
import fs from 'node:fs';
import path from 'node:path';
import { SessionCache } from '../session/cache.js';

export class TableLock {
  readonly #file: string;
  private constructor(file: string) { this.#file = file; }

  static acquire(stateDir: string, tableName: string): TableLock {
    const file = path.join(stateDir, `${tableName}.pid`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        // Ours now: a table left by a crashed run is stale, start clean.
        SessionCache.unlink(tableName);
        return new TableLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new Error(`session table '${tableName}' is in use by another Gatehouse (pid ${pid}; ${file}). Give this one another server.server-name or server.table-name.`);
      fs.rmSync(file, { force: true });
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

// admin-session-maker.ts -- a worker thread that creates sessions in a
// table (by name) while the main thread drives the admin API: logins going
// on during administration. Posts how many it made.
import { parentPort, workerData } from 'node:worker_threads';
import { SessionCache } from '../../lib/index.js';

const { table, users, perUser } = workerData as { table: string; users: string[]; perUser: number };
const cache = SessionCache.open(table);
let made = 0;
for (let round = 0; round < perUser; round++) {
  for (const loginId of users) {
    cache.create({ loginId });
    made++;
  }
  await new Promise((r) => setImmediate(r));
}
cache.close();
parentPort!.postMessage(made);

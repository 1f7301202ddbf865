// crash-writer.ts -- a child that writes to the table as fast as it can until
// it is killed: creates, logouts, single and whole-user terminations.
import { SessionCache } from '../../lib/index.js';

const cache = SessionCache.open(process.argv[2]!);
const live: string[] = [];
let n = 0;
process.send?.('ready');
for (;;) {
  const user = `crash-user${n++ % 13}`;
  const op = n % 10;
  if (op < 6 || live.length === 0) {
    try {
      live.push(cache.create({ loginId: user, lifetimeSeconds: 0, inactivitySeconds: 0, maxSessions: 50 }).sessionId);
    } catch { /* limit reached: fine */ }
  } else if (op < 8) {
    cache.logout(live.pop()!);
  } else if (op < 9) {
    cache.terminateAllSessions(user);
  } else {
    cache.validate(live[live.length - 1]!);
  }
  if (live.length > 200) live.splice(0, 100);
}

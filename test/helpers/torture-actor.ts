// torture-actor.ts -- one actor of the concurrency torture test, run both as
// a worker thread and as a child process. It owns a few users and hammers the
// shared table with their sessions, checking as it goes:
//   lost      -- a session it created and did not end failed to validate;
//   counts    -- countSessions() differs from what it holds;
//   afterEnd  -- a session another actor reported ended (after the end call
//                returned) still validated here.
// Ended session IDs travel through the parent, so "reported" happens-after
// "the terminate call returned": any success is a linearizability violation.
import { parentPort, workerData, isMainThread } from 'node:worker_threads';
import { SessionCache } from '../../lib/index.js';

export interface ActorConfig { table: string; id: number; durationMs: number }
export interface ActorReport {
  id: number; ops: number; lost: number; counts: number; afterEnd: number; crossChecks: number; errors: string[];
}
type Outgoing = { ended: string[] } | { report: ActorReport };
type Incoming = { ended: string[] };

const config: ActorConfig = isMainThread ? JSON.parse(process.argv[2] ?? '{}') : workerData;
const send = (m: Outgoing): void => { if (parentPort) parentPort.postMessage(m); else process.send!(m); };

const cache = SessionCache.open(config.table);
const report: ActorReport = { id: config.id, ops: 0, lost: 0, counts: 0, afterEnd: 0, crossChecks: 0, errors: [] };
const inbox: string[] = [];
const onMessage = (m: Incoming): void => { inbox.push(...m.ended); };
if (parentPort) parentPort.on('message', onMessage); else process.on('message', onMessage);

const users = [0, 1, 2].map((k) => `actor${config.id}-user${k}`);
const held = new Map<string, Array<{ sid: string; usid: string }>>(users.map((u) => [u, []]));
let outbox: string[] = [];

function step(): void {
  const user = users[Math.floor(Math.random() * users.length)]!;
  const mine = held.get(user)!;
  const op = Math.random();
  if (mine.length < 8 && op < 0.35) {
    const s = cache.create({ loginId: user, lifetimeSeconds: 0, inactivitySeconds: 0 });
    mine.push({ sid: s.sessionId, usid: s.userSessionId });
  } else if (mine.length > 0 && op < 0.8) {
    const s = mine[Math.floor(Math.random() * mine.length)]!;
    if (!cache.validate(s.sid).valid) report.lost++;
  } else if (mine.length > 0 && op < 0.88) {
    const s = mine.splice(Math.floor(Math.random() * mine.length), 1)[0]!;
    if (!cache.logout(s.sid)) report.lost++;
    outbox.push(s.sid);
  } else if (mine.length > 0 && op < 0.96) {
    const s = mine.splice(Math.floor(Math.random() * mine.length), 1)[0]!;
    if (!cache.terminateSession(s.usid)) report.lost++;
    outbox.push(s.sid);
  } else {
    cache.terminateAllSessions(user);
    outbox.push(...mine.map((s) => s.sid));
    mine.length = 0;
  }
  if (cache.countSessions(user).count !== mine.length) report.counts++;
  report.ops++;
}

const deadline = Date.now() + config.durationMs;
function slice(): void {
  try {
    const until = Math.min(Date.now() + 20, deadline);
    while (Date.now() < until) {
      for (let i = 0; i < 50; i++) step();
      while (inbox.length > 0) {
        if (cache.validate(inbox.pop()!).valid) report.afterEnd++;
        report.crossChecks++;
      }
    }
    if (outbox.length > 0) { send({ ended: outbox }); outbox = []; }
  } catch (err) {
    report.errors.push(String(err));
  }
  if (Date.now() < deadline && report.errors.length === 0) { setImmediate(slice); return; }
  // Let the last relayed messages arrive before reporting.
  setTimeout(() => {
    for (const sid of inbox) { if (cache.validate(sid).valid) report.afterEnd++; report.crossChecks++; }
    cache.close();
    send({ report });
    if (parentPort) parentPort.close(); else process.disconnect?.();
  }, 300);
}
slice();

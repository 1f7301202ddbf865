// table-demo.ts -- `gatehouse table demo`: the session table at work, no proxy.
import { SessionCache } from '../index.js';
import { formatStats } from './format.js';

export function runTableDemo(): void {
  const name = `gatehouse-demo-${process.pid}`;
  const cache = SessionCache.create(name, { capacity: 4096 });
  try {
    const say = (s: string): void => { process.stdout.write(`${s}\n`); };
    const users = ['sec_master', 'dlucas', 'Mary Jones'];
    const sessions = users.flatMap((loginId) => [1, 2].map(() => cache.create({ loginId, attributes: { groups: ['staff'] }, authMethod: 'forms' })));
    say(`Gatehouse session table '${name}': ${sessions.length} sessions for ${users.join(', ')}`);
    const first = sessions[0]!;
    say(`  cookie ${first.sessionId.slice(0, 6)}… validates: ${JSON.stringify(cache.validate(first.sessionId).valid)}`);
    say(`  terminate all_sessions "Mary Jones" -> ended ${cache.terminateAllSessions('Mary Jones')}`);
    const mary = sessions.find((s) => s.loginId === 'Mary Jones')!;
    say(`  Mary's old cookie now: ${JSON.stringify(cache.validate(mary.sessionId))}`);
    say(`  terminate session ${first.userSessionId} -> ${cache.terminateSession(first.userSessionId)}`);
    say(`  sign out everyone -> epoch ${cache.signOutEveryone()}`);
    say(`  dlucas's cookie now: ${JSON.stringify(cache.validate(sessions[2]!.sessionId))}`);
    say('');
    process.stdout.write(formatStats(name, cache.stats(), false));
  } finally {
    cache.close();
    SessionCache.unlink(name);
  }
}

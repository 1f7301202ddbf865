// Faults while clients keep sending requests, on two real hosts and one real
// redis-server: the invalidation connection cut, Redis stopped past the
// command timeout, Redis killed and restarted empty. In every case a session
// terminated before a request started is never served by that request, and
// service comes back by itself. The counts are printed (t.log).
import test from 'ava';
import { request } from 'undici';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';

interface Outcome { started: number; status: number; served: boolean }

/** Sends requests with `b`'s cookie until stopped, recording when each started and whether the back-end answered. */
function hammer(b: Browser) {
  const outcomes: Outcome[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = Date.now();
      try {
        const r = await b.fetch('/app/x');
        outcomes.push({ started, status: r.status, served: r.status === 200 && r.body.includes('"server":"app"') });
      } catch {
        outcomes.push({ started, status: 0, served: false });
      }
    }
  })();
  return { outcomes, stop: async () => { running = false; await done; } };
}

function counts(o: Outcome[]): string {
  const by = new Map<string, number>();
  for (const x of o) { const k = x.served ? 'served' : String(x.status); by.set(k, (by.get(k) ?? 0) + 1); }
  return [...by].map(([k, v]) => `${k}: ${v}`).join(', ');
}

test('faults under load: no terminated session is ever served, and service comes back by itself', async (t) => {
  const redis: RedisServer = await startRedis();
  const app: EchoBackend = await startEcho({ name: 'app' });
  const hosts: RunningGatehouse[] = [];
  const users = [{ id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] },
    ...['v1', 'v2', 'v3', 'keep'].map((id) => ({ id, password: PW, groups: ['staff'] }))];
  try {
    for (const name of ['fA', 'fB']) {
      hosts.push(await startGatehouse({
        users,
        config: {
          server: { 'pdadmin-server-name': `default-webseald-${name}` },
          session: { 'dsess-enabled': 'yes' },
          redis: { servers: [redis.url], 'key-prefix': `faults${process.pid}`, 'command-timeout-ms': 1000, 'connect-timeout-ms': 3000 },
          junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
        },
      }));
    }
    const [a, b] = hosts as [RunningGatehouse, RunningGatehouse];
    const terminate = async (user: string): Promise<number> => {
      for (;;) {
        const r = await request(`${a.admin}/api/v1/users/${user}/sessions`, {
          method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`sec_master:${ADMIN_PW}`).toString('base64')}` },
        });
        await r.body.dump();
        if (r.statusCode === 200) return Date.now();
        await new Promise((res) => setTimeout(res, 50));  // the store is still down: try again
      }
    };
    const onB = async (user: string): Promise<Browser> => {
      const br = new Browser(a.http);
      for (;;) {
        const r = await br.login(user, PW, '/app/');
        if (r.status === 302) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const other = new Browser(b.http);
      for (const [k, v] of br.cookies) other.cookies.set(k, v);
      return other;
    };
    const served = (o: Outcome[], after: number) => o.filter((x) => x.served && x.started >= after).length;
    const recovers = async (br: Browser) => {
      for (let i = 0; i < 400; i++) { if ((await br.fetch('/app/x')).status === 200) return true; await new Promise((r) => setTimeout(r, 25)); }
      return false;
    };

    // 1. Only the invalidation connections cut, then a termination at once.
    const v1 = await onB('v1');
    const keep = await onB('keep');
    const h1 = hammer(v1); const k1 = hammer(keep);
    await new Promise((r) => setTimeout(r, 200));
    await redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const t1 = await terminate('v1');
    await new Promise((r) => setTimeout(r, 500));
    await h1.stop(); await k1.stop();
    t.log(`stream cut: victim ${counts(h1.outcomes)}; bystander ${counts(k1.outcomes)}`);
    t.is(served(h1.outcomes, t1), 0, 'the terminated session was served after the termination returned');
    t.true(await recovers(keep), 'the bystander is served again');

    // 2. Redis stopped past the command timeout and the stream's staleness limit, then continued, then a termination.
    const v2 = await onB('v2');
    const h2 = hammer(v2); const k2 = hammer(keep);
    redis.signal('SIGSTOP');
    // Past STALE_MS (1 s) the near-cache is distrusted; the rest of the stop fails closed.
    await new Promise((r) => setTimeout(r, 2500));
    redis.signal('SIGCONT');
    const t2 = await terminate('v2');
    await new Promise((r) => setTimeout(r, 500));
    await h2.stop(); await k2.stop();
    t.log(`Redis stopped 2.5 s: victim ${counts(h2.outcomes)}; bystander ${counts(k2.outcomes)}`);
    t.is(served(h2.outcomes, t2), 0);
    t.true(k2.outcomes.some((x) => x.status === 503), 'requests failed closed while Redis was stopped');
    t.true(await recovers(keep));

    // 3. Redis killed and restarted empty: every session is gone; logins work again.
    const v3 = await onB('v3');
    const h3 = hammer(v3);
    redis.signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const down = Date.now();
    await redis.start();
    await new Promise((r) => setTimeout(r, 1500));
    await h3.stop();
    t.log(`Redis killed and restarted empty: victim ${counts(h3.outcomes)}`);
    t.is(h3.outcomes.filter((x) => x.served && x.started >= down).length, 0, 'no session survives an empty Redis');
    const again = await onB('v3');
    t.true(await recovers(again), 'a new login is served');
  } finally {
    for (const h of hosts) await h.stop();
    await app.close();
    await redis.stop();
  }
});

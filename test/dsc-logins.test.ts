// Login policy across a fleet: two real `gatehouse serve` hosts (A in one
// process, B with two workers; separate state, tables and registry files) on
// one real redis-server. Failed logins spread over both hosts add up to one
// count, and a reached limit refuses logins on either host.
import test from 'ava';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';
let redis: RedisServer;
let app: EchoBackend;
const hosts: RunningGatehouse[] = [];

const users = [
  { id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] },
  ...['guessed'].map((id) => ({ id, password: PW, groups: ['staff'] })),
];

test.before(async () => {
  redis = await startRedis();
  app = await startEcho({ name: 'app' });
  for (const [name, workers] of [['lgA', 0], ['lgB', 2]] as const) {
    hosts.push(await startGatehouse({
      users,
      workers,
      config: {
        server: { 'pdadmin-server-name': `default-webseald-${name}` },
        session: { 'dsess-enabled': 'yes' },
        redis: { servers: [redis.url], 'key-prefix': `logins${process.pid}`, 'command-timeout-ms': 5000, 'connect-timeout-ms': 5000 },
        'failed-login': { 'max-login-failures': 5 },
        junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
      },
    }));
  }
});

test.after.always(async () => {
  for (const h of hosts) await h.stop();
  await app?.close();
  await redis?.stop();
});

function on(i: number): Browser {
  return new Browser(hosts[i]!.http);
}

test.serial('failed logins count fleet-wide: five bad passwords split over A and B lock the name out on either host', async (t) => {
  for (let n = 0; n < 5; n++) {
    const r = await on(n % 2).login('guessed', `wrong-${n}`, '/app/');
    t.is(r.status, 401, `bad password ${n + 1} on host ${'AB'[n % 2]}`);
  }
  // Three failures on A and two on B: per host neither would refuse yet. Together they reach the limit.
  for (const i of [0, 1, 1]) {
    const r = await on(i).login('guessed', PW, '/app/');
    t.is(r.status, 429, `host ${'AB'[i]}: even the right password is refused`);
    t.truthy(r.headers['retry-after']);
  }
});

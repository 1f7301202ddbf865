// The distributed session cache on a three-master Redis Cluster: two real
// `gatehouse serve` hosts share sessions, and terminations and account
// invalidation through either host's admin plane hold on both (every
// multi-key change stays in one slot); failed logins count on both.
import test from 'ava';
import { request } from 'undici';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedisCluster } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';

test('on a Redis Cluster: a login on A is valid on B; terminate all_sessions, sign-out-everyone and account invalidation through B hold on A; failed logins count on both', async (t) => {
  const cluster = await startRedisCluster();
  const app: EchoBackend = await startEcho({ name: 'app' });
  const hosts: RunningGatehouse[] = [];
  try {
    for (const name of ['clA', 'clB']) {
      hosts.push(await startGatehouse({
        users: [{ id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] }, ...['alice', 'bob', 'carol'].map((id) => ({ id, password: PW, groups: ['staff'] }))],
        config: {
          server: { 'pdadmin-server-name': `default-webseald-${name}` },
          session: { 'dsess-enabled': 'yes' },
          redis: { servers: cluster.urls, cluster: 'yes', 'key-prefix': `cl${process.pid}`, 'command-timeout-ms': 1000 },
          junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
        },
      }));
    }
    const [a, b] = hosts as [RunningGatehouse, RunningGatehouse];
    const admin = async (method: string, path: string, body?: unknown) => {
      const r = await request(`${b.admin}${path}`, {
        method: method as 'GET',
        headers: { authorization: `Basic ${Buffer.from(`sec_master:${ADMIN_PW}`).toString('base64')}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.statusCode, json: JSON.parse(await r.body.text()) as Record<string, unknown> };
    };
    const login = async (user: string) => {
      const br = new Browser(a.http);
      t.is((await br.login(user, PW, '/app/')).status, 302);
      const onB = new Browser(b.http);
      for (const [k, v] of br.cookies) onB.cookies.set(k, v);
      t.is((await onB.fetch('/app/x')).status, 200);
      t.is(JSON.parse((await onB.fetch('/app/x')).body).headers['iv-user'], user);
      return br;
    };
    const refusedWith = async (br: Browser, reason: string) => {
      for (let i = 0; i < 200; i++) {
        const r = await br.fetch('/app/x');
        if (r.body.includes('pkmslogin.form')) { t.regex(r.body, new RegExp(`data-reason="${reason}"`)); return; }
        await new Promise((res) => setTimeout(res, 20));
      }
      t.fail('still served');
    };
    const alice = await login('alice');
    t.is((await admin('DELETE', '/api/v1/users/alice/sessions')).json['ended'], 1);
    await refusedWith(alice, 'all_sessions_terminated');
    const bob = await login('bob');
    t.is((await admin('POST', '/api/v1/sign-out-everyone')).status, 200);
    await refusedWith(bob, 'signed_out_everywhere');
    const rs = await admin('POST', '/api/v1/servers/default-webseald-clB/tasks', { task: 'replica set show default' });
    t.deepEqual((rs.json['results'] as string[]).map((l) => l.split(' ')[0]).sort(), ['default-webseald-clA', 'default-webseald-clB']);
    // Failed logins count in the Cluster: five bad passwords split over A and B lock carol out on both.
    for (let n = 0; n < 5; n++) t.is((await new Browser(hosts[n % 2]!.http).login('carol', `wrong-${n}`, '/app/')).status, 401);
    for (const h of hosts) t.is((await new Browser(h.http).login('carol', PW, '/app/')).status, 429);
    // An account invalidated through B cannot log in on A until it is made valid through B.
    t.is((await admin('POST', '/api/v1/users/bob/invalidate', {})).status, 200);
    t.is((await new Browser(a.http).login('bob', PW, '/app/')).status, 403);
    t.like((await admin('GET', '/api/v1/users/bob/sessions')).json, { accountValid: false });
    t.deepEqual((await admin('POST', '/api/v1/users/bob/validate')).json, { accountValid: true });
    t.is((await new Browser(a.http).login('bob', PW, '/app/')).status, 302);
  } finally {
    for (const h of hosts) await h.stop();
    await app.close();
    await cluster.stop();
  }
});

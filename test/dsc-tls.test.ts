// The distributed session cache over TLS: Redis with TLS only and client
// certificates required; two real hosts share a session through it with
// `redis.tls` (CA, client certificate); a host that does not trust the
// server's certificate stops at start-up with a message that says so.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho } from './helpers/backends.js';
import { freePort, runCli } from './helpers/redis.js';

const PW = 'correct horse battery';

function ca(dir: string, name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.pem`,
    '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
}
function signed(dir: string, name: string, caName: string, cn: string, san?: string): void {
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.csr`, '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  const ext = `${dir}/${name}.ext`;
  fs.writeFileSync(ext, san === undefined ? 'basicConstraints=CA:FALSE\n' : `subjectAltName=${san}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', `${dir}/${name}.csr`, '-CA', `${dir}/${caName}.pem`, '-CAkey', `${dir}/${caName}.key`,
    '-CAcreateserial', '-out', `${dir}/${name}.pem`, '-days', '1', '-extfile', ext], { stdio: 'ignore' });
}

test('over TLS with client certificates two hosts share a session; an untrusted server certificate stops serve with a clear message', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-redis-tls-'));
  ca(dir, 'ca');
  ca(dir, 'other-ca');
  signed(dir, 'server', 'ca', '127.0.0.1', 'IP:127.0.0.1');
  signed(dir, 'client', 'ca', 'gatehouse');
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    '--tls-cert-file', `${dir}/server.pem`, '--tls-key-file', `${dir}/server.key`, '--tls-ca-cert-file', `${dir}/ca.pem`,
    '--tls-auth-clients', 'yes'], { stdio: 'ignore' });
  const cli = ['--tls', '--cacert', `${dir}/ca.pem`, '--cert', `${dir}/client.pem`, '--key', `${dir}/client.key`, '-p', String(port)];
  for (let i = 0; ; i++) {
    try { await runCli([...cli, 'PING']); break; } catch (err) { if (i > 100) throw err; await new Promise((r) => setTimeout(r, 50)); }
  }
  const app = await startEcho({ name: 'app' });
  const hosts: RunningGatehouse[] = [];
  const config = (name: string, caFile: string) => ({
    server: { 'pdadmin-server-name': `default-webseald-${name}` },
    admin: { enabled: 'no' },
    session: { 'dsess-enabled': 'yes' },
    redis: { servers: [`rediss://127.0.0.1:${port}`], tls: { ca: caFile, cert: `${dir}/client.pem`, key: `${dir}/client.key` }, 'key-prefix': 'tls' },
    junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
  });
  try {
    const users = [{ id: 'alice', password: PW, groups: ['staff'] }];
    hosts.push(await startGatehouse({ users, config: config('tlsA', `${dir}/ca.pem`) }));
    hosts.push(await startGatehouse({ users, config: config('tlsB', `${dir}/ca.pem`) }));
    const a = new Browser(hosts[0]!.http);
    t.is((await a.login('alice', PW, '/app/')).status, 302);
    const b = new Browser(hosts[1]!.http);
    for (const [k, v] of a.cookies) b.cookies.set(k, v);
    const r = await b.fetch('/app/x');
    t.is(r.status, 200);
    t.is(JSON.parse(r.body).headers['iv-user'], 'alice');
    const err = await t.throwsAsync(startGatehouse({ users, config: config('tlsC', `${dir}/other-ca.pem`) }));
    t.regex(err!.message, /TLS to Redis failed/);
  } finally {
    for (const h of hosts) await h.stop();
    await app.close();
    redis.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

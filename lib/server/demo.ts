// demo.ts -- `npm start`: Gatehouse with nothing to set up. A demo back-end,
// demo users in a file registry, the proxy on localhost and the admin
// listener; prints the URL, the credentials and a termination to try.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseConfig } from '../config/load.js';
import { FileRegistry } from '../registry/file-registry.js';
import { runConfigured } from '../cli/serve.js';
import { startDemoBackend } from './demo-backend.js';

interface DemoUser { id: string; groups: string[]; note: string; accountValid?: boolean; policy?: 'displace' }
const USERS: DemoUser[] = [
  { id: 'alice', groups: ['staff', 'hr'], note: 'an ordinary user' },
  { id: 'bob', groups: ['staff'], note: 'max-concurrent-web-sessions displace: a second login asks to displace the first', policy: 'displace' },
  { id: 'carol', groups: ['staff'], note: 'account-valid no: every login is refused', accountValid: false },
  { id: 'sec_master', groups: ['iv-admin'], note: 'the administrator (admin API, gatehouse admin)' },
];

async function demoRegistry(dir: string): Promise<Record<string, string>> {
  const file = path.join(dir, 'users.yaml');
  const secrets = path.join(dir, 'demo-passwords.json');
  if (fs.existsSync(file) && fs.existsSync(secrets)) return JSON.parse(fs.readFileSync(secrets, 'utf8')) as Record<string, string>;
  fs.rmSync(file, { force: true });
  const registry = await FileRegistry.create(file, { watch: false });
  const passwords: Record<string, string> = {};
  for (const u of USERS) {
    passwords[u.id] = `${u.id}-${crypto.randomBytes(4).toString('hex')}`;
    await registry.createUser({
      id: u.id, groups: u.groups, password: passwords[u.id], description: u.note,
      accountValid: u.accountValid ?? true, maxConcurrentWebSessions: u.policy ?? 'unset',
    });
  }
  registry.close();
  fs.writeFileSync(secrets, JSON.stringify(passwords, null, 2), { mode: 0o600 });
  return passwords;
}

export async function runDemo(io: { stdout: Writable; stderr: Writable } = { stdout: process.stdout, stderr: process.stderr }, ports: { port?: number; adminPort?: number } = {}): Promise<number> {
  const dir = process.env['GATEHOUSE_DEMO_DIR'] ?? path.join(os.tmpdir(), `gatehouse-demo-${os.userInfo().uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwords = await demoRegistry(dir);
  const backend = await startDemoBackend();
  const port = ports.port ?? Number(process.env['GATEHOUSE_PORT'] ?? 8080);
  const adminPort = ports.adminPort ?? Number(process.env['GATEHOUSE_ADMIN_PORT'] ?? 7135);
  const config = parseConfig({
    server: { 'server-name': 'demo-default', 'pdadmin-server-name': 'default-webseald-demo', 'state-dir': dir, workers: Math.min(2, os.availableParallelism()) },
    listen: { http: { host: '127.0.0.1', port } },
    session: { 'logout-remove-cookie': 'no' },
    'header-names': { credattr: { tagvalue_user_session_id: 'user-session-id' } },
    junctions: {
      '/app': { servers: [backend.url], c: ['iv_user', 'iv_user_l', 'iv_groups', 'iv_creds'], r: 'yes', 'eai-trigger-urls': ['/app/sign-out-everywhere'] },
      '/': { servers: [backend.url], public: 'yes', c: ['iv_user'] },
    },
    registry: { file: 'users.yaml' },
    admin: { port: adminPort },
    logging: { level: process.env['GATEHOUSE_LOG_LEVEL'] ?? 'warn' },
  }, 'demo', dir);
  const code = await runConfigured(config, io, (running) => {
    const lines = [
      '',
      `Gatehouse demo is running: ${running.http}/app/`,
      '',
      'Sign in with one of these demo users:',
      ...USERS.map((u) => `  ${u.id.padEnd(11)} ${passwords[u.id]!.padEnd(22)} ${u.note}`),
      '',
      `Admin API: ${running.admin ?? '(disabled)'}  (certificate: ${path.join(dir, 'admin-tls-cert.pem')})`,
      'End all of alice\'s sessions, then click in her browser again:',
      `  curl --cacert ${path.join(dir, 'admin-tls-cert.pem')} -u sec_master:${passwords['sec_master']} \\`,
      `       -X DELETE ${running.admin ?? 'https://127.0.0.1:7135'}/api/v1/users/alice/sessions`,
      '',
      `Demo files (registry, audit log): ${dir}`,
      'Press Ctrl-C to stop.',
      '',
    ];
    io.stdout.write(lines.join('\n'));
  });
  await backend.close();
  return code;
}

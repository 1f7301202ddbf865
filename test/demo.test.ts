// demo.test.ts -- what `npm start` runs (`gatehouse demo`) works with no
// set-up: it prints a URL and credentials, alice logs in and sees her
// identity headers, the printed admin command ends her sessions, and her
// next click explains why.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Agent, request } from 'undici';
import { Browser } from './helpers/gatehouse.js';

const CLI = fileURLToPath(new URL('../lib/cli/main.js', import.meta.url));

test('gatehouse demo: banner, login, admin termination, reason on the next click', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-demo-'));
  const child = spawn(process.execPath, [CLI, 'demo'], {
    env: { ...process.env, GATEHOUSE_DEMO_DIR: dir, GATEHOUSE_PORT: '0', GATEHOUSE_ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner in 90 s:\n${out}`)), 90_000);
      const check = (): void => { if (out.includes('Press Ctrl-C')) { clearTimeout(timer); resolve(); } };
      child.stdout.on('data', check);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`demo exited ${code}:\n${out}`)); });
    });
    const url = /running: (http:\/\/[^\s]+)\/app\//.exec(out)?.[1];
    const alice = /^\s+alice\s+(\S+)/m.exec(out)?.[1];
    const admin = /Admin API: (https:\/\/\S+)/.exec(out)?.[1];
    const master = /^\s+sec_master\s+(\S+)/m.exec(out)?.[1];
    t.truthy(url && alice && admin && master, out);

    const b = new Browser(url!);
    t.regex((await b.fetch('/app/')).body, /pkmslogin\.form/);
    t.is((await b.login('alice', alice!, '/app/')).status, 302);
    const page = await b.fetch('/app/');
    t.regex(page.body, /Hello, alice/);
    t.regex(page.body, /iv-groups/);

    // The admin command the banner prints (as curl would send it).
    const ca = fs.readFileSync(path.join(dir, 'admin-tls-cert.pem'));
    const agent = new Agent({ connect: { ca } });
    const r = await request(`${admin}/api/v1/users/alice/sessions`, {
      method: 'DELETE', dispatcher: agent,
      headers: { authorization: `Basic ${Buffer.from(`sec_master:${master}`).toString('base64')}` },
    });
    t.is(r.statusCode, 200);
    t.deepEqual(await r.body.json(), { ended: 1 });
    await agent.close();
    const after = await b.fetch('/app/');
    t.regex(after.body, /ended by an administrator/);
    // Carol's account is invalid: refused with its own message.
    const carol = /^\s+carol\s+(\S+)/m.exec(out)![1]!;
    t.regex((await new Browser(url!).login('carol', carol)).body, /disabled/);
    await b.close();
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// proxy-metrics.test.ts -- the proxy's own metrics as an operator scrapes
// them from a real `gatehouse serve`: forms logins counted by outcome, and
// the validate-time histogram sampling one request in VALIDATE_SAMPLE.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { VALIDATE_SAMPLE } from '../lib/proxy/gateway.js';
import { basic } from './helpers/admin-fixture.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const ADMIN_PASSWORD = `adm ${randomBytes(9).toString('base64url')}`;
const USER_PASSWORD = `usr ${randomBytes(9).toString('base64url')}`;

let gh: RunningGatehouse;
let app: EchoBackend;

test.before(async () => {
  app = await startEcho({ name: 'app' });
  gh = await startGatehouse({
    users: [{ id: 'sec_master', password: ADMIN_PASSWORD }, { id: 'mona', password: USER_PASSWORD }],
    config: { admin: { tls: 'generate' }, junctions: { '/app': { servers: [app.url], c: ['iv_user'] } } },
  });
});

test.after.always(async () => {
  await gh?.stop();
  await app?.close();
});

async function scrape(): Promise<string> {
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(path.join(gh.dir, 'admin-tls-cert.pem')) } });
  try {
    const r = await request(`${gh.admin!}/metrics`, {
      dispatcher,
      headers: { authorization: basic('sec_master', ADMIN_PASSWORD) },
    });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`/metrics answered ${r.statusCode}: ${text}`);
    return text;
  } finally {
    await dispatcher.close();
  }
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('logins are counted by outcome and one validation in VALIDATE_SAMPLE is timed', async (t) => {
  const before = await scrape();
  const timedBefore = sample(before, 'gatehouse_validate_seconds_count') ?? 0;
  const b = new Browser(gh.http);
  t.is((await b.login('mona', 'wrong password')).status, 401, 'a failed login shows the form again, 401');
  t.is((await b.login('mona', USER_PASSWORD, '/app/')).status, 302);
  for (let i = 0; i < 2 * VALIDATE_SAMPLE; i++) t.is((await b.fetch('/app/')).status, 200);
  const after = await scrape();
  t.is(sample(after, 'gatehouse_logins_total{method="forms",outcome="success"}'), 1, after);
  t.is(sample(after, 'gatehouse_logins_total{method="forms",outcome="bad_password"}'), 1, after);
  // 2 x VALIDATE_SAMPLE validations through one process: exactly two were timed.
  t.is((sample(after, 'gatehouse_validate_seconds_count') ?? 0) - timedBefore, 2, after);
  const sum = sample(after, 'gatehouse_validate_seconds_sum')!;
  t.true(sum > 0 && sum < 1, `a validation takes well under a second (sum ${sum})`);
});

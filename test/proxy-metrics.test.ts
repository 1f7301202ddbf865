// proxy-metrics.test.ts -- the proxy's own metrics as an operator scrapes
// them from a real `gatehouse serve`: forms logins counted by outcome, the
// validate-time histogram sampling one request in VALIDATE_SAMPLE, requests
// by junction and status with back-end latency, back-end health, and Node's
// process metrics, in one process and summed over cluster workers.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { VALIDATE_SAMPLE } from '../lib/proxy/gateway.js';
import { basic } from './helpers/admin-fixture.js';
import { closedPort, startEcho, type EchoBackend } from './helpers/backends.js';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';

const ADMIN_PASSWORD = `adm ${randomBytes(9).toString('base64url')}`;
const USER_PASSWORD = `usr ${randomBytes(9).toString('base64url')}`;

let gh: RunningGatehouse;
let cluster: RunningGatehouse;     // two workers
let app: EchoBackend;
let downPort: number;
let revivedPort: number;
const revived: EchoBackend[] = [];

test.before(async () => {
  app = await startEcho({ name: 'app' });
  [downPort, revivedPort] = await Promise.all([closedPort(), closedPort()]);
  const users = [{ id: 'sec_master', password: ADMIN_PASSWORD }, { id: 'mona', password: USER_PASSWORD }];
  [gh, cluster] = await Promise.all([
    startGatehouse({
      users,
      config: {
        admin: { tls: 'generate' },
        junctions: {
          '/app': { servers: [app.url], c: ['iv_user'] },
          '/count': { servers: [app.url], public: 'yes' },
          '/down': { servers: [`http://127.0.0.1:${downPort}`], public: 'yes' },
          // No back-off: the next request tries the server again at once.
          '/revived': { servers: [`http://127.0.0.1:${revivedPort}`], public: 'yes', 'failure-backoff': 0 },
        },
      },
    }),
    startGatehouse({ users, workers: 2, config: { junctions: { '/pub': { servers: [app.url], public: 'yes' } } } }),
  ]);
});

test.after.always(async () => {
  await Promise.all([gh?.stop(), cluster?.stop()]);
  await Promise.all([app, ...revived].map((b) => b?.close()));
});

async function scrape(g: RunningGatehouse = gh): Promise<string> {
  const tls = g.admin!.startsWith('https:');
  const dispatcher = new Agent(tls ? { connect: { ca: fs.readFileSync(path.join(g.dir, 'admin-tls-cert.pem')) } } : {});
  try {
    const r = await request(`${g.admin!}/metrics`, {
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

test('requests are counted by junction and status, and back-end latency by junction', async (t) => {
  const b = new Browser(gh.http);
  const before = await scrape();
  for (let i = 0; i < 3; i++) t.is((await b.fetch(`/count/${i}`)).status, 200);
  t.is((await b.fetch('/count/x', { method: 'HEAD' })).status, 200);
  t.is((await b.fetch('/no/such/junction')).status, 404);
  t.is((await b.fetch('/no/such/other')).status, 404);
  const after = await scrape();
  const delta = (series: string): number => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
  t.is(delta('gatehouse_proxy_requests_total{junction="/count",status="200"}'), 4, after);
  // Requests no junction takes share one label: the label set stays as small as the configuration.
  t.is(delta('gatehouse_proxy_requests_total{junction="(none)",status="404"}'), 2, after);
  t.false(after.includes('/no/such'), 'paths never become label values');
  t.is(delta('gatehouse_proxy_upstream_seconds_count{junction="/count"}'), 4, after);
  t.true(delta('gatehouse_proxy_upstream_seconds_sum{junction="/count"}') > 0);
  t.is(delta('gatehouse_proxy_upstream_seconds_bucket{le="+Inf",junction="/count"}'), 4, after);
});

test('a back-end that refuses connections shows gatehouse_backend_up 0, and 1 again once it answers', async (t) => {
  const down = `gatehouse_backend_up{junction="/down",server="http://127.0.0.1:${downPort}"}`;
  const revivedSeries = `gatehouse_backend_up{junction="/revived",server="http://127.0.0.1:${revivedPort}"}`;
  const first = await scrape();
  t.is(sample(first, down), 1, 'not tried yet: up');
  const b = new Browser(gh.http);
  t.is((await b.fetch('/down/x')).status, 502);
  t.is((await b.fetch('/revived/x')).status, 502);
  const second = await scrape();
  t.is(sample(second, down), 0, second);
  t.is(sample(second, revivedSeries), 0, second);
  t.is(sample(second, `gatehouse_backend_up{junction="/app",server="${app.url}"}`), 1, second);
  t.is(sample(second, 'gatehouse_proxy_requests_total{junction="/down",status="502"}'), 1, second);

  revived.push(await startEcho({ name: 'revived', port: revivedPort }));
  t.is((await b.fetch('/revived/x')).status, 200);
  t.is(sample(await scrape(), revivedSeries), 1);
});

test('Node\'s process metrics are collected with the gatehouse_ prefix', async (t) => {
  const text = await scrape();
  for (const name of ['gatehouse_process_cpu_user_seconds_total', 'gatehouse_process_resident_memory_bytes', 'gatehouse_nodejs_heap_size_used_bytes', 'gatehouse_nodejs_eventloop_lag_seconds'])
    t.true(sample(text, name) !== undefined, `${name}\n${text}`);
  // One process serves both planes here: its process metrics are listed once.
  t.false(text.includes('gatehouse_primary_'), text);
});

test('with two workers, request counts are summed over them and every metric family is listed once', async (t) => {
  // A connection per request, so both workers take some.
  const b = new Browser(cluster.http, { freshConnections: true });
  const n = 8;
  for (let i = 0; i < n; i++) t.is((await b.fetch(`/pub/${i}`)).status, 200);
  await b.close();
  const text = await scrape(cluster);
  t.is(sample(text, 'gatehouse_proxy_requests_total{junction="/pub",status="200"}'), n, text);
  t.is(sample(text, `gatehouse_backend_up{junction="/pub",server="${app.url}"}`), 1, text);
  // The workers' process metrics summed under gatehouse_, the primary's under gatehouse_primary_.
  t.true((sample(text, 'gatehouse_process_cpu_user_seconds_total') ?? 0) > 0, text);
  t.true((sample(text, 'gatehouse_primary_process_cpu_user_seconds_total') ?? 0) > 0, text);
  const workersRss = sample(text, 'gatehouse_process_resident_memory_bytes')!;
  const primaryRss = sample(text, 'gatehouse_primary_process_resident_memory_bytes')!;
  t.true(workersRss > primaryRss, `two workers' memory summed (${workersRss}) exceeds the primary's own (${primaryRss})`);
  // A family listed twice would make the whole scrape invalid for Prometheus.
  const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  t.is(new Set(types).size, types.length, types.filter((x, i) => types.indexOf(x) !== i).join('\n'));
});

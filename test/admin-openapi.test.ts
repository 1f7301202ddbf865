// The OpenAPI document matches the route table (both ways), the server
// answers exactly the routes the table lists, and /metrics serves the
// admin counters and the table's figures read from stats() on scrape.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { createMetrics, VALIDATE_BUCKETS } from '../lib/metrics.js';
import { ROUTES, routeId } from '../lib/admin/routes.js';
import { buildOpenApi } from '../lib/admin/openapi.js';
import { uniqueName } from './helpers/tables.js';
import { SessionCache } from '../lib/index.js';
import { basic, SERVER, startFixture } from './helpers/admin-fixture.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

test('every route is in the document and every documented operation is a route', (t) => {
  const doc = buildOpenApi() as any;
  t.is(doc.openapi, '3.1.0');
  const documented = new Set<string>();
  for (const [p, item] of Object.entries<any>(doc.paths))
    for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${p}`);
  t.deepEqual([...documented].sort(), ROUTES.map(routeId).sort());
  for (const r of ROUTES) {
    const op = doc.paths[r.path][r.method.toLowerCase()];
    t.is(op['x-gatehouse-route'], routeId(r));
    t.truthy(op.responses['200'], routeId(r));
    const params = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
    t.deepEqual(params, [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]), `${routeId(r)} path parameters`);
    if (r.body) t.truthy(op.requestBody?.content?.['application/json']?.schema, `${routeId(r)} request body`);
    if (r.auth === 'none') t.deepEqual(op.security, []);
    else t.truthy(op.responses['401'] && op.responses['403'], `${routeId(r)} documents 401 and 403`);
  }
  t.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['basicAuth', 'bearerAuth', 'clientCertificate']);
  // The contract's paths, pinned.
  t.deepEqual(Object.keys(doc.paths).sort(), [
    '/api/v1/servers', '/api/v1/servers/{server}/tasks', '/api/v1/sessions', '/api/v1/sessions/{userSessionId}',
    '/api/v1/sign-out-everyone', '/api/v1/users/{loginId}/invalidate', '/api/v1/users/{loginId}/refresh',
    '/api/v1/users/{loginId}/sessions', '/api/v1/users/{loginId}/validate', '/api/v1/whoami', '/healthz', '/isam/pdadmin',
    '/metrics', '/openapi.json',
  ]);
  t.deepEqual(doc.paths['/api/v1/servers/{server}/tasks'].post.requestBody.content['application/json'].schema.required, ['task']);
});

test('the served document is the built one, and every documented route answers (not 404/405)', async (t) => {
  const f = await startFixture({ tls: false });
  t.teardown(() => f.close());
  const served = await f.call('GET', '/openapi.json', { auth: null });
  t.deepEqual(served.json, JSON.parse(JSON.stringify(buildOpenApi())));
  f.cache.create({ loginId: 'victim' });
  for (const r of ROUTES) {
    const url = r.path.replace('{server}', SERVER).replace('{loginId}', 'victim').replace('{userSessionId}', 'AAAAAAAAAAAAAAAAAAAAAA');
    const body = r.path === '/isam/pdadmin' ? { commands: ['server list'] } : r.path.endsWith('/tasks') && r.method === 'POST' ? { task: 'help' } : r.body ? {} : undefined;
    const reply = await f.call(r.method, url, body === undefined ? {} : { body });
    t.is(reply.status, 200, `${routeId(r)}: ${reply.text.slice(0, 200)}`);
  }
});

test('/metrics needs authentication by default and shows admin requests and the table figures', async (t) => {
  const f = await startFixture({ tls: false });
  t.teardown(() => f.close());
  t.is((await f.call('GET', '/metrics', { auth: null })).status, 401);
  const a = f.cache.create({ loginId: 'm1' });
  f.cache.create({ loginId: 'm1' });
  f.cache.create({ loginId: 'm2' });
  f.cache.logout(a.sessionId);
  await f.call('DELETE', '/api/v1/users/m2/sessions');
  await f.call('DELETE', '/api/v1/users/m2/sessions', { auth: basic('norbert') });
  const r = await f.call('GET', '/metrics');
  t.is(r.status, 200);
  t.regex(String(r.headers['content-type']), /^text\/plain/);
  t.regex(r.text, /^gatehouse_sessions_live 1$/m);
  t.regex(r.text, /^gatehouse_sessions_ended_total\{reason="logged_out"\} 1$/m);
  t.regex(r.text, /^gatehouse_sessions_ended_total\{reason="all_sessions_terminated"\} 1$/m);
  t.regex(r.text, /^gatehouse_sessions_ended_total\{reason="terminated"\} 0$/m);
  t.regex(r.text, /^gatehouse_admin_requests_total\{route="DELETE \/api\/v1\/users\/\{loginId\}\/sessions",outcome="allowed"\} 1$/m);
  t.regex(r.text, /^gatehouse_admin_requests_total\{route="DELETE \/api\/v1\/users\/\{loginId\}\/sessions",outcome="denied"\} 1$/m);
  t.regex(r.text, /^gatehouse_admin_requests_total\{route="GET \/metrics",outcome="unauthenticated"\} 1$/m);
});

test('/metrics can be opened to scrapers (metricsAuth false)', async (t) => {
  const f = await startFixture({ tls: false, metricsAuth: false });
  t.teardown(() => f.close());
  const r = await f.call('GET', '/metrics', { auth: null });
  t.is(r.status, 200);
  t.regex(r.text, /gatehouse_sessions_live 0/);
});

test('createMetrics: parts go to the registry asked for; the table figures are read, not counted', async (t) => {
  const name = uniqueName('metrics');
  const cache = SessionCache.create(name, { capacity: 64 });
  t.teardown(() => { cache.close(); SessionCache.unlink(name); });
  const proxy = new Registry();
  const admin = new Registry();
  const p = createMetrics(proxy, { only: 'proxy' });
  const a = createMetrics(admin, { only: 'admin', cache });
  t.truthy(proxy.getSingleMetric('gatehouse_logins_total'));
  t.truthy(proxy.getSingleMetric('gatehouse_validate_seconds'));
  t.falsy(proxy.getSingleMetric('gatehouse_admin_requests_total'));
  t.falsy(admin.getSingleMetric('gatehouse_logins_total'));
  t.truthy(a.sessionsLive && a.sessionsEnded);
  t.is(p.sessionsLive, undefined);
  a.logins.inc({ method: 'forms', outcome: 'success' });  // usable although unregistered here
  t.is(VALIDATE_BUCKETS[0], 1e-7);
  t.is(VALIDATE_BUCKETS.at(-1), 1e-2);
  // A second registry over the same table reports the same figures: nothing is double counted.
  const twin = new Registry();
  createMetrics(twin, { only: 'admin', cache });
  cache.create({ loginId: 'x' });
  cache.create({ loginId: 'y' });
  const live = (m: any[]) => m.find((e) => e.name === 'gatehouse_sessions_live').values[0].value;
  t.is(live(await admin.getMetricsAsJSON()), 2);
  t.is(live(await twin.getMetricsAsJSON()), 2);
  t.is(live(await admin.getMetricsAsJSON()), 2, 'a second scrape reads again, it does not add');
});

test('createMetrics: buffered validate timings all reach the histogram, on scrape and when the buffer fills', async (t) => {
  const reg = new Registry();
  const m = createMetrics(reg, { only: 'proxy' });
  const histogram = async () => {
    const h = (await reg.getMetricsAsJSON()).find((e) => e.name === 'gatehouse_validate_seconds') as any;
    const value = (suffix: string) => h.values.find((v: any) => v.metricName === `gatehouse_validate_seconds${suffix}`)?.value;
    return { count: value('_count'), sum: value('_sum') };
  };
  t.is((await histogram()).count, 0);
  m.recordValidate(2e-6);
  m.recordValidate(3e-6);
  const first = await histogram();
  t.is(first.count, 2);
  t.true(Math.abs(first.sum - 5e-6) < 1e-12);
  t.is((await histogram()).count, 2, 'a second scrape adds nothing');
  for (let i = 0; i < 1500; i++) m.recordValidate(1e-6);  // the buffer fills and empties on its own, more than once
  t.is((await histogram()).count, 1502);
});

test('cluster mode: the primary serves its registry plus the workers\' counters summed', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('./helpers/admin-cluster-metrics.js', import.meta.url))], { timeout: 90_000 });
  t.regex(stdout, /^gatehouse_logins_total\{method="forms",outcome="success"\} 3$/m, stdout);
  t.regex(stdout, /^gatehouse_admin_requests_total\{route="GET \/metrics",outcome="allowed"\} 1$/m);
  t.is(stdout.match(/^# TYPE gatehouse_logins_total /gm)?.length, 1, 'listed once');
});

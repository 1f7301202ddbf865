// Bad input to the admin API: malformed JSON, wrong types, huge bodies,
// over-long tasks, unknown servers, users and routes. Each gets a 4xx with
// the contract's error body and a clear message, and nothing changes.
// Also /isam/pdadmin batches: one refused command refuses them all.
import test from 'ava';
import { Readable } from 'node:stream';
import { request, Agent } from 'undici';
import type { CreatedSession } from '../lib/index.js';
import { basic, SERVER, startFixture, type Fixture } from './helpers/admin-fixture.js';

let f: Fixture;
let victims: CreatedSession[];
let epoch: number;

test.before(async () => {
  f = await startFixture({ tls: false });
  victims = [f.cache.create({ loginId: 'victim' }), f.cache.create({ loginId: 'victim' })];
  epoch = f.cache.stats().epoch;
});
test.after.always(async () => { await f?.close(); });

function nothingChanged(t: any, what: string): void {
  for (const s of victims) t.true(f.cache.validate(s.sessionId, { touch: false }).valid, `${what}: a session ended`);
  t.is(f.cache.stats().epoch, epoch, `${what}: the epoch moved`);
  t.true(f.registry.lookup('victim')!.accountValid, `${what}: the account changed`);
}

const TASKS = `/api/v1/servers/${SERVER}/tasks`;

const cases: Array<[string, () => ReturnType<Fixture['call']>, number, string, RegExp]> = [
  ['malformed JSON', () => f.call('POST', TASKS, { rawBody: '{"task": "terminate all_sessions victim"', headers: { 'content-type': 'application/json' } }), 400, 'bad_json', /malformed JSON/],
  ['not UTF-8', () => f.call('POST', TASKS, { rawBody: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json' } }), 400, 'bad_json', /UTF-8/],
  ['task is a number', () => f.call('POST', TASKS, { body: { task: 5 } }), 400, 'bad_request', /task: .*string/],
  ['extra field', () => f.call('POST', TASKS, { body: { task: 'help', sudo: true } }), 400, 'bad_request', /sudo/],
  ['array body', () => f.call('POST', TASKS, { body: ['terminate all_sessions victim'] }), 400, 'bad_request', /object/],
  ['empty body', () => f.call('POST', TASKS, {}), 400, 'bad_request', /body is required/],
  ['not JSON', () => f.call('POST', TASKS, { rawBody: 'task=terminate', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type', /JSON/],
  ['no content type', () => f.call('POST', TASKS, { rawBody: '{"task":"help"}' }), 415, 'unsupported_media_type', /JSON/],
  ['over-long task', () => f.call('POST', TASKS, { body: { task: `terminate all_sessions ${'v'.repeat(5000)}` } }), 400, 'task_too_long', /5023 bytes; the limit is 4096/],
  ['task that does not parse', () => f.call('POST', TASKS, { body: { task: 'terminate every_session victim' } }), 400, 'bad_task', /does not parse/],
  ['unbalanced quotes', () => f.call('POST', TASKS, { body: { task: 'terminate all_sessions "victim' } }), 400, 'bad_task', /unbalanced/],
  ['unknown server in the path', () => f.call('POST', '/api/v1/servers/default-webseald-other/tasks', { body: { task: 'terminate all_sessions victim' } }), 404, 'unknown_server', /unknown server 'default-webseald-other'/],
  ['unknown server in the task prefix', () => f.call('POST', TASKS, { body: { task: 'server task default-webseald-other terminate all_sessions victim' } }), 404, 'unknown_server', /default-webseald-other/],
  ['unknown server for listtasks', () => f.call('GET', '/api/v1/servers/nope/tasks'), 404, 'unknown_server', /nope/],
  ['unknown user: terminate', () => f.call('DELETE', '/api/v1/users/ghost/sessions'), 404, 'unknown_user', /ghost/],
  ['unknown user: list', () => f.call('GET', '/api/v1/users/ghost/sessions'), 404, 'unknown_user', /ghost/],
  ['unknown user: refresh', () => f.call('POST', '/api/v1/users/ghost/refresh'), 404, 'unknown_user', /ghost/],
  ['unknown user: invalidate', () => f.call('POST', '/api/v1/users/ghost/invalidate', { body: {} }), 404, 'unknown_user', /ghost/],
  ['invalidate with a wrong type', () => f.call('POST', '/api/v1/users/victim/invalidate', { body: { endSessions: 'yes' } }), 400, 'bad_request', /endSessions/],
  ['unknown route', () => f.call('GET', '/api/v2/everything'), 404, 'not_found', /no route GET \/api\/v2\/everything/],
  ['unknown route, no auth', () => f.call('GET', '/admin', { auth: null }), 404, 'not_found', /no route/],
  ['wrong method', () => f.call('PUT', TASKS, { body: { task: 'help' } }), 405, 'method_not_allowed', /GET or POST/],
  ['bad percent-encoding', () => f.call('GET', '/api/v1/users/%E0%A4%A/sessions'), 400, 'bad_request', /percent-encoding/],
  ['control character in a login ID', () => f.call('DELETE', '/api/v1/users/vic%0Atim/sessions'), 400, 'bad_request', /control characters/],
  ['max out of range', () => f.call('GET', '/api/v1/sessions?pattern=*&max=0'), 400, 'bad_request', /max must be/],
  ['max not a number', () => f.call('GET', '/api/v1/users/victim/sessions?max=ten'), 400, 'bad_request', /max must be/],
  ['malformed user session ID', () => f.call('DELETE', '/api/v1/sessions/not%20an%20id'), 400, 'bad_request', /user session ID/],
  ['user session ID of another server', () => f.call('DELETE', `/api/v1/sessions/${Buffer.from('other-default\0').toString('base64').replace(/\//g, '%2F')}_AAAAAAAAAAAAAAAAAAAAAA`), 404, 'unknown_server', /other-default/],
  ['pdadmin: unsupported command', () => f.call('POST', '/isam/pdadmin', { body: { commands: ['user list'] } }), 400, 'bad_request', /command 1 of 1 is not supported/],
  ['pdadmin: no commands', () => f.call('POST', '/isam/pdadmin', { body: { commands: [] } }), 400, 'bad_request', /commands/],
  ['pdadmin: admin_id without password', () => f.call('POST', '/isam/pdadmin', { auth: null, body: { admin_id: 'sec_master', commands: ['server list'] } }), 400, 'bad_request', /go together/],
  ['pdadmin: unknown domain', () => f.call('POST', '/isam/pdadmin', { body: { admin_domain: 'Other', commands: ['server list'] } }), 400, 'bad_request', /admin_domain/],
];

for (const [what, send, status, code, message] of cases) {
  test.serial(`${status} ${code}: ${what}`, async (t) => {
    const r = await send();
    t.is(r.status, status, r.text);
    t.is(r.json?.error?.code, code);
    t.regex(r.json.error.message, message);
    t.is(r.headers['content-type'], 'application/json; charset=utf-8');
    nothingChanged(t, what);
  });
}

test.serial('405 names the allowed methods in Allow', async (t) => {
  const r = await f.call('PATCH', '/api/v1/users/victim/sessions');
  t.is(r.status, 405);
  t.is(r.headers.allow, 'GET, DELETE');
});

test.serial('a 10 MiB body is refused with 413 from its Content-Length, before it is read', async (t) => {
  const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
  const r = await f.call('POST', TASKS, { rawBody: big, headers: { 'content-type': 'application/json' } });
  t.is(r.status, 413);
  t.is(r.json.error.code, 'payload_too_large');
  nothingChanged(t, '10 MiB');
  // The server still answers afterwards.
  t.is((await f.call('GET', '/healthz', { auth: null })).status, 200);
});

test.serial('a 10 MiB chunked body (no Content-Length) is cut off at 64 KiB with 413', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= 160) { this.push(null); return; }
      sent++;
      this.push(chunk);
    },
  });
  const agent = new Agent();
  try {
    const r = await request(`${f.server.url}${TASKS}`, {
      method: 'POST', dispatcher: agent, body,
      headers: { authorization: basic('sec_master'), 'content-type': 'application/json' },
    }).catch((err: Error) => err);
    // The server answers 413 and stops reading; a client still sending may see the close instead.
    if (r instanceof Error) t.regex(String((r as any).code ?? r.message), /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed/i);
    else {
      t.is(r.statusCode, 413);
      t.is(((await r.body.json()) as any).error.code, 'payload_too_large');
    }
  } finally {
    await agent.close();
  }
  t.true(sent < 160, 'the server stopped reading long before 10 MiB');
  nothingChanged(t, 'chunked 10 MiB');
});

test.serial('a task of exactly 4096 bytes is accepted; 4097 is not', async (t) => {
  const task = 'help terminate all_sessions'.padEnd(4096, ' ');  // the grammar ignores trailing spaces
  const r = await f.call('POST', TASKS, { body: { task } });
  t.is(r.status, 200, r.text);
  t.is(r.json.messages.at(-1).id, 'GHWAT0012I');
  const over = await f.call('POST', TASKS, { body: { task: `${task} ` } });
  t.is(over.status, 400);
  t.is(over.json.error.code, 'task_too_long');
});

test.serial('pdadmin: one refused command refuses the batch (403) and none runs', async (t) => {
  f.newAudit();
  // alice holds s and l but not AUTH_ADMINISTRATOR.
  const r = await f.call('POST', '/isam/pdadmin', {
    auth: null,
    body: {
      admin_id: 'alice', admin_pwd: 'alice-pw-2',
      commands: [
        `server task ${SERVER} terminate all_sessions victim`,
        `server task ${SERVER} list sessions victim`,
        `server task ${SERVER} signout all_sessions`,
      ],
    },
  });
  t.is(r.status, 403);
  t.is(r.json.error.code, 'forbidden');
  t.regex(r.json.error.message, /^Authorization for the requested command has been denied.*command 3 of 3; no command ran/);
  t.is(r.json.messages[0].id, 'GHWAA0067E');
  nothingChanged(t, 'refused batch');
  const audit = f.newAudit();
  t.deepEqual(audit.map((e) => [e.initiator, e.kind, e.outcome]), [
    ['alice', 'terminate_all_sessions', 'denied'],
    ['alice', 'list_sessions', 'denied'],
    ['alice', 'signout_all_sessions', 'denied'],
  ]);
  t.regex(audit[0].detail, /not run: command 3 was refused/);
  t.regex(audit[2].detail, /AUTH_ADMINISTRATOR/);
});

test.serial('pdadmin: a command that does not parse, or names another server, stops the batch before anything runs', async (t) => {
  const parse = await f.call('POST', '/isam/pdadmin', {
    body: { commands: [`server task ${SERVER} terminate all_sessions victim`, `server task ${SERVER} terminate all_sessions "victim`] },
  });
  t.is(parse.status, 400);
  t.is(parse.json.error.code, 'bad_task');
  t.regex(parse.json.error.message, /command 2 of 2 does not parse/);
  t.is(parse.json.messages[0].id, 'GHWAT0104E');
  const other = await f.call('POST', '/isam/pdadmin', {
    body: { commands: [`server task ${SERVER} terminate all_sessions victim`, 'server task default-webseald-far help'] },
  });
  t.is(other.status, 404);
  t.regex(other.json.error.message, /command 2 of 2: unknown server/);
  nothingChanged(t, 'stopped batch');
});

test.serial('pdadmin: body credentials, the reply shape, and the output as text', async (t) => {
  const s = f.cache.create({ loginId: 'temp' });
  const r = await f.call('POST', '/isam/pdadmin', {
    auth: null,
    body: {
      admin_id: 'sec_master', admin_pwd: 'master-pw-1', admin_domain: 'Default',
      commands: ['server list', `server listtasks ${SERVER}`, `server task ${SERVER} terminate all_sessions temp`, `server task ${SERVER} terminate all_sessions temp`],
    },
  });
  t.is(r.status, 200, r.text);
  t.deepEqual(r.json.commands.map((c: any) => [c.ok, c.messages.map((m: any) => m.id)]), [
    [true, []], [true, []], [true, ['GHWAT0002I']], [true, ['GHWAT0003W']],
  ]);
  t.deepEqual(f.cache.validate(s.sessionId), { valid: false, reason: 'all_sessions_terminated' });
  const lines = r.json.result.split('\n');
  t.is(lines[0], SERVER);
  t.true(lines.includes('terminate all_sessions <user_id>'));
  t.true(lines.includes('GHWAT0002I 1 session(s) of user temp terminated.'));
  const bad = await f.call('POST', '/isam/pdadmin', { auth: null, body: { admin_id: 'sec_master', admin_pwd: 'wrong', commands: ['server list'] } });
  t.is(bad.status, 401);
});

test.serial('healthz and openapi.json need no credentials; the API does', async (t) => {
  t.deepEqual((await f.call('GET', '/healthz', { auth: null })).json, { status: 'ok' });
  t.is((await f.call('GET', '/openapi.json', { auth: null })).json.openapi, '3.1.0');
  const r = await f.call('GET', '/api/v1/servers', { auth: null });
  t.is(r.status, 401);
  t.is(r.headers['www-authenticate'], 'Basic realm="gatehouse-admin"');
});

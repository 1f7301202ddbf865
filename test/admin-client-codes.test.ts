// The AdminClient types apiCode and message IDs as literal unions; a reply
// outside those catalogues must not smuggle an unlisted string into them.
import test from 'ava';
import { AdminApiError, AdminClient, ADMIN_API_ERROR_CODES } from '../lib/client.js';
import { startStubAdminServer } from './helpers/fake-admin-server.js';

const auth = { user: 'sec_master', password: 'pw' };

test('an error reply with a code outside the contract becomes http_<status>, keeping the server\'s words', async (t) => {
  const stub = await startStubAdminServer(() => ({ status: 409, body: '{"error":{"code":"brand_new","message":"a newer server says no"}}' }));
  const client = new AdminClient({ url: stub.url, auth });
  t.teardown(async () => { await client.close(); await stub.close(); });
  const err = await t.throwsAsync(client.listSessions('bob'), { instanceOf: AdminApiError });
  t.is(err?.apiCode, 'http_409');
  t.regex(err?.message ?? '', /brand_new: a newer server says no/);
  t.false((ADMIN_API_ERROR_CODES as readonly string[]).includes(err?.apiCode ?? ''));
});

test('an error reply with a listed code keeps it, with its catalogued messages', async (t) => {
  const stub = await startStubAdminServer(() => ({ status: 403, body: JSON.stringify({
    error: { code: 'forbidden', message: 'denied' },
    messages: [{ id: 'GHWAA0067E', code: 0x47410067, severity: 'error', text: 'Authorization for the requested command has been denied.' }],
  }) }));
  const client = new AdminClient({ url: stub.url, auth });
  t.teardown(async () => { await client.close(); await stub.close(); });
  const err = await t.throwsAsync(client.terminateAllSessions('bob'), { instanceOf: AdminApiError });
  t.is(err?.apiCode, 'forbidden');
  t.deepEqual(err?.messages.map((m) => m.id), ['GHWAA0067E']);
});

test('a task reply with a message ID outside the catalogue is a bad_response, not a mistyped message', async (t) => {
  const stub = await startStubAdminServer((_m, url) => url === '/api/v1/servers'
    ? { status: 200, body: '{"servers":["s1"]}' }
    : { status: 200, body: '{"ok":true,"results":[],"messages":[{"id":"GHWAT9999I","code":1,"severity":"info","text":"?"}]}' });
  const client = new AdminClient({ url: stub.url, auth });
  t.teardown(async () => { await client.close(); await stub.close(); });
  const err = await t.throwsAsync(client.run('help'), { instanceOf: AdminApiError });
  t.is(err?.apiCode, 'bad_response');
  t.regex(err?.message ?? '', /messages\.0\.id/);
});

test('whoami and session listings with an unknown method are bad_response', async (t) => {
  const stub = await startStubAdminServer((_m, url) => url === '/api/v1/whoami'
    ? { status: 200, body: '{"principal":"x","method":"kerberos","groups":[],"permissions":{"object":"/","acl":"T","privileges":[],"scopes":null,"actions":{}}}' }
    : { status: 200, body: '{"total":1,"sessions":[{"userSessionId":"a","loginId":"b","createdAt":0,"lastAccessAt":0,"authMethod":"smoke-signal","refreshNeeded":false}]}' });
  const client = new AdminClient({ url: stub.url, auth });
  t.teardown(async () => { await client.close(); await stub.close(); });
  t.is((await t.throwsAsync(client.whoami(), { instanceOf: AdminApiError }))?.apiCode, 'bad_response');
  t.is((await t.throwsAsync(client.listSessions('bob'), { instanceOf: AdminApiError }))?.apiCode, 'bad_response');
});

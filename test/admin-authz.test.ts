// The admin plane's permission matrix: eight kinds of principal x every
// action, through the REST routes, the task route and /isam/pdadmin, over
// TLS (with a client certificate for one principal). For each request: the
// status the policy in helpers/admin-fixture.ts implies (worked out here by
// hand, not by lib/admin/acl.ts), the table and registry state afterwards
// (a refused request changes nothing), and the audit entry it left.
import test from 'ava';
import type { CreatedSession } from '../lib/index.js';
import { revokeToken } from '../lib/admin/authn-tokens.js';
import {
  basic, makePki, SERVER, startFixture, type CallOptions, type Fixture, type Reply,
} from './helpers/admin-fixture.js';

/**
 * S: s (terminate, refresh, invalidate, validate); L: l (listings); A: AUTH_ADMINISTRATOR (sign-out everyone,
 * and any termination by a wildcard pattern, which can match every user).
 */
type Family = 'S' | 'L' | 'A' | 'auth';

interface PrincipalKind {
  readonly label: string;
  /** Who the audit entry must name, and how it authenticated. */
  readonly initiator: string;
  readonly method: string;
  readonly grants: readonly Family[] | 'unauthenticated';
  options(f: Fixture): CallOptions;
}

let f: Fixture;
const tokens: Record<string, string> = {};

test.before(async () => {
  f = await startFixture({ pki: makePki() });
  tokens.full = f.token('sec_master', ['*']);
  tokens.list = f.token('sec_master', ['list']);
  tokens.revoked = f.token('sec_master', ['*']);
  revokeToken(f.tokensFile, /^gh_([0-9a-f]{16})_/.exec(tokens.revoked)![1]!);
});
test.after.always(async () => { await f?.close(); });

const PRINCIPALS: readonly PrincipalKind[] = [
  { label: 'admin password user', initiator: 'sec_master', method: 'password', grants: ['S', 'L', 'A', 'auth'], options: () => ({ auth: basic('sec_master') }) },
  { label: 'user in a granted group', initiator: 'alice', method: 'password', grants: ['S', 'L', 'auth'], options: () => ({ auth: basic('alice') }) },
  { label: 'user with l only', initiator: 'lena', method: 'password', grants: ['L', 'auth'], options: () => ({ auth: basic('lena') }) },
  { label: 'user with nothing', initiator: 'norbert', method: 'password', grants: ['auth'], options: () => ({ auth: basic('norbert') }) },
  { label: 'token with full scope', initiator: 'sec_master', method: 'token', grants: ['S', 'L', 'A', 'auth'], options: () => ({ auth: `Bearer ${tokens.full}` }) },
  { label: 'token with list scope', initiator: 'sec_master', method: 'token', grants: ['L', 'auth'], options: () => ({ auth: `Bearer ${tokens.list}` }) },
  { label: 'revoked token', initiator: 'token:', method: 'token', grants: 'unauthenticated', options: () => ({ auth: `Bearer ${tokens.revoked}` }) },
  { label: 'client certificate principal', initiator: 'backend-hr', method: 'certificate', grants: ['S', 'auth'], options: () => ({ auth: null, cert: 'client' }) },
];

interface Victim {
  s1: CreatedSession;
  s2: CreatedSession;
  epoch: number;
}

/** Two fresh sessions of `victim`, a valid account, and the epoch now. */
async function resetVictim(): Promise<Victim> {
  f.cache.terminateAllSessions('victim');
  await f.registry.update('victim', { accountValid: true });
  const s1 = f.cache.create({ loginId: 'victim', authMethod: 'forms' });
  const s2 = f.cache.create({ loginId: 'victim', authMethod: 'forms' });
  f.newAudit();
  return { s1, s2, epoch: f.cache.stats().epoch };
}

const check = (s: CreatedSession) => f.cache.validate(s.sessionId, { touch: false });

function assertUnchanged(t: any, v: Victim, what: string): void {
  for (const s of [v.s1, v.s2]) {
    const r = check(s);
    t.true(r.valid, `${what}: a victim session ended`);
    if (r.valid) t.false(r.session.refreshNeeded, `${what}: a victim session was marked for refresh`);
  }
  t.is(f.cache.stats().epoch, v.epoch, `${what}: the epoch moved`);
  t.true(f.registry.lookup('victim')!.accountValid, `${what}: the account was invalidated`);
}

interface Action {
  readonly name: string;
  /** The audit entry's kind. */
  readonly kind: string;
  readonly family: Family;
  run(v: Victim, o: CallOptions): Promise<Reply>;
  /** What an allowed run must have done (reply and state). */
  effect(t: any, v: Victim, r: Reply): void;
}

const task = (text: string) => (_v: Victim, o: CallOptions) => f.call('POST', `/api/v1/servers/${SERVER}/tasks`, { ...o, body: { task: text } });

const ended = (reason: string, which: 's1' | 's2' | 'both') => (t: any, v: Victim) => {
  if (which !== 's2') t.deepEqual(check(v.s1), { valid: false, reason });
  if (which !== 's1') t.deepEqual(check(v.s2), { valid: false, reason });
  if (which === 's1') t.true(check(v.s2).valid);
};

const ACTIONS: readonly Action[] = [
  {
    name: 'DELETE /sessions/{id}', kind: 'terminate_session', family: 'S',
    run: (v, o) => f.call('DELETE', `/api/v1/sessions/${v.s1.userSessionId}`, o),
    effect: (t, v, r) => { t.deepEqual(r.json, { ended: 1 }); ended('terminated', 's1')(t, v); },
  },
  {
    name: 'task terminate session', kind: 'terminate_session', family: 'S',
    run: (v, o) => task(`terminate session ${v.s1.userSessionId}`)(v, o),
    effect: (t, v, r) => { t.true(r.json.ok); t.is(r.json.messages[0].id, 'GHWAT0001I'); ended('terminated', 's1')(t, v); },
  },
  {
    name: 'DELETE /users/{id}/sessions', kind: 'terminate_all_sessions', family: 'S',
    run: (_v, o) => f.call('DELETE', '/api/v1/users/victim/sessions', o),
    effect: (t, v, r) => { t.deepEqual(r.json, { ended: 2 }); ended('all_sessions_terminated', 'both')(t, v); },
  },
  {
    name: 'task terminate all_sessions', kind: 'terminate_all_sessions', family: 'S',
    run: task('terminate all_sessions victim'),
    effect: (t, v, r) => { t.is(r.json.messages[0].id, 'GHWAT0002I'); ended('all_sessions_terminated', 'both')(t, v); },
  },
  {
    name: 'POST /users/{id}/refresh', kind: 'refresh_all_sessions', family: 'S',
    run: (_v, o) => f.call('POST', '/api/v1/users/victim/refresh', o),
    effect: (t, v, r) => {
      t.deepEqual(r.json, { refreshed: 2 });
      for (const s of [v.s1, v.s2]) { const c = check(s); t.true(c.valid && c.session.refreshNeeded); }
    },
  },
  {
    name: 'task refresh all_sessions', kind: 'refresh_all_sessions', family: 'S',
    run: task('refresh all_sessions victim'),
    effect: (t, v, r) => {
      t.is(r.json.messages[0].id, 'GHWAT0005I');
      for (const s of [v.s1, v.s2]) { const c = check(s); t.true(c.valid && c.session.refreshNeeded); }
    },
  },
  {
    name: 'GET /users/{id}/sessions', kind: 'list_sessions', family: 'L',
    run: (_v, o) => f.call('GET', '/api/v1/users/victim/sessions', o),
    effect: (t, v, r) => {
      t.is(r.json.total, 2);
      t.deepEqual(r.json.sessions.map((s: any) => s.userSessionId).sort(), [v.s1.userSessionId, v.s2.userSessionId].sort());
      t.false(r.text.includes(v.s1.sessionId), 'a listing never carries the cookie');
      assertUnchanged(t, v, 'listing');
    },
  },
  {
    name: 'GET /sessions?pattern', kind: 'list_sessions_pattern', family: 'L',
    run: (_v, o) => f.call('GET', '/api/v1/sessions?pattern=VIC*&max=10', o),
    effect: (t, v, r) => { t.is(r.json.total, 2); t.true(r.json.sessions.every((s: any) => s.loginId === 'victim')); assertUnchanged(t, v, 'listing'); },
  },
  {
    name: 'task list sessions', kind: 'list_sessions', family: 'L',
    run: task('list sessions victim'),
    effect: (t, v, r) => { t.is(r.json.results.length, 2); t.is(r.json.messages[0].id, 'GHWAT0007I'); assertUnchanged(t, v, 'listing'); },
  },
  {
    name: 'task session terminate all_sessions <one login ID> (dscadmin)', kind: 'dsc_terminate_all_sessions', family: 'S',
    run: task('session terminate all_sessions VICTIM default'),
    effect: (t, v, r) => { t.is(r.json.messages.at(-1).id, 'GHWAT0010I'); ended('all_sessions_terminated', 'both')(t, v); },
  },
  // Every wildcard form of a pattern termination, through the task route (the CLI's door) and
  // /isam/pdadmin (the C library's door): `*` alone signs everyone out, so `s` is not enough.
  ...['*', '**', '***', 'VICT*', '*i*', 'v*M', '"*"'].flatMap((pattern): Action[] => [
    {
      name: `task session terminate all_sessions ${pattern}`, kind: 'terminate_by_pattern', family: 'A',
      run: task(`session terminate all_sessions ${pattern} default`),
      effect: (t, v, r) => { t.is(r.json.messages.at(-1).id, 'GHWAT0010I'); ended('all_sessions_terminated', 'both')(t, v); },
    },
    {
      name: `pdadmin session terminate all_sessions ${pattern}`, kind: 'terminate_by_pattern', family: 'A',
      run: (_v, o) => f.call('POST', '/isam/pdadmin', { ...o, body: { commands: [`server task ${SERVER} session terminate all_sessions ${pattern} default`] } }),
      effect: (t, v, r) => { t.true(r.json.commands[0].ok, r.text); ended('all_sessions_terminated', 'both')(t, v); },
    },
  ]),
  {
    name: 'task session list (dscadmin)', kind: 'dsc_session_list', family: 'L',
    run: task('session list vic* 10 default'),
    effect: (t, v, r) => { t.is(r.json.results.length, 2); assertUnchanged(t, v, 'dsc listing'); },
  },
  {
    name: 'POST /sign-out-everyone', kind: 'signout_all_sessions', family: 'A',
    run: (_v, o) => f.call('POST', '/api/v1/sign-out-everyone', o),
    effect: (t, v, r) => { t.is(r.json.epoch, v.epoch + 1); ended('signed_out_everywhere', 'both')(t, v); },
  },
  {
    name: 'task signout all_sessions', kind: 'signout_all_sessions', family: 'A',
    run: task('signout all_sessions'),
    effect: (t, v, r) => { t.is(r.json.messages[0].id, 'GHWAT0006I'); t.is(f.cache.stats().epoch, v.epoch + 1); ended('signed_out_everywhere', 'both')(t, v); },
  },
  {
    name: 'POST /users/{id}/invalidate', kind: 'invalidate', family: 'S',
    run: (_v, o) => f.call('POST', '/api/v1/users/victim/invalidate', { ...o, body: { endSessions: true } }),
    effect: (t, v, r) => {
      t.deepEqual(r.json, { accountValid: false, ended: 2 });
      t.false(f.registry.lookup('victim')!.accountValid);
      ended('all_sessions_terminated', 'both')(t, v);
    },
  },
  {
    name: 'POST /users/{id}/validate', kind: 'validate', family: 'S',
    run: (_v, o) => f.call('POST', '/api/v1/users/victim/validate', o),
    effect: (t, v, r) => { t.deepEqual(r.json, { accountValid: true }); assertUnchanged(t, v, 'validate'); },
  },
  {
    name: 'task help', kind: 'help', family: 'auth',
    run: task('help'),
    effect: (t, v, r) => { t.true(r.json.results.includes('terminate all_sessions <user_id>')); assertUnchanged(t, v, 'help'); },
  },
  {
    name: 'GET /servers', kind: 'server_list', family: 'auth',
    run: (_v, o) => f.call('GET', '/api/v1/servers', o),
    effect: (t, v, r) => { t.deepEqual(r.json, { servers: [SERVER] }); assertUnchanged(t, v, 'server list'); },
  },
  {
    name: 'pdadmin server list', kind: 'server_list', family: 'auth',
    run: (_v, o) => f.call('POST', '/isam/pdadmin', { ...o, body: { commands: ['server list'] } }),
    effect: (t, v, r) => { t.is(r.json.result, SERVER); assertUnchanged(t, v, 'server list'); },
  },
  {
    name: 'pdadmin terminate all_sessions', kind: 'terminate_all_sessions', family: 'S',
    run: (_v, o) => f.call('POST', '/isam/pdadmin', { ...o, body: { commands: [`server task ${SERVER} terminate all_sessions victim`] } }),
    effect: (t, v, r) => { t.true(r.json.commands[0].ok); ended('all_sessions_terminated', 'both')(t, v); },
  },
];

for (const p of PRINCIPALS) {
  test.serial(`permission matrix: ${p.label}`, async (t) => {
    for (const a of ACTIONS) {
      const v = await resetVictim();
      const r = await a.run(v, p.options(f));
      const what = `${p.label} / ${a.name}`;
      const audit = f.newAudit();
      if (p.grants === 'unauthenticated') {
        t.is(r.status, 401, what);
        t.is(r.json.error.code, 'unauthenticated', what);
        t.is(r.headers['www-authenticate'], 'Basic realm="gatehouse-admin"', what);
        assertUnchanged(t, v, what);
        t.is(audit.length, 1, what);
        t.is(audit[0].outcome, 'denied', what);
        t.true(audit[0].initiator.startsWith(p.initiator), what);
        t.regex(audit[0].detail, /authentication failed: token revoked/, what);
        continue;
      }
      const allowed = p.grants.includes(a.family);
      if (!allowed) {
        t.is(r.status, 403, what);
        t.is(r.json.error.code, 'forbidden', what);
        t.regex(r.json.error.message, /^Authorization for the requested command has been denied\./, what);
        t.is(r.json.messages[0].id, 'GHWAA0067E', what);
        assertUnchanged(t, v, what);
        t.is(audit.length, 1, what);
        t.like(audit[0], { initiator: p.initiator, method: p.method, outcome: 'denied', kind: a.kind, server: SERVER, source: '127.0.0.1' }, what);
        continue;
      }
      t.is(r.status, 200, `${what}: ${r.text}`);
      a.effect(t, v, r);
      // Write-ahead: an action that changes state (and every /isam/pdadmin command) has a started line first.
      const writeAhead = a.family === 'S' || a.family === 'A' || a.name.startsWith('pdadmin');
      t.deepEqual(audit.map((e) => e.outcome), writeAhead ? ['started', 'allowed'] : ['allowed'], what);
      t.like(audit[0], { initiator: p.initiator, kind: a.kind }, what);
      audit.shift();
      if (writeAhead) audit.shift();
      audit.unshift(...f.allAudit().slice(-1));
      t.is(audit.length, 1, what);
      t.like(audit[0], { initiator: p.initiator, method: p.method, outcome: 'allowed', kind: a.kind, server: SERVER }, what);
      if (a.kind === 'terminate_session') {
        t.false(JSON.stringify(audit[0]).includes(v.s1.userSessionId), `${what}: the audit shows the whole user session ID`);
        t.true(audit[0].task.endsWith(`${v.s1.userSessionId.slice(0, 8)}…`), what);
      }
      if (a.family === 'S' && a.kind !== 'refresh_all_sessions' && a.kind !== 'validate') t.true(audit[0].ended >= 1, what);
      t.false(JSON.stringify(audit).includes(v.s1.sessionId), 'the audit never carries a cookie');
    }
  });
}

test.serial('a token narrows its principal: scope terminate allows terminate, not refresh or list', async (t) => {
  const token = f.token('sec_master', ['terminate']);
  const v = await resetVictim();
  const o: CallOptions = { auth: `Bearer ${token}` };
  t.is((await f.call('POST', '/api/v1/users/victim/refresh', o)).status, 403);
  t.is((await f.call('GET', '/api/v1/users/victim/sessions', o)).status, 403);
  t.is((await f.call('POST', '/api/v1/sign-out-everyone', o)).status, 403);
  t.is((await task('session terminate all_sessions vic* default')(v, o)).status, 403, 'a pattern termination needs the signout scope');
  assertUnchanged(t, v, 'narrowed token');
  t.deepEqual((await f.call('DELETE', '/api/v1/users/victim/sessions', o)).json, { ended: 2 });
  const audit = f.newAudit().filter((e) => e.outcome !== 'started');
  t.deepEqual(audit.map((e) => e.outcome), ['denied', 'denied', 'denied', 'denied', 'allowed']);
  t.true(audit.every((e) => e.method === 'token' && typeof e.tokenId === 'string' && !JSON.stringify(e).includes(token)));
});

test.serial('a scope never widens: a full-scope token of a user with nothing can do nothing', async (t) => {
  const token = f.token('norbert', ['*']);
  const v = await resetVictim();
  t.is((await f.call('DELETE', '/api/v1/users/victim/sessions', { auth: `Bearer ${token}` })).status, 403);
  assertUnchanged(t, v, 'token of norbert');
});

test.serial('whoami reports principal, method, groups and what is allowed', async (t) => {
  const me = await f.call('GET', '/api/v1/whoami', { auth: basic('alice') });
  t.is(me.status, 200);
  t.like(me.json, { principal: 'alice', method: 'password', groups: ['session-admins'] });
  t.like(me.json.permissions, { acl: 'Tsl', privileges: [], scopes: null });
  t.is(me.json.permissions.object, '/WebSEAL/adm1-default/');
  t.true(me.json.permissions.actions.terminate_all_sessions);
  t.false(me.json.permissions.actions.signout_all_sessions);
  const cert = await f.call('GET', '/api/v1/whoami', { auth: null, cert: 'client' });
  t.like(cert.json, { principal: 'backend-hr', method: 'certificate', permissions: { acl: 'Ts' } });
  const tok = await f.call('GET', '/api/v1/whoami', { auth: `Bearer ${tokens.list}` });
  t.deepEqual(tok.json.permissions.scopes, ['list']);
});

test.serial('an invalid account, an unmapped or a foreign client certificate, and no credentials are refused (401, audited)', async (t) => {
  f.newAudit();
  const cases: Array<[string, CallOptions, RegExp]> = [
    ['invalid account, right password', { auth: basic('mallory') }, /account_invalid/],
    ['wrong password', { auth: basic('sec_master', 'nope') }, /bad_password/],
    ['unknown user', { auth: basic('ghost', 'x') }, /unknown_user/],
    ['unmapped certificate', { auth: null, cert: 'unmapped' }, /not mapped/],
    ['certificate from another CA', { auth: null, cert: 'rogue' }, /not verified/],
    ['no credentials', { auth: null }, /no credentials/],
    ['malformed header', { auth: 'Basic !!!' }, /not base64/],
    ['unknown scheme', { auth: 'Digest abc' }, /unsupported/],
    ['malformed token', { auth: 'Bearer abc' }, /malformed/],
  ];
  for (const [what, o, detail] of cases) {
    const r = await f.call('GET', '/api/v1/whoami', o);
    t.is(r.status, 401, what);
    t.is(r.json.error.code, 'unauthenticated', what);
    t.is(r.json.error.message, 'Authentication failed.', what);
    const audit = f.newAudit();
    t.is(audit.length, 1, what);
    t.is(audit[0].outcome, 'denied', what);
    t.regex(audit[0].detail, detail, what);
    t.false(JSON.stringify(audit[0]).includes('nope'), 'never a password in the audit');
  }
});

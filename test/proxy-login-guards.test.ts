// proxy-login-guards.test.ts -- the proxy's login defences end to end, on a
// `gatehouse serve` with two cluster workers: the displacement prompt is
// answered once (a replayed pending login is refused on either worker, also
// after "cancel"), by POST only; failed logins are throttled per user and
// per client with counts every worker shares, for forms and basic
// authentication; and cross-site posts of the login and displacement forms
// are refused while non-browser clients still post the login form.
import test from 'ava';
import { SessionCache } from '../lib/index.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { eventually, launchGatehouse, type LaunchedGatehouse } from './helpers/proxy-launch.js';
import { childPids, procAvailable, requestWithPid, type PidReply, type PidRequest } from './helpers/proxy-procs.js';

const PW = 'guarded pass phrase';
const COOKIE = 'PD-H-SESSION-ID';
const PENDING = 'GH-PENDING-LOGIN';
let gh: LaunchedGatehouse;
let quick: LaunchedGatehouse;
let app: EchoBackend;
let cache: SessionCache;
let workers: number[] = [];

test.before(async () => {
  app = await startEcho({ name: 'app' });
  const users = [
    ...['dave1', 'dave2', 'dave3', 'dave4', 'dave5'].map((id) => ({ id, password: PW, groups: ['staff'], maxConcurrentWebSessions: 'displace' as const })),
    ...['tina', 'pat', 'bea', 'olga', 'sam'].map((id) => ({ id, password: PW, groups: ['staff'] })),
  ];
  const config = (extra: object) => ({
    session: { 'prompt-for-displacement': 'yes' },
    ba: { 'ba-auth': 'both' },
    'failed-login': { 'max-login-failures': 3, 'max-login-failures-per-client': 6, 'failure-window': 120, 'disable-time-interval': 120 },
    junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
    ...extra,
  });
  [gh, quick] = await Promise.all([
    launchGatehouse({ workers: 2, users, config: config({}) }),
    // A prompt that expires after one second, to see an expired value refused.
    launchGatehouse({ workers: 0, users, config: config({ session: { 'prompt-for-displacement': 'yes', 'displacement-prompt-timeout': 1 } }) }),
  ]);
  cache = SessionCache.open(gh.tableName);
  workers = await eventually('two workers', () => { const p = childPids(gh.pid); return p.length === 2 ? p : undefined; });
});

test.after.always(async () => {
  cache?.close();
  await Promise.all([gh?.stop(), quick?.stop()]);
  await app?.close();
});

const send = (path: string, init: PidRequest = {}, base = gh.http!): Promise<PidReply> => requestWithPid(base, path, workers, init);
const loginForm = (user: string, password = PW) => ({ username: user, password, 'login-form-type': 'pwd', url: '/app/' });

function cookie(r: PidReply, name: string): string | undefined {
  for (const c of r.headers['set-cookie'] ?? []) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m && m[1] !== '') return m[1];
  }
  return undefined;
}

/** Logs `user` in (a first session), then logs in again to get the displacement prompt's pending value. */
async function prompted(user: string, base = gh.http!): Promise<{ sid: string; pending: string }> {
  const first = await send('/pkmslogin.form', { form: loginForm(user) }, base);
  const sid = cookie(first, COOKIE);
  if (first.status !== 302 || sid === undefined) throw new Error(`login of ${user} answered ${first.status}`);
  const second = await send('/pkmslogin.form', { form: loginForm(user) }, base);
  const pending = cookie(second, PENDING);
  if (second.status !== 200 || pending === undefined) throw new Error(`second login of ${user} answered ${second.status} without a pending value`);
  return { sid, pending };
}

const answer = (pending: string, path = '/pkmsdisplace', headers: Record<string, string> = {}, base = gh.http!): Promise<PidReply> =>
  send(path, { form: {}, headers: { cookie: `${PENDING}=${pending}`, ...headers } }, base);

/** Sends until each worker has answered at least once (or `max` tries). */
async function onEveryWorker(sendOne: () => Promise<PidReply>, max = 40): Promise<PidReply[]> {
  const replies: PidReply[] = [];
  const want = procAvailable() ? workers : [];
  do replies.push(await sendOne());
  while (replies.length < max && !want.every((p) => replies.some((r) => r.pid === p)));
  return replies;
}

test.serial('a pending login answers once: replays of the same value are refused on every worker', async (t) => {
  const { sid, pending } = await prompted('dave1');
  const go = await answer(pending);
  t.is(go.status, 302);
  const newSid = cookie(go, COOKIE);
  t.truthy(newSid);
  t.false(cache.validate(sid, { touch: false }).valid, 'the first session was displaced');
  const replays = await onEveryWorker(() => answer(pending));
  if (procAvailable()) t.deepEqual([...new Set(replays.map((r) => r.pid))].sort((a, b) => a - b), workers);
  for (const r of replays) {
    t.is(r.status, 401);
    t.regex(r.body, /login request has expired/);
    t.is(cookie(r, COOKIE), undefined, 'no session from a replay');
  }
  t.true(cache.validate(newSid!, { touch: false }).valid, 'the session the one answer made lives on');
  t.is(cache.countSessions('dave1').count, 1);
});

test.serial('cancel uses up the pending login: "terminate" afterwards is refused', async (t) => {
  const { sid, pending } = await prompted('dave2');
  const cancelled = await answer(pending, '/pkmsdisplace?cancel');
  t.is(cancelled.status, 200);
  t.regex(cancelled.body, /cancelled/);
  const later = await onEveryWorker(() => answer(pending));
  for (const r of later) t.is(r.status, 401);
  t.true(cache.validate(sid, { touch: false }).valid, 'the existing session is unchanged');
  t.is(cache.countSessions('dave2').count, 1);
});

test.serial('GET /pkmsdisplace is 405 with Allow: POST and changes nothing', async (t) => {
  const { sid, pending } = await prompted('dave3');
  for (const path of ['/pkmsdisplace', '/pkmsdisplace?cancel']) {
    const r = await send(path, { headers: { cookie: `${PENDING}=${pending}` } });
    t.is(r.status, 405, path);
    t.is(r.headers['allow'], 'POST', path);
  }
  t.true(cache.validate(sid, { touch: false }).valid);
  t.is((await answer(pending)).status, 302, 'the value was not used up by the GETs');
});

test.serial('an expired pending login is refused', async (t) => {
  const { sid, pending } = await prompted('dave4', quick.http!);
  await new Promise((r) => setTimeout(r, 1500));
  const r = await answer(pending, '/pkmsdisplace', {}, quick.http!);
  t.is(r.status, 401);
  t.regex(r.body, /login request has expired/);
  const q = SessionCache.open(quick.tableName);
  try { t.true(q.validate(sid, { touch: false }).valid); } finally { q.close(); }
});

test.serial('cross-site posts of the login form are refused; same-origin and header-less posts log in', async (t) => {
  const self = new URL(gh.http!).origin;
  const cases: Array<[string, Record<string, string>, number]> = [
    ['an Origin of another site', { origin: 'https://evil.example' }, 403],
    ['Origin: null', { origin: 'null' }, 403],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, 403],
    ['the same origin', { origin: self, 'sec-fetch-site': 'same-origin' }, 302],
    ['no Origin (curl)', {}, 302],
  ];
  for (const [name, headers, status] of cases) {
    const r = await send('/pkmslogin.form', { form: loginForm('olga'), headers });
    t.is(r.status, status, name);
    if (status === 403) {
      t.is(cookie(r, COOKIE), undefined, name);
      t.regex(r.body, /another (site|origin)/, name);
    }
  }
});

test.serial('a cross-site answer to the displacement prompt is refused and does not use up the value', async (t) => {
  const { sid, pending } = await prompted('dave5');
  const cross = await answer(pending, '/pkmsdisplace', { origin: 'https://evil.example' });
  t.is(cross.status, 403);
  t.true(cache.validate(sid, { touch: false }).valid);
  const fetchSite = await answer(pending, '/pkmsdisplace?cancel', { 'sec-fetch-site': 'cross-site' });
  t.is(fetchSite.status, 403);
  t.is((await answer(pending, '/pkmsdisplace', { origin: new URL(gh.http!).origin })).status, 302);
});

test.serial('failed logins of one user from one client: then 429 with Retry-After, even for the right password, on every worker', async (t) => {
  // Each from its own client address, so the per-client limit (6) stays out of the way.
  for (const [user, localAddress] of [['tina', '127.0.0.4'], ['nobody-here', '127.0.0.5']] as const) {
    for (let i = 0; i < 3; i++) t.is((await send('/pkmslogin.form', { localAddress, form: loginForm(user, 'wrong') })).status, 401, `${user} failure ${i + 1}`);
    // Counts per worker would let the right password through on a worker that saw fewer than 3 failures.
    const refused = await onEveryWorker(() => send('/pkmslogin.form', { localAddress, form: loginForm(user) }));
    for (const r of refused) {
      t.is(r.status, 429, user);
      const after = Number(r.headers['retry-after']);
      t.true(after > 0 && after <= 120, `Retry-After ${String(r.headers['retry-after'])}`);
      t.regex(r.body, /Too many login attempts/);
      t.is(cookie(r, COOKIE), undefined);
    }
  }
  t.is(cache.countSessions('tina').count, 0);
  t.is((await send('/pkmslogin.form', { localAddress: '127.0.0.4', form: loginForm('sam') })).status, 302, 'another user from the same client logs in');
});

test.serial('the per-client limit holds across user names', async (t) => {
  const from = { localAddress: '127.0.0.2' };
  for (let i = 1; i <= 6; i++) t.is((await send('/pkmslogin.form', { ...from, form: loginForm(`guess${i}`, 'wrong') })).status, 401);
  const replies = await onEveryWorker(() => send('/pkmslogin.form', { ...from, form: loginForm('pat') }));
  for (const r of replies) t.is(r.status, 429);
  t.is((await send('/pkmslogin.form', { form: loginForm('pat') })).status, 302, 'the same user from another client logs in');
});

test.serial('basic authentication counts failures too and answers 429 with Retry-After', async (t) => {
  const basic = (password: string) => ({ localAddress: '127.0.0.3', headers: { authorization: `Basic ${Buffer.from(`bea:${password}`).toString('base64')}` } });
  for (let i = 0; i < 3; i++) t.is((await send('/app/', basic(`wrong${i}`))).status, 401);
  const r = await send('/app/', basic(PW));
  t.is(r.status, 429);
  t.true(Number(r.headers['retry-after']) > 0);
  t.is(r.headers['www-authenticate'], undefined);
  // The forms login from that client shares the count.
  t.is((await send('/pkmslogin.form', { localAddress: '127.0.0.3', form: loginForm('bea') })).status, 429);
});

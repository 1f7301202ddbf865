// proxy-login-guards.test.ts -- the proxy's login defences end to end, on a
// `gatehouse serve` with two cluster workers: the displacement prompt is
// answered once (a replayed pending login is refused on either worker, also
// after "cancel"), by POST only.
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
  ];
  const config = (extra: object) => ({
    session: { 'prompt-for-displacement': 'yes' },
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

// The terminate-vs-login race with real processes: hosts A and B (separate
// state, tables and processes; B with two workers) on one real redis-server,
// and host C whose admin plane sends `terminate all_sessions bob` while
// clients keep logging bob in on A and B. Every login is classed by the
// test's own clock: completed before the terminate call was issued, started
// after it returned, or overlapping it. Once every host process has applied
// the termination's announcement (its /metrics counter moved), no session of
// the first class is served on any host, every session of the second class
// is served on both, and the hosts agree on every overlapping one.
import test from 'ava';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { Browser, startGatehouse, type RunningGatehouse } from './helpers/gatehouse.js';
import { startEcho, type EchoBackend } from './helpers/backends.js';
import { startRedis, type RedisServer } from './helpers/redis.js';

const PW = 'correct horse battery';
const ADMIN_PW = 'master-pw-1';
const ROUNDS = 30;
const CLIENTS_PER_HOST = 2;
const AUTH = `Basic ${Buffer.from(`sec_master:${ADMIN_PW}`).toString('base64')}`;

interface Login {
  readonly host: number;
  readonly started: number;
  readonly completed: number;
  readonly status: number;
  readonly browser: Browser;
}

type Verdict = 'served' | `refused:${string}` | `other:${number}`;

let redis: RedisServer;
let app: EchoBackend;
const hosts: RunningGatehouse[] = [];
/** Proxy processes per host that apply announcements (the primary with workers 0, else each worker). */
const PROCESSES = [1, 2];

test.before(async () => {
  redis = await startRedis();
  app = await startEcho({ name: 'app' });
  const users = [{ id: 'sec_master', password: ADMIN_PW, groups: ['iv-admin'] }, { id: 'bob', password: PW, groups: ['staff'] }];
  for (const [name, workers] of [['rA', 0], ['rB', 2], ['rC', 0]] as const) {
    hosts.push(await startGatehouse({
      users,
      workers,
      config: {
        server: { 'pdadmin-server-name': `default-webseald-${name}` },
        session: { 'dsess-enabled': 'yes' },
        // Generous deadlines: a slow command on a loaded machine is not what this test is about.
        redis: { servers: [redis.url], 'key-prefix': `race${process.pid}`, 'command-timeout-ms': 5000, 'connect-timeout-ms': 5000 },
        junctions: { '/app': { servers: [app.url], c: ['iv_user'] } },
      },
    }));
  }
});

test.after.always(async () => {
  for (const h of hosts) await h.stop();
  await app?.close();
  await redis?.stop();
});

/** What host i answers for the browser's session. */
async function verdict(b: Browser, i: number): Promise<Verdict> {
  const on = new Browser(hosts[i]!.http);
  for (const [k, v] of b.cookies) on.cookies.set(k, v);
  try {
    const r = await on.fetch('/app/x');
    if (r.status === 200 && r.body.includes('"server":"app"')) return 'served';
    if (r.status === 200 && r.body.includes('pkmslogin.form')) return `refused:${/data-reason="([^"]*)"/.exec(r.body)?.[1] ?? ''}`;
    return `other:${r.status}`;
  } finally {
    await on.close();
  }
}

/** Announcements of user changes applied so far by host i's proxy processes (summed over its workers). */
async function applied(i: number): Promise<number> {
  const r = await request(`${hosts[i]!.admin}/metrics`, { headers: { authorization: AUTH } });
  const text = await r.body.text();
  const m = /^gatehouse_dsc_invalidations_total\{kind="user"\} (\d+)/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

async function until(what: () => Promise<boolean>, ms: number, why: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`${why}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One client: logs bob in on host i, a fresh browser each time, until a login started after the terminate returned. */
async function client(i: number, logins: Login[], returned: () => number | undefined): Promise<void> {
  for (;;) {
    const browser = new Browser(hosts[i]!.http);
    const started = performance.now();
    const r = await browser.login('bob', PW, '/app/');
    logins.push({ host: i, started, completed: performance.now(), status: r.status, browser });
    const t = returned();
    if (t !== undefined && started > t) return;
  }
}

test('terminate all_sessions through C while bob logs in on A and B: nothing completed before it survives, nothing started after it is ended', async (t) => {
  t.timeout(600_000);
  const totals = { before: 0, overlapping: 0, after: 0, servedInFlight: 0, survivedBefore: 0, endedAfter: 0, disagreed: 0, failedLogins: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const logins: Login[] = [];
    let returned: number | undefined;
    const clients = [0, 1].flatMap((i) => Array.from({ length: CLIENTS_PER_HOST }, () => client(i, logins, () => returned)));
    // Let each host finish a login first, so every round has sessions born before the termination.
    await until(async () => [0, 1].every((i) => logins.some((l) => l.host === i)), 60_000, 'a first login on each host');
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    const counted = await Promise.all([0, 1].map(applied));
    const issued = performance.now();
    const term = await request(`${hosts[2]!.admin}/api/v1/users/bob/sessions`, { method: 'DELETE', headers: { authorization: AUTH } });
    const termBody = await term.body.text();
    returned = performance.now();
    t.is(term.statusCode, 200, termBody);
    const before = logins.filter((l) => l.status === 302 && l.completed < issued);
    // Right after the call returned, the announcement may still be on its way to a host (the
    // documented bound is one pub/sub delivery): counted, not failed.
    for (const l of before) for (const i of [0, 1]) if ((await verdict(l.browser, i)) === 'served') totals.servedInFlight++;
    await Promise.all(clients);

    for (const l of logins) if (l.status !== 302) totals.failedLogins++;
    const ok = logins.filter((l) => l.status === 302);
    const after = ok.filter((l) => l.started > returned!);
    const overlapping = ok.filter((l) => !before.includes(l) && !after.includes(l));
    totals.before += before.length; totals.after += after.length; totals.overlapping += overlapping.length;

    // Once every proxy process of A and B has applied it, the guarantee holds without exception.
    await until(async () => (await Promise.all([0, 1].map(applied))).every((n, i) => n >= counted[i]! + PROCESSES[i]!), 60_000, 'the announcement applied on A and B');
    for (const l of before) {
      for (const i of [0, 1]) {
        const v = await verdict(l.browser, i);
        if (v !== 'refused:all_sessions_terminated') { totals.survivedBefore++; t.log(`round ${round}: a session born on ${'AB'[l.host]} before the termination got ${v} on ${'AB'[i]}`); }
      }
    }
    for (const l of after) {
      for (const i of [0, 1]) {
        const v = await verdict(l.browser, i);
        if (v !== 'served') { totals.endedAfter++; t.log(`round ${round}: a session born on ${'AB'[l.host]} after the termination got ${v} on ${'AB'[i]}`); }
      }
    }
    // A login that overlapped the call may land on either side of it, but every host must say the same.
    for (const l of overlapping) {
      const [va, vb] = [await verdict(l.browser, 0), await verdict(l.browser, 1)];
      if (va !== vb || !(va === 'served' || va === 'refused:all_sessions_terminated')) { totals.disagreed++; t.log(`round ${round}: an overlapping session got ${va} on A, ${vb} on B`); }
    }
    // The sessions of this round that were ended stay ended (no resurrection through adoption).
    for (const l of before) if ((await verdict(l.browser, l.host)) !== 'refused:all_sessions_terminated') totals.survivedBefore++;
    await Promise.all(logins.map((l) => l.browser.close()));
  }
  t.log(`${ROUNDS} rounds, ${totals.before + totals.overlapping + totals.after} logins: ${totals.before} completed before the terminate call was issued, `
    + `${totals.overlapping} overlapped it, ${totals.after} started after it returned`);
  t.log(`born before and served afterwards: ${totals.survivedBefore}; born after and refused: ${totals.endedAfter}; `
    + `hosts disagreeing on an overlapping login: ${totals.disagreed}; served while the announcement was in flight: ${totals.servedInFlight}; failed logins: ${totals.failedLogins}`);
  t.is(totals.failedLogins, 0);
  t.true(totals.before >= ROUNDS && totals.after >= ROUNDS, 'every round has logins on both sides of the termination');
  t.is(totals.survivedBefore, 0);
  t.is(totals.endedAfter, 0);
  t.is(totals.disagreed, 0);
});

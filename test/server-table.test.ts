// server-table.test.ts -- the choice a starting `gatehouse serve` makes
// about the table its previous run left (lib/server/server-table.ts), case
// by case, without a server: writers killed at random instants are reaped,
// checked and kept; a table that fails the check, one of another layout
// version, a corrupt one, one this state folder has no record of, or one
// made again since, is replaced with a log line saying why; a process of the
// crashed run that still maps the table refuses the start.
import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../lib/config/load.js';
import type { Config } from '../lib/config/types.js';
import { SessionCache } from '../lib/index.js';
import type { Logger } from '../lib/logger-type.js';
import { RunRecord } from '../lib/server/run-record.js';
import { openServerTable, type ServerTable } from '../lib/server/server-table.js';
import { uniqueName } from './helpers/tables.js';

const WRITER = fileURLToPath(new URL('./helpers/crash-writer.js', import.meta.url));

interface Setup { config: Config; name: string; dir: string; lines: Array<{ level: string; msg: string }>; logger: Logger }

function setup(t: { teardown(fn: () => void): void }, session: Record<string, unknown> = {}): Setup {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-keep-'));
  const name = uniqueName('keep');
  t.teardown(() => { SessionCache.unlink(name); fs.rmSync(dir, { recursive: true, force: true }); });
  const config = parseConfig({
    server: { 'state-dir': dir, 'table-name': name },
    registry: { file: 'users.yaml' },
    junctions: { '/app': { servers: ['http://127.0.0.1:9'] } },
    session: { 'max-entries': 2048, ...session },
  }, 'test', dir);
  const lines: Setup['lines'] = [];
  const at = (level: string) => (_f: Record<string, unknown>, msg?: string) => { lines.push({ level, msg: msg ?? '' }); };
  return { config, name, dir, lines, logger: { error: at('error'), warn: at('warn'), info: at('info') } };
}

/** A start: the table, with this run's record begun as serve does. */
async function start(s: Setup, crashed: boolean, holdersWaitMs?: number): Promise<ServerTable & { record: RunRecord }> {
  const table = await openServerTable(s.config, s.logger, { crashed, ...(holdersWaitMs !== undefined ? { holdersWaitMs } : {}) });
  return { ...table, record: RunRecord.begin(s.config.server['state-dir'], s.name, table.kills) };
}

const keptLine = (s: Setup) => s.lines.filter((l) => l.msg.startsWith('session table ')).at(-1);

async function writer(name: string): Promise<ChildProcess> {
  const child = fork(WRITER, [name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(child, 'message');
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('writers killed at random instants, run after run: each start reaps, checks and keeps the table', async (t) => {
  t.timeout(120_000);
  const s = setup(t);
  let run = await start(s, false);
  t.true(run.created);
  const survivors = Array.from({ length: 10 }, (_, i) => run.cache.create({ loginId: `survivor${i}`, lifetimeSeconds: 0, inactivitySeconds: 0 }).sessionId);
  for (let round = 0; round < 5; round++) {
    // Three "workers" of this run write to the table; the whole run is then killed at once.
    const workers = await Promise.all([0, 1, 2].map(() => writer(s.name)));
    for (const w of workers) run.record.workerStarted(w.pid!);
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80)));
    await Promise.all(workers.map(kill));
    run.cache.close();
    const before = run.kills;
    run = await start(s, true);
    t.false(run.created, keptLine(s)?.msg);
    t.regex(keptLine(s)!.msg, /^session table kept: \d+ live sessions \(after an abrupt end of pid \d+: consistency check passed\)$/);
    // One over-count allowed per process that may have died mid-call, carried into the next run.
    t.is(run.kills, before + 1 + 3);
    for (const sid of survivors) t.true(run.cache.validate(sid).valid);
  }
  t.is(run.cache.check(run.kills), null);
  run.cache.close();
});

test('a crashed table that fails the consistency check starts empty, and the warning names the finding', async (t) => {
  const s = setup(t);
  const run = await start(s, false);
  const sid = run.cache.create({ loginId: 'alice' }).sessionId;
  run.cache.close();
  // An under-count, which no kill can cause (docs/table.md §5): alice's record says 0 sessions.
  const fd = fs.openSync(`/dev/shm/${s.name}`, 'r+');
  const header = Buffer.alloc(128);
  fs.readSync(fd, header, 0, 128, 0);
  const usersOff = Number(header.readBigUInt64LE(64));
  const records = header.readUInt32LE(32);
  const rec = Buffer.alloc(32);
  let found = 0;
  for (let i = 0; i < records; i++) {
    fs.readSync(fd, rec, 0, 32, usersOff + 32 * i);
    if (rec.readBigUInt64LE(0) === 0n) continue;
    rec.writeBigUInt64LE(rec.readBigUInt64LE(8) & ~(0xfffffn << 4n), 8);
    fs.writeSync(fd, rec, 8, 8, usersOff + 32 * i + 8);
    found++;
  }
  fs.closeSync(fd);
  t.is(found, 1);
  const next = await start(s, true);
  t.true(next.created);
  t.is(keptLine(s)?.level, 'warn');
  t.regex(keptLine(s)!.msg, /^session table kept: no — the consistency check after an abrupt end of pid \d+ failed \(user record \d+ counts 0 sessions but holds 1 \(under-count\)\); 1 live sessions dropped$/);
  t.false(next.cache.validate(sid).valid);
  t.is(next.cache.check(), null);
  next.cache.close();
});

test('a process of the crashed run that still maps the table refuses the start, naming it; once it is gone the table is kept', async (t) => {
  t.timeout(60_000);
  const s = setup(t);
  const run = await start(s, false);
  const sid = run.cache.create({ loginId: 'alice', lifetimeSeconds: 0, inactivitySeconds: 0 }).sessionId;
  const stuck = await writer(s.name);
  t.teardown(() => { stuck.kill('SIGKILL'); });
  run.record.workerStarted(stuck.pid!);
  run.cache.close();
  await t.throwsAsync(start(s, true, 300), { message: new RegExp(`processes ${stuck.pid} of the run that ended abruptly \\(pid ${process.pid}\\) still have it open`) });
  await kill(stuck);
  const next = await start(s, true, 300);
  t.false(next.created);
  t.true(next.cache.validate(sid).valid);
  next.cache.close();
});

/** A table some earlier run of this state folder made and stopped cleanly, holding one session. */
async function stoppedRun(s: Setup): Promise<string> {
  const run = await start(s, false);
  const sid = run.cache.create({ loginId: 'alice' }).sessionId;
  run.cache.close();
  run.record.stopped();
  return sid;
}

function editHeader(name: string, offset: number, value: number): void {
  const fd = fs.openSync(`/dev/shm/${name}`, 'r+');
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  fs.writeSync(fd, b, 0, 4, offset);
  fs.closeSync(fd);
}

const replaced: Array<[string, (s: Setup) => void, RegExp]> = [
  ['a segment of another layout version', (s) => editHeader(s.name, 8, 2), /^session table kept: no — another layout version \(.*\); its sessions are dropped$/],
  ['a corrupt segment (geometry checksum)', (s) => editHeader(s.name, 16, 4096), /^session table kept: no — the segment is corrupt \(.*\); its sessions are dropped$/],
  ['a segment made again since the last run', (s) => {
    SessionCache.unlink(s.name);
    SessionCache.create(s.name, { capacity: 2048, credentialBytes: 1024 }).close();
  }, /^session table kept: no — the segment was made again since the last run; 0 live sessions dropped$/],
  ['a segment this state folder has no record of', (s) => fs.rmSync(RunRecord.fileOf(s.dir, s.name)),
    /^session table kept: no — no record of it in .*\.run\.json \(made by another server, or by a Gatehouse that kept no run record\); 1 live sessions dropped$/],
  ['a changed credential-bytes', (s) => { s.config = { ...s.config, session: { ...s.config.session, 'credential-bytes': 2048 } }; },
    /^session table kept: no — credential bytes 1024 -> 2048 in config \(session\.credential-bytes\); 1 live sessions dropped$/],
];
for (const [what, change, message] of replaced) {
  test(`${what} is not kept: a new table, and a warning that says why`, async (t) => {
    const s = setup(t);
    const sid = await stoppedRun(s);
    change(s);
    const next = await start(s, false);
    t.true(next.created);
    t.is(keptLine(s)?.level, 'warn');
    t.regex(keptLine(s)!.msg, message);
    t.false(next.cache.validate(sid).valid);
    t.truthy(next.cache.validate(next.cache.create({ loginId: 'bob' }).sessionId).valid);
    next.cache.close();
  });
}

// The addon is loaded once per worker thread: every thread maps the same
// segment, sessions cross threads, and a worker that exits without closing
// its handle has it closed by the environment cleanup (no crash, no leak of
// the mapping that others still use).
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { SessionCache } from '../lib/index.js';
import { uniqueName } from './helpers/tables.js';

const LIB = new URL('../lib/index.js', import.meta.url).href;

function runWorker(source: string, data: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(`import('${LIB}').then(async (gh) => { const { parentPort, workerData } = await import('node:worker_threads'); ${source} });`,
      { eval: true, workerData: data });
    let result: unknown;
    w.on('message', (m) => { result = m; }).on('error', reject).on('exit', (code) => code === 0 ? resolve(result) : reject(new Error(`exit ${code}`)));
  });
}

test('sessions created in worker threads validate in the main thread and vice versa', async (t) => {
  const table = uniqueName('wt');
  const cache = SessionCache.create(table, { capacity: 256 });
  const mainSession = cache.create({ loginId: 'main' });
  const results = await Promise.all([0, 1, 2].map((i) => runWorker(`
    const c = gh.SessionCache.open(workerData.table);
    const s = c.create({ loginId: 'worker' + workerData.i });
    parentPort.postMessage({ sid: s.sessionId, sawMain: c.validate(workerData.main).valid });
    /* deliberately not closed: environment cleanup must do it */`, { table, i, main: mainSession.sessionId })));
  for (const r of results as Array<{ sid: string; sawMain: boolean }>) {
    t.true(r.sawMain);
    t.true(cache.validate(r.sid).valid);
  }
  t.is(cache.terminateAllSessions('worker1'), 1);
  t.is(cache.stats().live, 3);
  cache.close();
  SessionCache.unlink(table);
});

// tables.ts -- unique table names per test, removed afterwards.
import { SessionCache, type TableOptions } from '../../lib/index.js';

let n = 0;
export function uniqueName(what: string): string {
  return `gh-ava-${what}-${process.pid}-${Date.now().toString(36)}-${n++}`;
}

export function withTable<T>(options: TableOptions, fn: (cache: SessionCache, name: string) => T): T {
  const name = uniqueName('t');
  const cache = SessionCache.create(name, options);
  try {
    return fn(cache, name);
  } finally {
    cache.close();
    SessionCache.unlink(name);
  }
}

// suggest.ts -- "did you mean ...?" for an unknown config key: the nearest
// key (by edit distance) among those the schema allows at that level.
import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

type Schema = z.core.$ZodType;

/** The object schemas a value at this level may be (wrappers and unions unwrapped). */
function objectsOf(s: Schema): Array<Record<string, Schema>> {
  const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object': return [def['shape'] as Record<string, Schema>];
    case 'default': case 'prefault': case 'optional': case 'nullable': case 'readonly': case 'catch':
      return objectsOf(def['innerType'] as Schema);
    case 'pipe': return [...objectsOf(def['in'] as Schema), ...objectsOf(def['out'] as Schema)];
    case 'union': return (def['options'] as Schema[]).flatMap(objectsOf);
    default: return [];
  }
}

/** The schema of the value at `path` (records and arrays step into their values). */
function schemaAt(s: Schema, path: readonly PropertyKey[]): Schema[] {
  if (path.length === 0) return [s];
  const [head, ...rest] = path;
  const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'default': case 'prefault': case 'optional': case 'nullable': case 'readonly': case 'catch':
      return schemaAt(def['innerType'] as Schema, path);
    case 'pipe': return [...schemaAt(def['in'] as Schema, path), ...schemaAt(def['out'] as Schema, path)];
    case 'union': return (def['options'] as Schema[]).flatMap((o) => schemaAt(o, path));
    case 'record': return schemaAt(def['valueType'] as Schema, rest);
    case 'array': return typeof head === 'number' ? schemaAt(def['element'] as Schema, rest) : [];
    case 'object': {
      const child = (def['shape'] as Record<string, Schema>)[String(head)];
      return child === undefined ? [] : schemaAt(child, rest);
    }
    default: return [];
  }
}

/** The keys an object at `path` may have, per the schema. */
export function keysAllowedAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  return [...new Set(schemaAt(schema, path).flatMap(objectsOf).flatMap((shape) => Object.keys(shape)))];
}

/** The nearest allowed key, if it is near enough to be a typo (at most a third of the key's letters differ, at least 2). */
export function nearestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return best;
}

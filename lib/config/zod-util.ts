// zod-util.ts -- what the config file and the user registry file share in
// how they are read: yes/no booleans as webseald.conf spells them, and
// problems reported by key path (`junctions["/app"].servers[0]: ...`).
import { z } from 'zod';

/** yes/no, true/false, on/off. */
export const yesNo = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (s === 'yes' || s === 'true' || s === 'on') return true;
  if (s === 'no' || s === 'false' || s === 'off') return false;
  return v;
}, z.boolean({ error: 'expected yes or no' }));

/** `users.bob.groups[0]` or `junctions["/app"].servers` from a zod issue path. */
export function keyPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top level)';
}

/** One line per problem, naming its key. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
  if (missing) return `${where}: is required (${missing[1]})`;
  return `${where}: ${issue.message}`;
}

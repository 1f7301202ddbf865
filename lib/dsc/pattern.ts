// pattern.ts -- login ID patterns as the table matches them (gh_list_pattern):
// `*` matches any run of characters, letters compare ASCII case-insensitively.
import type { SessionStore } from './store.js';

export function loginPattern(pattern: string): (loginId: string) => boolean {
  const body = asciiLower(pattern).split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
  const re = new RegExp(`^${body}$`);
  return (loginId) => re.test(asciiLower(loginId));
}

/** The login IDs of the store's users that match, sorted. */
export async function matchingUsers(store: SessionStore, pattern: string): Promise<string[]> {
  const matches = loginPattern(pattern);
  const out: string[] = [];
  for await (const u of store.users()) if (matches(u)) out.push(u);
  return out.sort();
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32));
}

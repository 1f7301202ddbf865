// acl-policy.ts -- reads the admin policy file (YAML) and compiles it for
// this server's protected object. The file is modelled on pdadmin: ACLs are
// created with entries (`acl modify <acl> set user sec_master Tsl`), attached
// to objects (`acl attach /WebSEAL/host1-default/ <acl>`), and inherited
// down the object space from the nearest attachment. Example:
//
//   acls:
//     session-admins:
//       entries:
//         - { user: sec_master, permissions: Tsl }
//         - { group: helpdesk, permissions: Tl }
//         - { any-other: true, permissions: T }
//   attach:
//     /WebSEAL/host1-default/: session-admins
//   privileges:
//     AUTH_ADMINISTRATOR: { users: [sec_master], groups: [security-officers] }
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidArgumentError } from '../session/errors.js';
import { PERMISSION_LETTERS, SYSTEM_PRIVILEGES, type AclEntry, type AdminPolicy, type SystemPrivilege } from './acl.js';

const name = z.string().min(1, 'must not be empty').max(256, 'is longer than 256 characters');
const permissions = z.string().regex(new RegExp(`^[${PERMISSION_LETTERS}]*$`),
  `permission letters are from ${PERMISSION_LETTERS} (T traverse, s server administration, l list, ...)`);
const entry = z.union([
  z.strictObject({ user: name, permissions }),
  z.strictObject({ group: name, permissions }),
  z.strictObject({ 'any-other': z.literal(true), permissions }),
], { error: 'an entry is {user: <name>, permissions: <letters>}, {group: <name>, permissions: <letters>} or {any-other: true, permissions: <letters>}' });
const objectName = z.string().regex(/^\/[^\s]*$/, 'protected objects are paths such as /WebSEAL/host1-default/');

const policySchema = z.strictObject({
  acls: z.record(name, z.strictObject({ description: z.string().optional(), entries: z.array(entry) })).default({}),
  attach: z.record(objectName, name).default({}),
  privileges: z.partialRecord(z.enum(SYSTEM_PRIVILEGES), z.strictObject({
    users: z.array(name).default([]),
    groups: z.array(name).default([]),
  })).default({}),
});

/** `/WebSEAL/host1-default/` -> `/WebSEAL/host1-default` (root stays `/`). */
export function normalizeObject(object: string): string {
  const trimmed = object.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The protected object of a server: `/WebSEAL/<[server] server-name>/`. */
export function protectedObject(sessionServerName: string): string {
  return `/WebSEAL/${sessionServerName}/`;
}

/**
 * Parses policy YAML and compiles it for `object`. Throws
 * InvalidArgumentError naming the key and the problem.
 */
export function parsePolicy(text: string, object: string, source = 'policy'): AdminPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new InvalidArgumentError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      // A bad record key: zod's own message is generic; the key schema's says what is wrong.
      const inner = i.code === 'invalid_key' ? i.issues[0]?.message : undefined;
      return `${i.path.length ? i.path.join('.') : '(top level)'}: ${inner ?? i.message}`;
    });
    throw new InvalidArgumentError(`${source}: ${problems.join('; ')}`);
  }
  const p = parsed.data;
  const acls = new Map<string, AclEntry[]>();
  for (const [aclName, acl] of Object.entries(p.acls)) {
    acls.set(aclName, acl.entries.map((e): AclEntry => {
      if ('user' in e) return { type: 'user', name: e.user, permissions: e.permissions };
      if ('group' in e) return { type: 'group', name: e.group, permissions: e.permissions };
      return { type: 'any-other', permissions: e.permissions };
    }));
  }
  const attached = new Map<string, readonly AclEntry[]>();
  for (const [obj, aclName] of Object.entries(p.attach)) {
    const acl = acls.get(aclName);
    if (acl === undefined) throw new InvalidArgumentError(`${source}: attach.${obj}: no ACL named '${aclName}' under acls`);
    attached.set(normalizeObject(obj), acl);
  }
  // Ancestors from the root down to the object: / , /WebSEAL , /WebSEAL/host1-default
  const target = normalizeObject(object);
  const chain = ['/'];
  for (const part of target.split('/').filter((s) => s.length > 0)) chain.push(`${chain.length === 1 ? '' : chain[chain.length - 1]}/${part}`);
  let inherited: readonly AclEntry[] | undefined;
  const traverse: Array<readonly AclEntry[]> = [];
  for (const obj of chain) {
    const own = attached.get(obj);
    if (own !== undefined) inherited = own;
    // Reaching the object means traversing every ancestor that an ACL (own or inherited) governs.
    if (obj !== target && inherited !== undefined) traverse.push(inherited);
  }
  const privileges = {} as Record<SystemPrivilege, { users: string[]; groups: string[] }>;
  for (const priv of SYSTEM_PRIVILEGES) privileges[priv] = p.privileges[priv] ?? { users: [], groups: [] };
  return Object.freeze({ object, acl: inherited, traverse, privileges, source });
}

/**
 * Reads the policy file. A missing file (or no path) gives undefined: the
 * caller uses DEFAULT_POLICY. Any other problem throws with the file named.
 */
export function loadPolicy(file: string | undefined, object: string): AdminPolicy | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`policy file ${file}: ${(err as Error).message}`);
  }
  return parsePolicy(text, object, `policy file ${file}`);
}

/**
 * The policy in force, re-read when its file changes (checked with a stat
 * per request: cheap next to a task). A file that turns bad keeps the last
 * good policy in force and is reported once per change.
 */
export class PolicySource {
  readonly #file: string | undefined;
  readonly #object: string;
  readonly #onError: (err: Error) => void;
  #stamp = '';
  #policy: AdminPolicy | undefined;

  /** Throws if the file exists but is not a valid policy. */
  constructor(file: string | undefined, object: string, onError: (err: Error) => void = () => {}) {
    this.#file = file;
    this.#object = object;
    this.#onError = onError;
    this.#stamp = this.#statStamp();
    this.#policy = loadPolicy(file, object);
  }

  /** The file's policy, or undefined when there is no file (use DEFAULT_POLICY). */
  current(): AdminPolicy | undefined {
    const stamp = this.#statStamp();
    if (stamp !== this.#stamp) {
      this.#stamp = stamp;
      try {
        this.#policy = loadPolicy(this.#file, this.#object);
      } catch (err) {
        this.#onError(err as Error);
      }
    }
    return this.#policy;
  }

  #statStamp(): string {
    if (this.#file === undefined) return 'none';
    try {
      const st = fs.statSync(this.#file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'absent';
    }
  }
}

// acl.ts -- who may do what: the authorization decision of the admin plane,
// as a pure function of (principal, action, policy), so the EAI path in the
// proxy can reuse it. Modelled on the reference product: `s` (server
// administration) on `/WebSEAL/<host>-<instance>/` for the terminate and
// refresh tasks, `l` (list) for listings, `T` (traverse) to reach the object
// through an ACL attached above it, and a separate system privilege,
// AUTH_ADMINISTRATOR (as IFS Cloud names it), for signing everybody out and
// for terminations by wildcard pattern (which can end everybody's sessions).
// The policy file format is in acl-policy.ts and docs/admin.md.
import type { TaskCommand, TaskKind } from '../tasks/command.js';
import { MESSAGES } from './messages.js';
import type { TaskMessage } from '../tasks/response.js';

/** What an admin request asks to do: a task kind, or an admin-plane action. */
export type AdminAction =
  | TaskKind
  | 'terminate_by_pattern'  // `session terminate all_sessions <pattern with *> ...`: can match every user
  | 'invalidate'        // POST /users/{id}/invalidate: account invalidation (+ end sessions)
  | 'validate'          // POST /users/{id}/validate: the account made valid again
  | 'server_list'       // `server list`, GET /servers
  | 'server_listtasks'  // `server listtasks`, GET /servers/{server}/tasks
  | 'whoami'
  | 'metrics';

export const ADMIN_ACTIONS: readonly AdminAction[] = [
  'terminate_session', 'terminate_all_sessions', 'refresh_all_sessions', 'help', 'signout_all_sessions',
  'list_sessions', 'list_sessions_pattern', 'dsc_terminate_session', 'dsc_terminate_all_sessions',
  'dsc_session_list', 'replica_set_list', 'replica_set_show',
  'terminate_by_pattern', 'invalidate', 'validate', 'server_list', 'server_listtasks', 'whoami', 'metrics',
];

/** How an admin principal authenticated (whoami's `method`, the audit log's `method`). */
export const AUTHN_METHODS = ['password', 'token', 'certificate'] as const;
export type AuthnMethod = (typeof AUTHN_METHODS)[number];

/** Token scopes: each narrows a token to a family of actions. */
export const SCOPES = ['terminate', 'refresh', 'list', 'invalidate', 'signout'] as const;
export type Scope = (typeof SCOPES)[number];

export const AUTH_ADMINISTRATOR = 'AUTH_ADMINISTRATOR';
export const SYSTEM_PRIVILEGES = [AUTH_ADMINISTRATOR] as const;
export type SystemPrivilege = (typeof SYSTEM_PRIVILEGES)[number];

/** The reference's permission letters (pdadmin `object access`); Gatehouse acts on T, s and l. */
export const PERMISSION_LETTERS = 'TcgmdbsvaBtrxlNWAR';

export interface Principal {
  /** Login ID or principal name (user ACL entries match it exactly). */
  readonly name: string;
  /** Registry groups (group ACL entries match them). */
  readonly groups: readonly string[];
  readonly method: AuthnMethod | 'eai';
  /** A token's scopes; undefined = not narrowed. */
  readonly scopes?: readonly Scope[];
}

export type AclEntry =
  | { readonly type: 'user'; readonly name: string; readonly permissions: string }
  | { readonly type: 'group'; readonly name: string; readonly permissions: string }
  | { readonly type: 'any-other'; readonly permissions: string };

/** A policy compiled for one protected object (see acl-policy.ts). */
export interface AdminPolicy {
  /** The protected object, `/WebSEAL/<host>-<instance>/`; undefined for the default policy (any object). */
  readonly object?: string;
  /** Entries of the ACL in effect on the object; undefined: no ACL governs it (nobody holds s or l). */
  readonly acl?: readonly AclEntry[];
  /** ACLs in effect on the object's ancestors that an ACL is attached to (at or above): each must grant T. */
  readonly traverse: ReadonlyArray<readonly AclEntry[]>;
  readonly privileges: Readonly<Record<SystemPrivilege, { readonly users: readonly string[]; readonly groups: readonly string[] }>>;
  /** Where it came from (a path, or `default`). */
  readonly source: string;
}

/** The install administrator of the reference product. */
export const INSTALL_ADMINISTRATOR = 'sec_master';

/** Without a policy file: only sec_master holds T, s, l and AUTH_ADMINISTRATOR. */
export const DEFAULT_POLICY: AdminPolicy = Object.freeze({
  acl: Object.freeze([Object.freeze({ type: 'user' as const, name: INSTALL_ADMINISTRATOR, permissions: 'Tsl' })]),
  traverse: Object.freeze([]),
  privileges: Object.freeze({ AUTH_ADMINISTRATOR: Object.freeze({ users: Object.freeze([INSTALL_ADMINISTRATOR]), groups: Object.freeze([]) }) }),
  source: 'default',
});

export type Requirement =
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'permission'; readonly letter: 's' | 'l'; readonly scope: Scope }
  | { readonly kind: 'privilege'; readonly name: SystemPrivilege; readonly scope: Scope };

const S = (scope: Scope): Requirement => ({ kind: 'permission', letter: 's', scope });
const L: Requirement = { kind: 'permission', letter: 'l', scope: 'list' };
const AUTHENTICATED: Requirement = { kind: 'authenticated' };
/** Actions that can end every session of the server: the global privilege and the signout scope. */
const EVERYONE: Requirement = { kind: 'privilege', name: AUTH_ADMINISTRATOR, scope: 'signout' };

const REQUIREMENTS: Readonly<Record<AdminAction, Requirement>> = {
  terminate_session: S('terminate'),
  terminate_all_sessions: S('terminate'),
  dsc_terminate_session: S('terminate'),
  dsc_terminate_all_sessions: S('terminate'),
  refresh_all_sessions: S('refresh'),
  invalidate: S('invalidate'),
  validate: S('invalidate'),
  list_sessions: L,
  list_sessions_pattern: L,
  dsc_session_list: L,
  replica_set_list: L,
  replica_set_show: L,
  signout_all_sessions: EVERYONE,
  terminate_by_pattern: EVERYONE,
  help: AUTHENTICATED,
  server_list: AUTHENTICATED,
  server_listtasks: AUTHENTICATED,
  whoami: AUTHENTICATED,
  metrics: AUTHENTICATED,
};

/**
 * The action a parsed task stands for: what every front door (the task
 * route, /isam/pdadmin, and so the CLI and the C library) authorizes. Its
 * kind, except that a termination whose user pattern holds a `*` (the
 * pattern grammar's only wildcard) is `terminate_by_pattern`: `*`, `**`,
 * `a*` ... can match every login ID, so any wildcard needs what signing out
 * everyone needs. A pattern without `*` names one login ID (ASCII case
 * aside) and needs `s`, as `terminate all_sessions` does. Listings by
 * pattern stay `l`: they change nothing.
 */
export function actionOf(command: TaskCommand): AdminAction {
  if (command.kind === 'dsc_terminate_all_sessions' && command.pattern.includes('*')) return 'terminate_by_pattern';
  return command.kind;
}

/** Actions that change sessions or accounts: audited before they run (write-ahead). */
export function changesState(action: AdminAction): boolean {
  return STATE_CHANGING.has(action);
}

const STATE_CHANGING: ReadonlySet<AdminAction> = new Set<AdminAction>([
  'terminate_session', 'terminate_all_sessions', 'refresh_all_sessions', 'signout_all_sessions',
  'dsc_terminate_session', 'dsc_terminate_all_sessions', 'terminate_by_pattern', 'invalidate', 'validate',
]);

/** What an action needs; undefined for a name that is no action (authorize() refuses it). */
export function requirementOf(action: AdminAction): Requirement | undefined {
  return Object.hasOwn(REQUIREMENTS, action) ? REQUIREMENTS[action] : undefined;
}

export type Decision =
  | { readonly allowed: true; readonly requirement: Requirement }
  | { readonly allowed: false; readonly requirement?: Requirement; readonly message: TaskMessage; readonly detail: string };

/**
 * The permission letters an ACL grants a principal, the reference's way: a
 * user entry naming the principal wins outright; else the union of the
 * entries of its groups; else any-other; else nothing.
 */
export function grantedBy(acl: readonly AclEntry[] | undefined, principal: Principal): string {
  if (acl === undefined) return '';
  const user = acl.find((e) => e.type === 'user' && e.name === principal.name);
  if (user) return user.permissions;
  const groups = new Set(principal.groups);
  const fromGroups = acl.filter((e) => e.type === 'group' && groups.has(e.name)).map((e) => e.permissions).join('');
  if (fromGroups.length > 0) return normalize(fromGroups);
  return acl.find((e) => e.type === 'any-other')?.permissions ?? '';
}

/** The letters the principal holds on the protected object (T on every ancestor considered). */
export function permissionsOf(principal: Principal, policy: AdminPolicy = DEFAULT_POLICY): string {
  for (const above of policy.traverse) if (!grantedBy(above, principal).includes('T')) return '';
  return normalize(grantedBy(policy.acl, principal));
}

export function privilegesOf(principal: Principal, policy: AdminPolicy = DEFAULT_POLICY): SystemPrivilege[] {
  const groups = new Set(principal.groups);
  return SYSTEM_PRIVILEGES.filter((p) => {
    const holders = policy.privileges[p];
    return holders !== undefined && (holders.users.includes(principal.name) || holders.groups.some((g) => groups.has(g)));
  });
}

/**
 * May `principal` do `action` under `policy` (default: DEFAULT_POLICY)?
 * Pure: no I/O, same answer for the same arguments. Authentication-only
 * actions (help, server list, listtasks, whoami, metrics) are allowed to any
 * principal; the rest need the ACL permission or the privilege AND, for a
 * token, the matching scope.
 */
export function authorize(principal: Principal, action: AdminAction, policy: AdminPolicy = DEFAULT_POLICY): Decision {
  const requirement = requirementOf(action);
  if (requirement === undefined) return { allowed: false, message: MESSAGES.commandDenied, detail: `unknown action ${String(action).slice(0, 64)}` };
  if (requirement.kind === 'authenticated') return { allowed: true, requirement };
  const deny = (detail: string): Decision => ({ allowed: false, requirement, message: MESSAGES.commandDenied, detail });
  if (principal.scopes !== undefined && !principal.scopes.includes(requirement.scope))
    return deny(`the token's scopes do not include ${requirement.scope}`);
  if (requirement.kind === 'privilege') {
    return privilegesOf(principal, policy).includes(requirement.name)
      ? { allowed: true, requirement }
      : deny(`${requirement.name} is required`);
  }
  return permissionsOf(principal, policy).includes(requirement.letter)
    ? { allowed: true, requirement }
    : deny(`${requirement.letter} on ${policy.object ?? '/WebSEAL/<server>/'} is required`);
}

/** Letters sorted in the reference's order, each once. */
function normalize(letters: string): string {
  let out = '';
  for (const c of PERMISSION_LETTERS) if (letters.includes(c)) out += c;
  return out;
}

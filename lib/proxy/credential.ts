// credential.ts -- what a session carries about its user, and back. At login
// the registry record is frozen into the session's credential attributes (as
// the reference freezes a credential); `refresh all_sessions` makes the
// proxy read the registry again instead.
import type { CredentialAttributes } from '../session/attributes.js';
import type { SessionView } from '../session/cache.js';
import type { UserRecord } from '../registry/registry.js';
import { ATTR_GROUPS, ATTR_REGISTRY_ID } from './creds.js';

/** The credential a request runs under (what iv-* headers are made from). */
export interface SessionCredential {
  readonly user: string;
  readonly dn: string;
  readonly groups: readonly string[];
  /** Registry attributes plus the session's own (tagvalue_user_session_id ...). */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

// The groups and DN are stored under the reference's attribute names, the
// same ones the iv-creds codec writes.
export const ATTR_USER_SESSION_ID = 'tagvalue_user_session_id';

/** The attributes stored in the table at login. */
export function attributesAtLogin(user: UserRecord): CredentialAttributes {
  return { ...user.attributes, [ATTR_REGISTRY_ID]: user.dn, [ATTR_GROUPS]: [...user.groups] };
}

/** `base64(server-name NUL)_<user session id>`, the reference's user session ID string. */
export function userSessionIdString(serverName: string, userSessionId: string): string {
  return `${Buffer.from(`${serverName}\0`, 'utf8').toString('base64')}_${userSessionId}`;
}

export function credentialFromSession(view: SessionView, sessionIdString: string): SessionCredential {
  const a = view.attributes;
  const groups = a[ATTR_GROUPS];
  const dn = a[ATTR_REGISTRY_ID];
  const attributes: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(a)) if (k !== ATTR_GROUPS && k !== ATTR_REGISTRY_ID) attributes[k] = v;
  attributes[ATTR_USER_SESSION_ID] = sessionIdString;
  return {
    user: view.loginId,
    dn: typeof dn === 'string' ? dn : `cn=${view.loginId}`,
    groups: Array.isArray(groups) ? groups : typeof groups === 'string' ? [groups] : [],
    attributes,
  };
}

export function credentialFromRecord(user: UserRecord, sessionIdString: string): SessionCredential {
  return {
    user: user.id,
    dn: user.dn,
    groups: user.groups,
    attributes: { ...user.attributes, [ATTR_USER_SESSION_ID]: sessionIdString },
  };
}

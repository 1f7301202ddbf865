// fleet-usid.ts -- the user session ID a back-end sees for a session in a
// fleet: the creating host's, carried by adopted sessions in an attribute
// (a local table's own user session IDs address its own slots). Kept apart
// from fleet.ts so the proxy can ask without loading the Redis client.
import type { SessionView } from '../session/cache.js';

/** The attribute an adopted session carries its fleet-wide user session ID in. */
export const FLEET_USID_ATTRIBUTE = 'tagvalue_gh_fleet_usid';

export function fleetUserSessionId(view: SessionView): string {
  const v = view.attributes[FLEET_USID_ATTRIBUTE];
  return typeof v === 'string' ? v : view.userSessionId;
}

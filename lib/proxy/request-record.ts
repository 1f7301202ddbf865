// request-record.ts -- what the proxy learns about one request while it
// answers it: its ID, where it went, who sent it, how it was answered. The
// gateway fills it in along the pipeline; when the response is over the
// request tracker (request-tracker.ts) turns it into metrics and an
// access-log line. It never holds the session cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionView } from '../session/cache.js';

/**
 * How the proxy answered:
 * - `proxied`: a back-end's response was relayed;
 * - `backend_failure`: no back-end answered (the 502/503/504 page);
 * - `login_page`: the login page or a basic-authentication challenge;
 * - `reason_page`: the login page saying why the old session ended;
 * - `local`: another answer of the proxy's own (the /pkms endpoints, policy pages);
 * - `refused`: a request target the proxy will not route (400);
 * - `not_found`: no junction for the path (404);
 * - `session_unavailable`: the session service could not be asked (503);
 * - `error`: the proxy failed (500).
 */
export type RequestOutcome = 'proxied' | 'backend_failure' | 'login_page' | 'reason_page' | 'local' | 'refused'
  | 'not_found' | 'session_unavailable' | 'error';

/** The junction label of a request no junction took. */
export const NO_JUNCTION = '(none)';
/** The junction label of the proxy's own /pkms endpoints. */
export const PKMS_JUNCTION = '(pkms)';

export class RequestRecord {
  readonly id: string;
  readonly req: IncomingMessage;
  /** performance.now() when the request reached the gateway. */
  readonly startedMs: number;
  /** The junction point, PKMS_JUNCTION, or undefined (NO_JUNCTION). */
  junction: string | undefined;
  outcome: RequestOutcome = 'local';
  /** Why the old session ended (reason_page). */
  reason: string | undefined;
  /** The session the request ran under (or that it started): its login ID, method and user session ID are logged. */
  session: SessionView | undefined;
  /** Milliseconds from handing the request to the junction to the back-end's response headers. */
  upstreamMs: number | undefined;
  /** Response body bytes relayed from a back-end; undefined for the proxy's own pages. */
  relayedBytes: number | undefined;
  /** An Upgrade request's answer: 101, the back-end's refusal, or the proxy's. */
  upgradeStatus: number | undefined;

  constructor(id: string, req: IncomingMessage, startedMs: number) {
    this.id = id;
    this.req = req;
    this.startedMs = startedMs;
  }

  /** The request runs under (or just started) this session. */
  authenticated(view: SessionView): void {
    this.session = view;
  }
}

const records = new WeakMap<ServerResponse, RequestRecord>();

/** The record of the request `res` answers (undefined outside the gateway's request path). */
export function recordOf(res: ServerResponse): RequestRecord | undefined {
  return records.get(res);
}

export function attachRecord(res: ServerResponse, record: RequestRecord): void {
  records.set(res, record);
}

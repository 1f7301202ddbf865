// login-deps.ts -- what the gateway hands to its login paths (pkms.ts,
// basic-auth.ts): the process's shared services and the two gateway
// functions a login answer needs. In a module of its own so the gateway and
// the login paths depend on it, not on each other.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger-type.js';
import type { Config } from '../config/types.js';
import type { UserRegistry } from '../registry/registry.js';
import type { SessionCache } from '../session/cache.js';
import type { InvalidReason } from '../session/reasons.js';
import type { TaskRunner } from '../tasks/runner.js';
import type { FleetSessions } from '../dsc/fleet.js';
import type { AccessLog } from './access-log.js';
import type { CounterFactory } from './counters.js';
import type { EaiRecord } from './eai.js';
import type { Pages } from './pages.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export interface GatewayDeps {
  config: Config;
  cache: SessionCache;
  engine: TaskRunner;
  registry: UserRegistry;
  pages: Pages;
  /** HMAC key shared by every worker (pending displacement logins). */
  pendingKey: Buffer;
  logger: Logger;
  /** Where EAI-triggered tasks are recorded (the admin plane's audit log). */
  recordEai?: (r: EaiRecord) => void;
  metrics?: ProxyMetrics;
  /** Where failed-login counts and used pending logins live; default: this process's memory. */
  counters?: CounterFactory;
  /** The distributed session cache (session.dsess-enabled): the table is then its near-cache. */
  fleet?: FleetSessions;
  /** Where each answered request is written (logging.requests); none when undefined. */
  accessLog?: AccessLog;
}

/** What the login paths need from the gateway. */
export interface LoginResponder {
  cookieName(secure: boolean): string;
  loginPage(req: IncomingMessage, res: ServerResponse, url: string, secure: boolean, stale: InvalidReason | undefined, error?: string, status?: number): void;
}

// options.ts -- what startAdminServer() takes. Plain TypeScript: the lead's
// config loader maps the `admin` stanza of the config file onto it
// (docs/admin.md, "Configuration", has the table).
import type { Logger } from '../logger-type.js';
import type { AggregatorRegistry, PrometheusContentType, Registry } from 'prom-client';
import type { GatehouseMetrics } from '../metrics.js';
import type { UserRegistry } from '../registry/registry.js';
import type { AccountInvalidations } from '../registry/account-invalidations.js';
import type { SessionCache } from '../session/cache.js';
import type { TaskRunner } from '../tasks/runner.js';
import type { SessionSource } from '../session/session-source.js';

/** TLS of the admin listener. */
export type AdminTlsOptions =
  /** Plain HTTP. For tests only: credentials would cross the wire in clear. */
  | false
  /** PEM files of the listener's certificate (chain) and key. */
  | { readonly cert: string; readonly key: string }
  /**
   * A self-signed certificate kept in `stateDir` (admin-tls-cert.pem,
   * admin-tls-key.pem): made on first start, reused afterwards, renewed
   * 30 days before it expires. Clients trust that certificate file.
   */
  | { readonly generate: true; readonly stateDir: string; readonly hostnames?: readonly string[] };

export interface ClientCertificateOptions {
  /** PEM file of the CA(s) that issue client certificates. */
  readonly ca: string;
  /**
   * Certificate -> principal: keys are a subject CN (`backend-hr`) or a
   * SHA-256 fingerprint (64 hex digits, colons optional, any case).
   */
  readonly principals: Readonly<Record<string, string>>;
}

export interface LockoutOptions {
  /** Failures per (principal, source address) within the window that lock it out. Default 5. */
  readonly maxFailures: number;
  /** Failures per source address (any principal) within the window that lock it out. Default 4 x maxFailures. */
  readonly maxFailuresPerAddress: number;
  /** The window failures are counted in. Default 300. */
  readonly windowSeconds: number;
  /** How long a lockout lasts. Default 300. */
  readonly lockoutSeconds: number;
  /**
   * Failures of one principal from any addresses, since its last success,
   * that lock the principal out (a guess spread over many source addresses).
   * Default 2 x maxFailures.
   */
  readonly maxFailuresPerPrincipal: number;
  /** The first principal lockout; each further failure doubles it. Default 1. */
  readonly principalDelaySeconds: number;
  /** The longest principal lockout, so nobody can lock an administrator out for longer. Default 900. */
  readonly maxPrincipalDelaySeconds: number;
}

export const DEFAULT_LOCKOUT: LockoutOptions = Object.freeze({
  maxFailures: 5, maxFailuresPerAddress: 20, windowSeconds: 300, lockoutSeconds: 300,
  maxFailuresPerPrincipal: 10, principalDelaySeconds: 1, maxPrincipalDelaySeconds: 900,
});

export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 7135;

export interface AdminServerOptions {
  /** Listen address. Default 127.0.0.1 (loopback). */
  readonly host?: string;
  /** Listen port; 0 picks a free one. Default 7135. */
  readonly port?: number;
  readonly tls: AdminTlsOptions;
  /** Accept TLS client certificates (requires tls other than false). */
  readonly clientCertificates?: ClientCertificateOptions;
  /** The executor every task goes through (local, or fleet-wide with dsess-enabled); its names are the server's names. */
  readonly engine: TaskRunner;
  /** The table the engine acts on (metrics). */
  readonly cache: SessionCache;
  /** Where listings and counts come from; default: the table (lib/admin/session-source.ts). */
  readonly sessions?: SessionSource;
  /** Admin users are registry users; invalidation writes here, unless `accounts` is given. */
  readonly registry: UserRegistry;
  /**
   * With the distributed session cache: account invalidation is kept here
   * (Redis, fleet-wide) and checked at every admin authentication.
   */
  readonly accounts?: AccountInvalidations;
  /** YAML ACL policy; absent (option or file): only sec_master may administer. */
  readonly policyFile?: string;
  /** API tokens (`gatehouse token`); absent: bearer tokens are refused. */
  readonly tokensFile?: string;
  /** Append-only JSON-lines audit log. */
  readonly auditFile: string;
  readonly lockout?: Partial<LockoutOptions>;
  /** Whether GET /metrics needs authentication. Default true. */
  readonly metricsAuth?: boolean;
  /** Application log (never receives secrets). Default: a pino logger at info on stderr. */
  readonly logger?: Logger;
  /** Registry served at /metrics. Default: a new one. */
  readonly metricsRegistry?: Registry;
  /**
   * Metric objects already registered in metricsRegistry (createMetrics).
   * Absent: the server registers the admin part itself, with the cache's
   * figures, in metricsRegistry.
   */
  readonly metrics?: GatehouseMetrics;
  /** In-process proxy registries appended to /metrics (single-process mode). */
  readonly extraRegistries?: readonly Registry[];
  /** Cluster mode: the workers' metrics, summed by prom-client, appended to /metrics. */
  readonly clusterMetrics?: AggregatorRegistry<PrometheusContentType>;
  /** Clock in ms since the epoch, for lockout and audit times (tests inject one). */
  readonly now?: () => number;
}

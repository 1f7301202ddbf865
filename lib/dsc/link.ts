// link.ts -- one way to send a command to Redis, standalone or Cluster, with
// a deadline on every command and Lua scripts run by SHA (loaded on NOSCRIPT).
//
// node-redis 5 is the client: it speaks RESP3, routes Cluster commands by hash
// slot, resubscribes after a reconnect before it reports 'ready', and takes a
// per-command timeout, which is what failing closed needs (a command that
// cannot finish in time is an outage, not a wait).
import fs from 'node:fs';
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from 'redis';
import { GatehouseError } from '../session/errors.js';
import type { Script } from './scripts.js';

export interface RedisOptions {
  /** redis://host:port or rediss://host:port (TLS); Cluster seed nodes when `cluster`. */
  servers: readonly string[];
  cluster: boolean;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Redis cannot be reached or did not answer in time: fail closed. */
export class DscUnavailableError extends GatehouseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GH_DSC_UNAVAILABLE', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** What is stored under our prefix is not what this code wrote (garbage, another layout). */
export class DscLayoutError extends GatehouseError {
  constructor(message: string) { super('ERR_GH_DSC_LAYOUT', message); }
}

/** Redis refused the connection's credentials or TLS: a configuration error, not an outage. */
export class DscConfigError extends GatehouseError {
  constructor(message: string) { super('ERR_GH_DSC_CONFIG', message); }
}

type Reply = unknown;
type AnyClient = RedisClientType<any, any, any, any, any>;   // eslint-disable-line @typescript-eslint/no-explicit-any
type AnyCluster = RedisClusterType<any, any, any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class RedisLink {
  readonly #options: RedisOptions;
  readonly #client: AnyClient | AnyCluster;
  #lastError: unknown;

  private constructor(options: RedisOptions, client: AnyClient | AnyCluster) {
    this.#options = options;
    this.#client = client;
    client.on('error', (err: unknown) => { this.#lastError = err; });
  }

  /** Builds a client (not connected yet). `name` shows in CLIENT LIST. */
  static create(options: RedisOptions, name: string): RedisLink {
    return new RedisLink(options, buildClient(options, name));
  }

  get isReady(): boolean {
    return (this.#client as { isReady?: boolean }).isReady ?? (this.#client as { isOpen: boolean }).isOpen;
  }

  /** Connects once; a wrong password or TLS failure is a DscConfigError, anything else DscUnavailableError. */
  async connect(): Promise<void> {
    // node-redis retries a refused handshake (WRONGPASS, TLS) forever; at
    // start-up that is a configuration error to report, not to wait out.
    let onError: ((err: unknown) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const refused = new Promise<never>((_, reject) => {
      onError = (err) => {
        const e = classifyConnectError(err, this.#options);
        if (e instanceof DscConfigError) reject(e);
      };
      this.#client.on('error', onError);
      timer = setTimeout(() => reject(classifyConnectError(this.#lastError ?? new Error('connect timed out'), this.#options)),
        this.#options.connectTimeoutMs);
    });
    refused.catch(() => {});
    try {
      await Promise.race([this.#client.connect(), refused]);
    } catch (err) {
      this.#client.destroy();
      throw err instanceof GatehouseError ? err : classifyConnectError(err, this.#options);
    } finally {
      clearTimeout(timer);
      this.#client.off('error', onError!);
    }
  }

  /** Sends one command with the command deadline; keyed commands go to their slot's node. */
  async call(firstKey: string | undefined, args: readonly string[], readonly = false): Promise<Reply> {
    const ms = this.#options.commandTimeoutMs;
    // node-redis's own `timeout` covers only the wait before the command is
    // written; a server that stops answering after that needs our deadline.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DscUnavailableError(`the session store did not answer within ${ms} ms`)), ms);
    });
    const options = { timeout: ms };
    try {
      const sent = this.#options.cluster
        ? (this.#client as AnyCluster).sendCommand(firstKey, readonly, [...args], options)
        : (this.#client as AnyClient).sendCommand(args, options);
      sent.catch(() => {});  // a late failure after the deadline is already reported
      return await Promise.race([sent, deadline]);
    } catch (err) {
      throw classifyError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a script by SHA, loading it when the server does not know it (after a restart, on a new node). */
  async run(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.call(keys[0], ['EVALSHA', s.sha, ...tail]);
    } catch (err) {
      if (!(err instanceof DscLayoutError) || !/NOSCRIPT/.test(err.message)) throw err;
      return this.call(keys[0], ['EVAL', s.source, ...tail]);
    }
  }

  /** Every master's client (Cluster), or the one client: for SCAN. */
  async nodes(): Promise<AnyClient[]> {
    if (!this.#options.cluster) return [this.#client as AnyClient];
    const cluster = this.#client as AnyCluster;
    return Promise.all(cluster.masters.map((m) => cluster.nodeClient(m) as Promise<AnyClient>));
  }

  /** A second connection for SUBSCRIBE (a subscribed connection sends nothing else). */
  duplicate(name: string): RedisLink {
    return new RedisLink(this.#options, buildClient(this.#options, name));
  }

  /** The raw client, for pub/sub. */
  get client(): AnyClient | AnyCluster {
    return this.#client;
  }

  async close(): Promise<void> {
    try {
      if ((this.#client as { isOpen: boolean }).isOpen) await this.#client.close();
    } catch {
      this.#client.destroy();
    }
  }
}

function buildClient(o: RedisOptions, name: string): AnyClient | AnyCluster {
  const socket = {
    connectTimeout: o.connectTimeoutMs,
    // Back-off 50 ms doubling to 2 s with jitter, forever: the server comes back by itself.
    reconnectStrategy: (retries: number) => Math.min(2000, 50 * 2 ** Math.min(retries, 6)) + Math.floor(Math.random() * 50),
    ...(o.tls ? {
      tls: true as const,
      ...(o.tls.ca ? { ca: fs.readFileSync(o.tls.ca) } : {}),
      ...(o.tls.cert ? { cert: fs.readFileSync(o.tls.cert) } : {}),
      ...(o.tls.key ? { key: fs.readFileSync(o.tls.key) } : {}),
    } : {}),
  };
  const common = {
    RESP: 3 as const,
    name,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    // No offline queue: while disconnected a command fails at once (fail closed) instead of waiting.
    disableOfflineQueue: true,
    socket,
  };
  if (o.cluster) {
    return createCluster({
      rootNodes: o.servers.map((url) => ({ url })),
      defaults: common,
    }) as unknown as AnyCluster;
  }
  return createClient({ url: o.servers[0], ...common }) as unknown as AnyClient;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function classifyError(err: unknown): Error {
  if (err instanceof GatehouseError) return err;
  const text = message(err);
  // A reply error (the server answered): WRONGTYPE, a script error on a foreign value, NOSCRIPT.
  if (err instanceof Error && err.constructor.name === 'SimpleError' || /^(WRONGTYPE|NOSCRIPT|ERR )/.test(text))
    return new DscLayoutError(`Redis refused a command: ${text}`);
  return new DscUnavailableError(`the session store did not answer: ${text}`, { cause: err });
}

function classifyConnectError(err: unknown, o: RedisOptions): Error {
  const text = message(err);
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(text))
    return new DscConfigError(`Redis refused the credentials (${text}): check redis.username and the password`);
  if (/certificate|self[- ]signed|SSL|TLS|wrong version number|handshake/i.test(text))
    return new DscConfigError(`TLS to Redis failed (${text}): check redis.tls`);
  return new DscUnavailableError(`cannot reach Redis at ${o.servers.join(', ')}: ${text}`, { cause: err });
}

// upgrade.ts -- WebSocket (any HTTP/1.1 Upgrade) through a junction. The
// upgrade request goes out through the same undici Pool as plain requests
// (same connect timeout, TLS options, passive health and header rules); on
// 101 the back-end socket is handed over and the two sockets are piped. A
// back-end that refuses the upgrade (401, 404 ...) has its response relayed
// verbatim, then the client connection is closed. Both answers' headers go
// through clientResponseHeaders, as a plain response's do (the EAI hook).
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Backend } from './backend-pool.js';
import { ClientAbortError } from './forward-body.js';
import {
  clientResponseHeaders, describe, failureKind, isConnectFailure, ResponseRejectedError, withHost,
  type ForwardFailure, type ForwardPlan, type ResponseHeaders, type UpgradeContext,
} from './forward-context.js';

type RawHeaders = Record<string, string | string[] | undefined>;

function headerBlock(statusLine: string, headers: Record<string, string | string[]>): string {
  let out = `${statusLine}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) out += `${name}: ${v}\r\n`;
  }
  return `${out}\r\n`;
}

/**
 * Pipes two sockets until either ends, fails or stays silent for idleMs;
 * then both are closed. `onClosed` runs once.
 */
export function tunnel(client: Duplex, upstream: Duplex, idleMs: number, onClosed: () => void): void {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClosed();
  };
  for (const s of [client, upstream]) {
    s.on('error', close);
    s.on('close', close);
    const timed = s as Duplex & { setTimeout?: (ms: number, cb: () => void) => void };
    if (idleMs > 0 && typeof timed.setTimeout === 'function') timed.setTimeout(idleMs, close);
  }
  upstream.pipe(client);
  client.pipe(upstream);
}

export class UpgradeExchange {
  readonly #plan: ForwardPlan;
  readonly #req: IncomingMessage;
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #upgrade: string;
  readonly #ctx: UpgradeContext;
  readonly #candidates: Backend[];
  readonly #tunnels: Set<Duplex>;
  #controller: Dispatcher.DispatchController | undefined;
  #clientGone = false;
  #responded = false;
  #done = false;

  constructor(plan: ForwardPlan, candidates: Backend[], req: IncomingMessage, socket: Duplex, head: Buffer,
    upgrade: string, ctx: UpgradeContext, tunnels: Set<Duplex>) {
    this.#plan = plan;
    this.#candidates = candidates;
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#upgrade = upgrade;
    this.#ctx = ctx;
    this.#tunnels = tunnels;
    socket.on('error', this.#onClientGone);
    socket.on('close', this.#onClientGone);
    socket.on('drain', this.#onDrain);
  }

  start(): void {
    const backend = this.#candidates.shift()!;
    const attempt = { backend, started: false };
    this.#controller = undefined;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        attempt.started = true;
        this.#controller = controller;
        if (this.#clientGone) controller.abort(new ClientAbortError('client closed the connection'));
      },
      onRequestUpgrade: (_controller, status, headers, upstream) => { backend.up = true; this.#onUpgraded(status, headers, upstream); },
      onResponseStart: (controller, status, headers, reason) => { backend.up = true; this.#onRefused(controller, status, headers, reason); },
      onResponseData: (controller, chunk) => {
        if (!this.#socket.write(chunk)) controller.pause();
      },
      onResponseEnd: () => {
        this.#done = true;
        this.#socket.end();
      },
      onResponseError: (_controller, err) => this.#onError(attempt, err),
    };
    backend.pool.dispatch({
      path: this.#plan.path,
      method: this.#req.method ?? 'GET',
      headers: withHost(this.#plan, backend),
      upgrade: this.#upgrade,
    }, handler);
  }

  #onUpgraded(status: number, raw: RawHeaders, upstream: Duplex): void {
    this.#done = true;
    const socket = this.#socket;
    if (this.#clientGone) {
      upstream.destroy();
      return;
    }
    let headers: ResponseHeaders;
    try {
      headers = clientResponseHeaders(this.#ctx, status, raw);
    } catch (err) {
      upstream.destroy();
      this.#fail('bad_gateway', `response headers refused: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    socket.off('error', this.#onClientGone);
    socket.off('close', this.#onClientGone);
    socket.off('drain', this.#onDrain);
    const upgrade = raw['upgrade'];
    socket.write(headerBlock(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Switching Protocols'}`, {
      connection: 'Upgrade', ...(upgrade !== undefined ? { upgrade } : {}), ...headers,
    }));
    // Bytes the client sent after its request head (early frames) belong upstream.
    if (this.#head.length > 0) upstream.write(this.#head);
    this.#tunnels.add(socket);
    tunnel(socket, upstream, this.#plan.idleTimeoutMs, () => this.#tunnels.delete(socket));
  }

  /** The back-end answered without switching protocols: relay its answer, then close. */
  #onRefused(controller: Dispatcher.DispatchController, status: number, raw: RawHeaders, reason: string | undefined): void {
    if (status < 200 || this.#clientGone) return;
    let headers: ResponseHeaders;
    try {
      headers = clientResponseHeaders(this.#ctx, status, raw);
    } catch (err) {
      controller.abort(new ResponseRejectedError(`onResponseHeaders failed: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    this.#responded = true;
    headers['connection'] = 'close';
    const phrase = reason !== undefined && /^[\t\x20-\x7e]{1,128}$/.test(reason) ? reason : STATUS_CODES[status] ?? '';
    this.#socket.write(headerBlock(`HTTP/1.1 ${status} ${phrase}`, headers));
  }

  #onError(attempt: { backend: Backend; started: boolean }, err: Error): void {
    if (this.#done) return;
    if (this.#clientGone || err instanceof ClientAbortError) {
      this.#socket.destroy();
      return;
    }
    if (isConnectFailure(err, attempt.started)) {
      this.#plan.pool.markDown(attempt.backend);
      if (this.#candidates.length > 0) {
        this.start();
        return;
      }
      this.#fail('bad_gateway', `cannot connect to ${describe(attempt.backend, err)}`);
      return;
    }
    if (this.#responded) {
      this.#socket.destroy();
      return;
    }
    const kind = failureKind(err);
    if (kind === 'timeout') attempt.backend.up = false;
    this.#fail(kind, describe(attempt.backend, err));
  }

  #fail(kind: ForwardFailure, detail: string): void {
    this.#done = true;
    try {
      this.#ctx.onFailure(kind, detail);
    } catch {
      this.#socket.destroy();
    }
  }

  #onDrain = (): void => this.#controller?.resume();

  #onClientGone = (): void => {
    if (this.#clientGone) return;
    this.#clientGone = true;
    this.#controller?.abort(new ClientAbortError('client closed the connection'));
  };
}

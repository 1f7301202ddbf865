// forward-http.ts -- one HTTP exchange through a junction. Dispatches to a
// back-end server over undici, streams both bodies with back-pressure (the
// slower side sets the pace; nothing is buffered whole), tries the next server
// after a connect failure when no body byte has left yet, and turns failures
// into onFailure (before response headers) or a cut connection (after).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Backend } from './backend-pool.js';
import { ClientAbortError, ForwardBody } from './forward-body.js';
import {
  clientResponseHeaders, describe, failureKind, isConnectFailure, ResponseRejectedError, withHost,
  type ForwardContext, type ForwardFailure, type ForwardPlan, type ResponseHeaders,
} from './forward-context.js';

/** A reason phrase Node accepts unchanged; otherwise Node picks the standard one. */
const SAFE_REASON = /^[\t\x20-\x7e]{1,128}$/;

/** True when the client request carries a body (RFC 9112 6.3). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

interface Attempt {
  readonly backend: Backend;
  readonly body: ForwardBody | null;
  started: boolean;
}

/**
 * One exchange, and undici's dispatch handler for it (one object per request
 * rather than a handler of closures). Attempts run one after the other: a
 * retry starts only from the previous attempt's onResponseError.
 */
export class HttpExchange implements Dispatcher.DispatchHandler {
  readonly #plan: ForwardPlan;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #ctx: ForwardContext;
  readonly #candidates: Backend[];
  readonly #withBody: boolean;
  #attempt: Attempt | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #clientGone = false;
  #done = false;
  #failed = false;

  constructor(plan: ForwardPlan, candidates: Backend[], req: IncomingMessage, res: ServerResponse, ctx: ForwardContext) {
    this.#plan = plan;
    this.#candidates = candidates;
    this.#req = req;
    this.#res = res;
    this.#ctx = ctx;
    this.#withBody = hasRequestBody(req);
    res.on('close', this.#onClientClose);
    res.on('drain', this.#onDrain);
  }

  start(): void {
    const backend = this.#candidates.shift()!;
    const body = this.#withBody ? new ForwardBody(this.#req, this.#plan.idleTimeoutMs) : null;
    this.#attempt = { backend, body, started: false };
    this.#controller = undefined;
    backend.pool.dispatch({
      path: this.#plan.path,
      method: this.#req.method ?? 'GET',
      headers: withHost(this.#plan, backend),
      body,
    }, this);
  }

  // --- Dispatcher.DispatchHandler (called by undici) ---

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#attempt!.started = true;
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new ClientAbortError('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, raw: Record<string, string | string[] | undefined>, reason: string | undefined): void {
    this.#attempt!.backend.up = true;
    if (status < 200 || this.#clientGone) return; // 1xx are not relayed; a gone client is being aborted
    let headers: ResponseHeaders;
    try {
      headers = clientResponseHeaders(this.#ctx, status, raw);
    } catch (err) {
      controller.abort(new ResponseRejectedError(`onResponseHeaders failed: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    try {
      if (reason !== undefined && (reason === 'OK' || SAFE_REASON.test(reason))) this.#res.writeHead(status, reason, headers);
      else this.#res.writeHead(status, headers);
    } catch (err) {
      controller.abort(new ResponseRejectedError(`response headers refused: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#ctx.onResponseData?.(chunk.length);
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.#done = true;
    const body = this.#attempt!.body;
    // The back-end answered before reading the whole upload: stop feeding it
    // and let the client's remaining bytes drain so its connection stays sane.
    if (body !== null && !this.#req.readableEnded) {
      body.destroy();
      this.#req.resume();
    }
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#done) return;
    const attempt = this.#attempt!;
    const res = this.#res;
    if (this.#clientGone || err instanceof ClientAbortError) {
      res.destroy();
      return;
    }
    if (isConnectFailure(err, attempt.started)) {
      this.#plan.pool.markDown(attempt.backend);
      if (this.#candidates.length > 0 && (attempt.body === null || !attempt.body.started)) {
        attempt.body?.destroy();
        this.start();
        return;
      }
      this.#fail('bad_gateway', `cannot connect to ${describe(attempt.backend, err)}`);
      return;
    }
    // After the status line went out the only honest signal left is a cut connection.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An upload that stalled: the client is not there to read a page either.
    if ((err as { code?: string }).code === 'ERR_GH_BODY_IDLE') {
      res.destroy();
      return;
    }
    const kind = failureKind(err);
    if (kind === 'timeout') attempt.backend.up = false;
    this.#fail(kind, describe(attempt.backend, err));
  }

  #fail(kind: ForwardFailure, detail: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#attempt?.body?.destroy();
    try {
      this.#ctx.onFailure(kind, detail);
    } catch {
      this.#res.destroy();
    }
  }

  #onClientClose = (): void => {
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new ClientAbortError('client closed the connection'));
    this.#attempt?.body?.destroy();
  };

  #onDrain = (): void => { this.#controller?.resume(); };
}

// forward-body.ts -- the client's request body as undici reads it. A thin
// Readable over the IncomingMessage that (1) touches the client stream only
// when undici first reads, after the connect succeeded, so a request whose
// connect failed can go to the next server with its body intact; (2) keeps
// back-pressure (the client is paused while the back-end is not reading);
// (3) ends the upload when no byte moved for idleTimeoutMs.
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

/** The client stopped sending (or the back-end stopped reading) for too long. */
export class BodyIdleError extends Error {
  readonly code = 'ERR_GH_BODY_IDLE';
}

/** The client went away before its body was complete. */
export class ClientAbortError extends Error {
  readonly code = 'ERR_GH_CLIENT_ABORT';
}

export class ForwardBody extends Readable {
  readonly #src: IncomingMessage;
  readonly #idleMs: number;
  #started = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(src: IncomingMessage, idleMs: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#src = src;
    this.#idleMs = idleMs;
  }

  /** True once a byte may have been taken from the client: no retry after that. */
  get started(): boolean {
    return this.#started;
  }

  override _read(): void {
    if (!this.#started) {
      this.#started = true;
      const src = this.#src;
      if (src.readableEnded) { this.push(null); return; }
      if (src.destroyed) { this.destroy(new ClientAbortError('client closed before its request body was sent')); return; }
      src.on('data', this.#onData);
      src.on('end', this.#onEnd);
      src.on('error', this.#onError);
      src.on('close', this.#onClose);
    }
    this.#arm();
    this.#src.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#disarm();
    this.#detach();
    cb(err);
  }

  #onData = (chunk: Buffer): void => {
    this.#arm();
    if (!this.push(chunk)) this.#src.pause();
  };

  #onEnd = (): void => {
    this.#disarm();
    this.#detach();
    this.push(null);
  };

  #onError = (err: Error): void => {
    this.destroy(new ClientAbortError(`client request failed: ${err.message}`));
  };

  #onClose = (): void => {
    if (!this.#src.readableEnded) this.destroy(new ClientAbortError('client closed before its request body was complete'));
  };

  #arm(): void {
    if (this.#idleMs <= 0) return;
    if (this.#timer !== undefined) { this.#timer.refresh(); return; }
    this.#timer = setTimeout(() => {
      this.destroy(new BodyIdleError(`request body idle for ${this.#idleMs} ms`));
    }, this.#idleMs);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #detach(): void {
    const src = this.#src;
    src.off('data', this.#onData);
    src.off('end', this.#onEnd);
    src.off('error', this.#onError);
    src.off('close', this.#onClose);
  }
}

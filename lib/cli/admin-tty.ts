// admin-tty.ts -- terminal plumbing for `gatehouse admin`: a readline line
// queue (commands arrive faster than they run when stdin is a pipe), an
// output that can be muted so a typed password is not echoed, and reading a
// password from the first line of stdin.
import readline from 'node:readline';
import { EventEmitter } from 'node:events';

export interface AdminIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
}

/**
 * What readline writes to: forwards to a stream at once (so nothing is still
 * queued when the shell returns), except while muted -- readline echoes
 * keystrokes through it, and a password must not be echoed.
 */
export class MutableOutput extends EventEmitter {
  muted = false;
  readonly #target: AdminIo['stdout'];
  constructor(target: AdminIo['stdout']) {
    super();
    this.#target = target;
    target.on('resize', () => this.emit('resize'));
  }
  get columns(): number | undefined { return this.#target.columns; }
  get isTTY(): boolean { return this.#target.isTTY === true; }
  write(chunk: string | Uint8Array): boolean {
    if (!this.muted) this.#target.write(chunk);
    return true;
  }
  /** For readline.createInterface, which wants a stream and uses only the members above. */
  asStream(): NodeJS.WritableStream {
    return this as unknown as NodeJS.WritableStream;
  }
}

/** Lines of a readline interface, one at a time; null once input ends. */
export class LineQueue {
  readonly #queue: string[] = [];
  #waiting: ((line: string | null) => void) | undefined;
  #closed = false;
  constructor(rl: readline.Interface) {
    rl.on('line', (line) => {
      const w = this.#waiting;
      if (w) { this.#waiting = undefined; w(line); } else this.#queue.push(line);
    });
    rl.on('close', () => {
      this.#closed = true;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(null);
    });
  }
  next(): Promise<string | null> {
    const line = this.#queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => { this.#waiting = resolve; });
  }
}

/** Asks for a secret on a terminal without echoing it. */
export async function askHidden(io: { stdin: AdminIo['stdin']; output: AdminIo['stdout'] }, prompt: string): Promise<string | null> {
  const out = new MutableOutput(io.output);
  const rl = readline.createInterface({ input: io.stdin, output: out.asStream(), terminal: true, historySize: 0 });
  const lines = new LineQueue(rl);
  io.output.write(prompt);
  out.muted = true;
  try {
    return await lines.next();
  } finally {
    out.muted = false;
    io.output.write('\n');
    rl.close();
  }
}

/** The first line of a stream (for --password-stdin), without its line end. */
export function readFirstLine(stream: AdminIo['stdin']): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (s: string): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      resolve(s.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string): void => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl));
      else if (buf.length > 65536) onError(new Error('the first line of stdin is over 64 KiB'));
    };
    const onEnd = (): void => finish(buf);
    const onError = (err: Error): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}

// audit-log.ts -- the audit log: one JSON object per line, appended, kept apart
// from the application log. Every admin decision (allowed or denied), every
// failed authentication and every EAI-triggered task is recorded, and
// record() resolves only once the line is on disk (write + fdatasync), so a
// reply is never sent for an action the log could lose.
//
// Group commit: lines that arrive while a write+fdatasync is in flight wait
// and go out together in the next one, so N concurrent requests cost about
// two syncs, not N in a row. Each write() carries whole lines to a file
// opened with O_APPEND, so several processes (the admin server and the
// proxy workers) can share one file without interleaving inside a line.
//
// Rotation: rename the file, then call reopen() (gatehouse does on SIGHUP);
// lines in flight finish in the old file, later ones go to the new.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { redactTask } from './redact.js';

/** started: authorized and about to run (written, durably, before the action: write-ahead). */
export type AuditOutcome = 'started' | 'allowed' | 'denied' | 'failed' | 'error';

export interface AuditEntry {
  /** ISO-8601; record() fills it in when absent. */
  time?: string;
  /** Who asked: login ID, token principal, certificate principal, `junction:/app`, or what a failed login claimed. */
  initiator: string;
  /** How they authenticated: password, token, certificate, eai, none. */
  method: string;
  /** Source IP address. */
  source: string;
  /** The pdadmin server name the action was for. */
  server: string;
  /** `POST /api/v1/servers/{server}/tasks`, `POST /isam/pdadmin`, ... */
  route?: string;
  /** Task kind or admin action (terminate_all_sessions, invalidate, ...). */
  kind?: string;
  /** The task; user session IDs are cut to 8 characters + "…". Never a cookie or password. */
  task?: string;
  outcome: AuditOutcome;
  /** Sessions ended by the action. */
  ended?: number;
  /** Why (denial reason, failure reason, message IDs). */
  detail?: string;
  /** Token ID when a token was used (never the secret). */
  tokenId?: string;
}

const write = (fd: number, buffer: Buffer, offset: number, length: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));
const fdatasync = promisify(fs.fdatasync);
const closeFd = promisify(fs.close);

const FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;
const MAX_FIELD = 1024;

interface Pending {
  line: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class AuditLog {
  readonly path: string;
  #fd: number;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  #records = 0;
  #syncs = 0;
  readonly #now: () => number;

  private constructor(file: string, fd: number, now: () => number) {
    this.path = file;
    this.#fd = fd;
    this.#now = now;
  }

  /** Opens (creating, mode 0600) the log for appending. */
  static open(file: string, options: { now?: () => number } = {}): AuditLog {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    return new AuditLog(file, fs.openSync(file, FLAGS, 0o600), options.now ?? Date.now);
  }

  /** Appends one entry; resolves when it is durable. */
  record(entry: AuditEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`audit log ${this.path} is closed`));
    const line = Buffer.from(`${JSON.stringify(this.#normalize(entry))}\n`, 'utf8');
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Appends one entry synchronously and durably (write + fdatasync), or
   * throws. For callers that must not act before the line is on disk and
   * cannot wait (the proxy's EAI hook runs inside a synchronous callback).
   * Blocks the event loop for one fdatasync: meant for rare actions.
   */
  recordSync(entry: AuditEntry): void {
    if (this.#closed) throw new Error(`audit log ${this.path} is closed`);
    const data = Buffer.from(`${JSON.stringify(this.#normalize(entry))}\n`, 'utf8');
    let done = 0;
    while (done < data.length) done += fs.writeSync(this.#fd, data, done, data.length - done);
    fs.fdatasyncSync(this.#fd);
    this.#syncs++;
    this.#records++;
  }

  /** Lines written and fdatasync calls made so far (group commit keeps syncs well below lines). */
  get stats(): { readonly records: number; readonly syncs: number } {
    return { records: this.#records, syncs: this.#syncs };
  }

  /** After the file was renamed (rotation): continue in a new file at the same path. */
  async reopen(): Promise<void> {
    if (this.#closed) throw new Error(`audit log ${this.path} is closed`);
    const fresh = fs.openSync(this.path, FLAGS, 0o600);
    const old = this.#fd;
    this.#fd = fresh;  // batches that start from now on use the new file
    await this.#flushing;
    if (old !== fresh) await closeFd(old);
  }

  /** Writes what is pending, then closes. Later record() calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    await closeFd(this.#fd);
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      const fd = this.#fd;
      try {
        const data = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((p) => p.line));
        let done = 0;
        // A regular file takes the whole buffer in one write(); the loop only matters on a short write (disk full).
        while (done < data.length) done += await write(fd, data, done, data.length - done);
        await fdatasync(fd);
        this.#syncs++;
        this.#records += batch.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.#flushing = undefined;
  }

  /** Field order of a line: time, initiator, method, source, server, route, kind, task, outcome, ended, detail, tokenId. */
  #normalize(e: AuditEntry): Record<string, unknown> {
    const out: Record<string, unknown> = {
      time: e.time ?? new Date(this.#now()).toISOString(),
      initiator: cap(String(e.initiator)),
      method: cap(String(e.method)),
      source: cap(String(e.source)),
      server: cap(String(e.server)),
    };
    if (e.route !== undefined) out.route = cap(e.route);
    if (e.kind !== undefined) out.kind = cap(e.kind);
    if (e.task !== undefined) out.task = cap(redactTask(e.task));
    out.outcome = e.outcome;
    if (e.ended !== undefined) out.ended = e.ended;
    if (e.detail !== undefined) out.detail = cap(e.detail);
    if (e.tokenId !== undefined) out.tokenId = cap(e.tokenId);
    return out;
  }
}

function cap(s: string): string {
  return s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}…` : s;
}

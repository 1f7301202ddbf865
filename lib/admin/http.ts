// http.ts -- the admin server's HTTP plumbing: JSON replies, the error
// shape of the contract, and request bodies read with a hard size limit
// (64 KiB, refused early from Content-Length) and checked against a zod schema.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { TaskMessage } from '../tasks/response.js';
import type { AdminApiErrorCode } from './api-error-codes.js';

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_TASK_BYTES = 4096;

/** A reply that ends the request with an error body `{error: {code, message}, messages?}`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: AdminApiErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  readonly messages?: readonly TaskMessage[];

  constructor(status: number, code: AdminApiErrorCode, message: string, options: { headers?: Record<string, string>; messages?: readonly TaskMessage[] } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    if (options.messages !== undefined) this.messages = options.messages;
  }

  body(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message }, ...(this.messages ? { messages: this.messages } : {}) };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(data.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(data);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  const data = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(data.length), 'cache-control': 'no-store' });
  res.end(data);
}

const tooLarge = () => new HttpError(413, 'payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`, { headers: { connection: 'close' } });

/** Refuses a declared Content-Length over the limit before anything is read. */
export function checkDeclaredLength(req: IncomingMessage): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

/** Reads the body, at most MAX_BODY_BYTES; more is a 413 and the rest is never read. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  checkDeclaredLength(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        chunks.length = 0;
        req.pause();  // read no further: TCP pushes back on the sender until the 413 closes the connection
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)); });
    req.on('error', (err) => { if (!failed) { failed = true; reject(err); } });
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Checks the media type, decodes UTF-8 strictly, parses JSON and validates
 * it. An empty body counts as `{}` when `emptyAllowed` (for POSTs whose
 * every field is optional).
 */
export function parseJsonBody<S extends z.ZodType>(req: IncomingMessage, body: Buffer, schema: S, emptyAllowed = false): z.infer<S> {
  if (body.length === 0) {
    if (!emptyAllowed) throw new HttpError(400, 'bad_request', 'a JSON request body is required');
    return validate(schema, {});
  }
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type.trim()))
    throw new HttpError(415, 'unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'bad_json', 'the request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'bad_json', `malformed JSON: ${(err as Error).message}`);
  }
  return validate(schema, value);
}

function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`);
  throw new HttpError(400, 'bad_request', `invalid request body: ${problems.join('; ')}`);
}

/** The UTF-8 length limit on tasks and pdadmin commands. */
export function checkTaskLength(task: string, what = 'task'): void {
  const bytes = Buffer.byteLength(task, 'utf8');
  if (bytes > MAX_TASK_BYTES)
    throw new HttpError(400, 'task_too_long', `${what} is ${bytes} bytes; the limit is ${MAX_TASK_BYTES}`);
}

// engine.ts -- runs task strings against a session table through the native
// task engine (the same executor the C API and, later, the admin plane use).
import os from 'node:os';
import { native } from '../native.js';
import { nativeHandleOf, type SessionCache } from '../session/cache.js';
import { InvalidArgumentError, nativeCall } from '../session/errors.js';
import type { Task } from './command.js';
import { checkText } from './quote.js';
import type { TaskResponse } from './response.js';

export type { TaskMessage, TaskResponse } from './response.js';

export interface ServerIdentity {
  /** pdadmin server name `<instance>-webseald-<host>`; default `default-webseald-<hostname>`. */
  serverName?: string;
  /** `[server] server-name`, `<host>-<instance>`, encoded in user session ID strings; default `<hostname>-default`. */
  sessionServerName?: string;
  /** Replica set for the dscadmin commands; default `default`. */
  replicaSet?: string;
}

const SERVER_NAME = /^[A-Za-z0-9._-]{1,256}$/;

export class TaskEngine {
  readonly serverName: string;
  readonly sessionServerName: string;
  readonly replicaSet: string;
  readonly #cache: SessionCache;

  constructor(cache: SessionCache, identity: ServerIdentity = {}) {
    const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'localhost';
    this.serverName = identity.serverName ?? `default-webseald-${host}`;
    this.sessionServerName = identity.sessionServerName ?? `${host}-default`;
    this.replicaSet = identity.replicaSet ?? 'default';
    for (const [what, v] of [['serverName', this.serverName], ['sessionServerName', this.sessionServerName]] as const)
      if (!SERVER_NAME.test(v)) throw new InvalidArgumentError(`${what} must be 1..256 characters of [A-Za-z0-9._-]`);
    checkText(this.replicaSet, 'replicaSet');
    this.#cache = cache;
  }

  /**
   * Runs one task, given as a builder's Task or as a string (with or without
   * `server task <name>`). `server` addresses a server; default: this one.
   * Malformed tasks, unknown users and wrong servers come back as messages.
   */
  run(task: Task | string, server = ''): TaskResponse {
    const text = typeof task === 'string' ? task : task?.text;
    if (typeof text !== 'string') throw new InvalidArgumentError('task must be a Task or a string');
    if (typeof server !== 'string') throw new InvalidArgumentError('server must be a string');
    if (!server.isWellFormed()) throw new InvalidArgumentError('server is not well-formed Unicode (lone surrogate)');
    // The task text is not checked here: the addon passes a lone surrogate on
    // unchanged and the grammar answers GHWAT0105E, as docs/tasks.md says.
    const handle = nativeHandleOf(this.#cache);
    // The native catalogue is TASK_MESSAGE_IDS (test/message-ids.test.ts keeps the two equal).
    return nativeCall(() => native.performTask(handle, this.serverName, this.sessionServerName, this.replicaSet, server, text)) as TaskResponse;
  }

  /** `performTask(server, task)`: run() in the argument order of ivadmin_server_performtask. */
  performTask(server: string, task: Task | string): TaskResponse {
    return this.run(task, server);
  }

  /** The syntax line of every task, as `server listtasks` shows them. */
  static taskList(): readonly string[] {
    return native.taskList();
  }
}

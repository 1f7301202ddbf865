// runner.ts -- what every front door (REST, /isam/pdadmin, the EAI header)
// needs from a task engine: the local TaskEngine, or the fleet-wide one of
// the distributed session cache (lib/dsc/fleet-tasks.ts).
import type { Task } from './command.js';
import type { TaskResponse } from './engine.js';

export interface TaskRunner {
  /** The pdadmin server name tasks are addressed to. */
  readonly serverName: string;
  /** `[server] server-name`, encoded in user session ID strings. */
  readonly sessionServerName: string;
  run(task: Task | string, server?: string): TaskResponse | Promise<TaskResponse>;
}

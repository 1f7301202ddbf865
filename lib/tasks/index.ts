export { tasks, dsc } from './builders.js';
export { parseTask } from './parse.js';
export type { ParsedTask, TaskSyntaxError } from './parse.js';
export type { Task, TaskCommand, TaskKind } from './command.js';
export { quoteUserId } from './quote.js';
export { TaskEngine } from './engine.js';
export type { TaskResponse, TaskMessage, ServerIdentity } from './engine.js';

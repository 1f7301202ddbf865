// command.ts -- task commands as typed values. Kinds and fields mirror the
// native grammar (native/src/task/grammar.h), whose parser is the judge of
// what a task string means; docs/tasks.md has the syntax.

export type TaskCommand =
  | { readonly kind: 'terminate_session'; readonly userSessionId: string }
  | { readonly kind: 'terminate_all_sessions'; readonly userId: string }
  | { readonly kind: 'refresh_all_sessions'; readonly userId: string }
  | { readonly kind: 'help'; readonly topic: readonly string[] }
  | { readonly kind: 'signout_all_sessions' }
  | { readonly kind: 'list_sessions'; readonly userId: string }
  | { readonly kind: 'list_sessions_pattern'; readonly pattern: string; readonly max: number }
  | { readonly kind: 'dsc_terminate_session'; readonly userSessionId: string; readonly replicaSet: string }
  | { readonly kind: 'dsc_terminate_all_sessions'; readonly pattern: string; readonly replicaSet: string }
  | { readonly kind: 'dsc_session_list'; readonly pattern: string; readonly max: number; readonly replicaSet: string }
  | { readonly kind: 'replica_set_list' }
  | { readonly kind: 'replica_set_show'; readonly replicaSet: string };

export type TaskKind = TaskCommand['kind'];

/** A command together with its canonical task string. */
export interface Task<C extends TaskCommand = TaskCommand> {
  readonly command: C;
  /** The pdadmin task string: what follows `server task <server-name>`. */
  readonly text: string;
  toString(): string;
}

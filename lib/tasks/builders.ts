// builders.ts -- typed builders for task strings. Each validates its
// arguments, builds the canonical string the native parser reads back to the
// same command, and returns both:
//
//   await admin.run(tasks.terminateAllSessions('Mary Jones'))
//   tasks.terminateAllSessions('Mary Jones').text  // 'terminate all_sessions "Mary Jones"'
import { InvalidArgumentError } from '../session/errors.js';
import type { Task, TaskCommand } from './command.js';
import { DEFAULT_MAX, checkMax, checkSessionToken, checkText, quoteUserId, token } from './quote.js';

function task<C extends TaskCommand>(command: C, text: string): Task<C> {
  return Object.freeze({ command: Object.freeze(command), text, toString: () => text });
}

/** pdadmin server tasks, plus the Gatehouse extensions. */
export const tasks = {
  /** `terminate session <user_session_id>`: the bare ID or the whole `base64(server)_id` string. */
  terminateSession(userSessionId: string): Task<Extract<TaskCommand, { kind: 'terminate_session' }>> {
    const id = checkSessionToken(userSessionId);
    return task({ kind: 'terminate_session', userSessionId: id }, `terminate session ${id}`);
  },
  /** `terminate all_sessions <user_id>` */
  terminateAllSessions(userId: string): Task<Extract<TaskCommand, { kind: 'terminate_all_sessions' }>> {
    const u = checkText(userId, 'user ID');
    return task({ kind: 'terminate_all_sessions', userId: u }, `terminate all_sessions ${quoteUserId(u)}`);
  },
  /** `refresh all_sessions <user_id>` */
  refreshAllSessions(userId: string): Task<Extract<TaskCommand, { kind: 'refresh_all_sessions' }>> {
    const u = checkText(userId, 'user ID');
    return task({ kind: 'refresh_all_sessions', userId: u }, `refresh all_sessions ${quoteUserId(u)}`);
  },
  /** `signout all_sessions` (extension): sign out every active session of the server. */
  signOutEveryone(): Task<Extract<TaskCommand, { kind: 'signout_all_sessions' }>> {
    return task({ kind: 'signout_all_sessions' }, 'signout all_sessions');
  },
  /** `list sessions <user_id>` (extension). */
  listSessions(userId: string): Task<Extract<TaskCommand, { kind: 'list_sessions' }>> {
    const u = checkText(userId, 'user ID');
    return task({ kind: 'list_sessions', userId: u }, `list sessions ${quoteUserId(u)}`);
  },
  /** `list sessions pattern <pattern> <max>` (extension; `*` wildcards, case-insensitive). */
  listSessionsByPattern(pattern: string, max: number = DEFAULT_MAX): Task<Extract<TaskCommand, { kind: 'list_sessions_pattern' }>> {
    const p = checkText(pattern, 'pattern');
    const m = checkMax(max);
    return task({ kind: 'list_sessions_pattern', pattern: p, max: m }, `list sessions pattern ${token(p, false)} ${m}`);
  },
  /** `help [<task>]`, e.g. tasks.help('terminate all_sessions'). */
  help(topic = ''): Task<Extract<TaskCommand, { kind: 'help' }>> {
    if (typeof topic !== 'string') throw new InvalidArgumentError('help topic must be a string');
    const words = topic.split(/[ ]+/).filter((w) => w.length > 0).map((w) => checkText(w, 'help word'));
    return task({ kind: 'help', topic: words }, ['help', ...words.map((w) => token(w, false))].join(' '));
  },
};

/** dscadmin session commands. With one replica set they act on this server's table. */
export const dsc = {
  terminateSession(userSessionId: string, replicaSet: string): Task<Extract<TaskCommand, { kind: 'dsc_terminate_session' }>> {
    const id = checkSessionToken(userSessionId);
    const r = checkText(replicaSet, 'replica set');
    return task({ kind: 'dsc_terminate_session', userSessionId: id, replicaSet: r }, `session terminate session ${id} ${token(r, false)}`);
  },
  terminateAllSessions(userPattern: string, replicaSet: string): Task<Extract<TaskCommand, { kind: 'dsc_terminate_all_sessions' }>> {
    const p = checkText(userPattern, 'user pattern');
    const r = checkText(replicaSet, 'replica set');
    return task({ kind: 'dsc_terminate_all_sessions', pattern: p, replicaSet: r },
      `session terminate all_sessions ${token(p, false)} ${token(r, false)}`);
  },
  listSessions(pattern: string, max: number, replicaSet: string): Task<Extract<TaskCommand, { kind: 'dsc_session_list' }>> {
    const p = checkText(pattern, 'pattern');
    const m = checkMax(max);
    const r = checkText(replicaSet, 'replica set');
    return task({ kind: 'dsc_session_list', pattern: p, max: m, replicaSet: r }, `session list ${token(p, false)} ${m} ${token(r, false)}`);
  },
  replicaSetList(): Task<Extract<TaskCommand, { kind: 'replica_set_list' }>> {
    return task({ kind: 'replica_set_list' }, 'replica set list');
  },
  replicaSetShow(name: string): Task<Extract<TaskCommand, { kind: 'replica_set_show' }>> {
    const r = checkText(name, 'replica set');
    return task({ kind: 'replica_set_show', replicaSet: r }, `replica set show ${token(r, false)}`);
  },
};

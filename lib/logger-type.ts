// logger-type.ts -- the application logger as Gatehouse uses it: structured
// fields first, then a message. A pino logger fits it (lib/server/logger.ts
// makes one), and so does any logger with these three methods; keeping pino's
// own types out of the public declarations spares consumers their internals.
export type LogMethod = (fields: Record<string, unknown>, message?: string) => void;

export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
}

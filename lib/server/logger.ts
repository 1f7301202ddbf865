// logger.ts -- the application log (pino, JSON lines on stdout). Cookies,
// authorization headers and passwords are redacted wherever they appear;
// the audit log is a separate file (lib/audit/audit-log.ts).
import { pino, type Logger } from 'pino';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: {
      paths: ['password', '*.password', 'req.headers.cookie', 'req.headers.authorization', 'headers.cookie', 'headers.authorization', 'sessionId', '*.sessionId'],
      censor: '[redacted]',
    },
  });
}

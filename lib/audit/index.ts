// lib/audit -- the audit log shared by the admin plane and the proxy
// (EAI-triggered tasks): below both, so neither imports the other.
export { AuditLog, type AuditEntry, type AuditOutcome } from './audit-log.js';
export { redactTask, shortId } from './redact.js';

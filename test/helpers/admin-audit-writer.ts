// admin-audit-writer.ts -- a child process that appends to a shared audit
// log (as a proxy worker does): argv = file, writer name, count. Records
// are sent in concurrent groups so this process's group commit batches them.
import { AuditLog } from '../../lib/audit/index.js';

const [file, name, countText] = process.argv.slice(2);
const count = Number(countText);
const log = AuditLog.open(file!);
const pending: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  pending.push(log.record({
    initiator: `junction:/${name}`, method: 'eai', source: '10.0.0.1', server: 'default-webseald-mp',
    task: `terminate all_sessions "${name} user ${i}"`, outcome: 'allowed', ended: i, detail: 'x'.repeat(i % 700),
  }));
  if (pending.length === 25) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
await log.close();
process.stdout.write(`${name} done\n`);

// format.ts -- human and JSON renderings of table statistics.
import type { TableStats } from '../index.js';

export function formatStats(name: string, s: TableStats, json: boolean): string {
  if (json) return `${JSON.stringify({ name, ...s })}\n`;
  const ended = Object.entries(s.ended).filter(([, n]) => n > 0).map(([r, n]) => `${r}=${n}`).join(' ') || 'none';
  return [
    `table        ${name}`,
    `capacity     ${s.capacity} sessions (${s.slotBytes} B/slot, ${s.credentialBytes} B credential area)`,
    `segment      ${(s.segmentBytes / 1048576).toFixed(1)} MiB in /dev/shm (${Math.round(s.segmentBytes / s.capacity)} B per session)`,
    `live         ${s.live}`,
    `tombstones   ${s.tombstones}`,
    `users        ${s.users}`,
    `epoch        ${s.epoch}`,
    `created      ${s.createdTotal}`,
    `evictions    ${s.evictions}`,
    `ended        ${ended}`,
    '',
  ].join('\n');
}

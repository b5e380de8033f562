import type { AlarmCounts } from '../../../engine/index';
import type { DbState } from '../db-controller';
import type { NodeStatus } from '../red';
import { brief, dbStatus, status } from '../status';

/**
 * helios-alarm's status line: counts of active and unacknowledged alarms by priority band, and
 * ISA-18.2's warnings (flood, chatter, stale alarms). Red only for the node's own trouble (bad
 * rules, a journal that failed, the database); alarms themselves are the node working.
 */
export function alarmStatus(counts: AlarmCounts, db: DbState, trouble: string | null): NodeStatus {
  if (trouble) return status.failed(brief(trouble, 60));
  const fromDb = dbStatus(db);
  if (fromDb && db.kind !== 'closed') return fromDb;
  const parts = [`${counts.active} active`, `${counts.unacked} unack`];
  const bands = Object.entries(counts.byPriority)
    .filter(([, n]) => n > 0)
    .map(([band, n]) => `${band} ${n}`);
  if (bands.length > 0) parts.push(bands.join(' '));
  if (counts.flood) parts.push(`FLOOD ${counts.recentAlarms}/10m`);
  if (counts.chattering > 0) parts.push(`chatter ${counts.chattering}`);
  if (counts.staleAlarms > 0) parts.push(`stale ${counts.staleAlarms}`);
  if (counts.shelved + counts.suppressed + counts.outOfService > 0) {
    parts.push(`hidden ${counts.shelved + counts.suppressed + counts.outOfService}`);
  }
  return status.ok(parts.join(', '));
}

import type { NodeStatus } from '../red';
import { brief, compact, rate, status } from '../status';
import type { EdgeView } from './edge-sync';

function eta(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/**
 * The edge's status line. Yellow ring while it connects (with what waits), red ring after
 * retry_max_attempts failures in a row, grey while a condition does not hold, green dot otherwise:
 * sending (backlog, rate, ETA) or synced (time of the last acknowledgement).
 */
export function edgeStatus(v: EdgeView, maxAttempts: number): NodeStatus {
  const extra =
    (v.quarantined > 0 ? ` · ${v.quarantined} set aside` : '') +
    (v.lostRows > 0 ? ` · ${compact(v.lostRows)} lost` : '');
  // The engine's backlog is an estimate that never says more than is there (0 can mean "not counted
  // yet"), so 0 is left out rather than shown as "0 waiting".
  const backlog = v.backlogRows > 0 ? ` · ${compact(v.backlogRows)} waiting` : '';
  if (maxAttempts > 0 && v.failures >= maxAttempts && v.lastError) {
    return status.failed(`retrying${backlog}: ${brief(v.lastError, 40)}`);
  }
  if (!v.connected) return status.busy(`connecting${backlog}${extra}`);
  if (v.waitingFor.length > 0) return status.idle(`waiting for ${v.waitingFor.join(', ')}${backlog}${extra}`);
  if (v.backlogRows > 0 && (v.sending || v.rowsPerSec > 0)) {
    const speed =
      v.rowsPerSec > 0 ? ` · ${rate(v.rowsPerSec)} rows/s · ETA ${eta(v.backlogRows / v.rowsPerSec)}` : '';
    return status.ok(`sending${backlog}${speed}${extra}`);
  }
  if (v.sending) return status.ok(`sending${extra}`);
  if (v.lastAckAt !== null) return status.ok(`synced ${clock(v.lastAckAt)}${backlog}${extra}`);
  return status.ok(`connected${backlog}${extra}`);
}

export interface HubView {
  connected: boolean;
  devices: number;
  rowsPerSec: number;
  lastBatchAt: number | null;
  lastError: string | null;
}

export function hubStatus(v: HubView): NodeStatus {
  if (!v.connected) return status.busy(v.lastError ? `connecting: ${brief(v.lastError, 40)}` : 'connecting');
  const rows = v.rowsPerSec > 0 ? ` · ${rate(v.rowsPerSec)} rows/s` : '';
  const last = v.lastBatchAt !== null ? ` · last ${clock(v.lastBatchAt)}` : '';
  return status.ok(`hub · ${v.devices} device${v.devices === 1 ? '' : 's'}${rows}${last}`);
}

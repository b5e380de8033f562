import type { DbState } from './db-controller';
import type { NodeStatus } from './red';

/**
 * The one status vocabulary of every helios node: green dot = working, yellow ring = busy or
 * connecting (opening, backlog, slow disk), red ring = error. Texts are short; details go to the log.
 */
export const status = {
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text }),
  busy: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text }),
  failed: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
  idle: (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text }),
  /** no status under the node (a user node whose database is open and idle) */
  clear: (): NodeStatus => ({}),
};

/** Shortens a message for the status line (the full text is in the log and the Catch node). */
export function brief(message: string, max = 48): string {
  const first = message.split('\n')[0] ?? message;
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}

/** The status a user node shows for a database state other than open. */
export function dbStatus(state: DbState): NodeStatus | null {
  switch (state.kind) {
    case 'opening':
      return status.busy('opening database');
    case 'open':
      return null;
    case 'error':
      return status.failed(
        (state.error as { code?: string }).code === 'HELIOS_LOCKED'
          ? 'database locked'
          : brief(state.error.message),
      );
    case 'closing':
      return status.busy('closing');
    case 'closed':
      return status.idle('closed');
  }
}

/** 1234567 -> "1.2M", 12345 -> "12.3k", 999 -> "999". */
export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return String(Math.round(n));
}

/** A rate for the status line: one decimal below 10 ("0.5", "2", "9.5"), else as `compact`. */
export function rate(n: number): string {
  return n >= 9.95 ? compact(n) : String(Math.round(n * 10) / 10);
}

import type { DbState } from './db-controller';
import type { NodeStatus } from './red';
import { brief, compact, dbStatus, rate, status } from './status';
import type { StoreMeter } from './store-writer';

/** Messages in flight past which the status turns yellow (the disk is not keeping up). */
const BACKLOG = 1000;
/** A write durable later than this (ms) after its first message came marks the disk as slow for a while. */
const SLOW_MS = 1000;
const SLOW_SHOWN_MS = 10_000;

/**
 * helios-store's status line: the database's state when it is not open, else the last error, else
 * the rate and count of stored readings (yellow with a backlog or a slow disk). A status equal to
 * the one shown is not sent again: it is refreshed every second, and the editor needs no message.
 */
export class StoreStatus {
  /** the last write's error, until a write succeeds */
  lastError: string | null = null;
  private slowUntil = 0;
  private shown = '';

  constructor(
    private readonly meter: StoreMeter,
    private readonly show: (s: NodeStatus) => void,
  ) {}

  /** Told, once per engine write, how long (ms) it took to become durable (the coalescer's observer). */
  observeLatency(ms: number): void {
    if (ms > SLOW_MS) this.slowUntil = Date.now() + SLOW_SHOWN_MS;
  }

  /** Shows the status for database state `db` and the meter now, if it changed. */
  refresh(db: DbState): void {
    this.set(this.current(db));
  }

  private current(db: DbState): NodeStatus {
    const notOpen = dbStatus(db);
    if (notOpen) return notOpen;
    if (this.lastError) return status.failed(brief(this.lastError));
    const meter = this.meter;
    const replaced = meter.replaced > 0 ? ` (${compact(meter.replaced)} replaced)` : '';
    const text = `${rate(meter.sampleRate())}/s · ${compact(meter.total)} stored${replaced}`;
    if (meter.pending > BACKLOG) return status.busy(`${text} · backlog ${meter.pending}`);
    if (Date.now() < this.slowUntil) return status.busy(`${text} · slow disk`);
    return status.ok(text);
  }

  private set(s: NodeStatus): void {
    const key = `${s.fill}|${s.text}`;
    if (key === this.shown) return; // unchanged: spare the editor a message
    this.shown = key;
    this.show(s);
  }
}

import { Backoff } from './backoff';
import { ByteBudget } from './byte-budget';
import { SyncConditions } from './conditions';
import type { SyncSettings } from './config';
import type { EdgeLink } from './link';
import type { DownMessage, SyncAck, SyncBatch, SyncCodec, SyncEdge } from './ports';
import { SendMeter } from './send-meter';

export interface EdgeHooks {
  /** downlink messages not delivered before, in order (the node's second output) */
  down(messages: readonly DownMessage[]): void;
  /** a failure worth a Catch node (a batch failing retry_max_attempts times, a rejected batch) */
  error(err: Error): void;
  /** something the status line shows changed */
  changed(): void;
  /** the link is down or refused (a warning: the data waits, nothing failed yet) */
  linkError?(err: Error): void;
}

/** What the status line shows of an edge. */
export interface EdgeView {
  connected: boolean;
  sending: boolean;
  waitingFor: string[];
  backlogRows: number;
  rowsPerSec: number;
  lastAckAt: number | null;
  lastError: string | null;
  quarantined: number;
  lostRows: number;
  failures: number;
}

/**
 * The edge's send loop: takes batches from the engine (the database is the queue) while the
 * conditions hold and the link is up, keeps at most `window` of them in flight, hands each answer
 * to the engine (which advances its durable cursor, rewinds after a gap, or quarantines), and on a
 * failure rewinds and waits with backoff before it tries again. Nothing is dropped here: a batch
 * not acknowledged is handed out again by the engine.
 */
export class EdgeSync {
  readonly conditions: SyncConditions;
  readonly meter: SendMeter;
  private readonly backoff: Backoff;
  private readonly budget: ByteBudget;
  private inFlight = 0;
  private draining = false;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private slotFree: (() => void) | null = null;
  private lastError: string | null = null;
  private reportedFailure = false;
  private linkUp = false;

  constructor(
    private readonly edge: SyncEdge,
    private readonly link: EdgeLink,
    private readonly codec: SyncCodec,
    private readonly settings: SyncSettings,
    private readonly hooks: EdgeHooks,
    random: () => number = Math.random,
  ) {
    this.conditions = new SyncConditions(settings.conditions);
    this.meter = new SendMeter();
    this.backoff = new Backoff(500, settings.retryBackoffSecs * 1000, random);
    this.budget = new ByteBudget(settings.maxBytesPerSec);
  }

  start(): void {
    this.link.onDown((bytes) => this.receiveDown(bytes));
    this.link.start({
      state: (connected, error) => {
        this.linkUp = connected;
        if (error) {
          this.lastError = error.message;
          this.hooks.linkError?.(error);
        }
        this.hooks.changed();
        if (connected) this.kick();
      },
    });
  }

  /** sends what is waiting, if the conditions hold and no retry wait is running */
  kick(): void {
    if (this.stopped) return;
    // HTTP has no connection to watch: a request is how it learns the hub is there (MQTT: no-op)
    if (!this.linkUp) this.link.pollDown().catch(() => undefined);
    if (this.retryTimer || !this.conditions.hold()) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    this.drain()
      .catch((err: Error) => this.failed(err, null))
      .finally(() => {
        this.draining = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  view(): EdgeView {
    const s = this.edge.status();
    return {
      connected: this.link.connected && this.linkUp,
      sending: this.inFlight > 0,
      waitingFor: this.conditions.waitingFor(),
      backlogRows: s.backlogRows,
      rowsPerSec: this.meter.rowsPerSec(),
      lastAckAt: s.lastAckAt,
      lastError: this.lastError,
      quarantined: s.quarantined,
      lostRows: s.lostRows,
      failures: this.backoff.failures,
    };
  }

  /** stops sending; batches in flight are left to the engine (sent again after a restart) */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.slotFree?.();
  }

  private async drain(): Promise<void> {
    this.again = false;
    while (!this.stopped && !this.retryTimer && this.link.connected && this.conditions.hold()) {
      if (this.inFlight >= this.settings.window) {
        await new Promise<void>((resolve) => (this.slotFree = resolve));
        this.slotFree = null;
        continue;
      }
      const batch = await this.edge.next();
      if (!batch || this.stopped) return;
      if (batch.meta.lane === 'backfill') {
        const wait = this.budget.delayFor(batch.bytes.length);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      this.ship(batch);
    }
  }

  private ship(batch: SyncBatch): void {
    this.inFlight++;
    this.hooks.changed();
    this.link
      .send(batch)
      .then((answer) => this.answered(batch, this.codec.decodeSyncAck(answer)))
      .catch((err: Error) => this.failed(err, batch))
      .finally(() => {
        this.inFlight--;
        this.slotFree?.();
        this.hooks.changed();
      });
  }

  private async answered(batch: SyncBatch, ack: SyncAck): Promise<void> {
    await this.edge.acknowledge(ack);
    if (ack.status === 'applied' || ack.status === 'duplicate') {
      // a duplicate was counted when it was applied (the rate says what reached the hub, once)
      if (ack.status === 'applied') this.meter.add(batch.meta.rows, batch.bytes.length);
      this.backoff.succeed();
      this.reportedFailure = false;
      this.lastError = null;
    } else if (ack.status === 'rejected') {
      this.hooks.error(
        new Error(
          `The hub rejected batch ${ack.seq} (${batch.meta.rows} rows of ${batch.meta.tables.join(', ') || 'no table'}) ` +
            `for good: ${ack.reason ?? 'no reason given'}. It is set aside (quarantined); send ` +
            `msg.quarantine = { action: "retry" | "export" | "drop", seq: ${ack.seq} } to deal with it.`,
        ),
      );
    }
    this.link.pollDown().catch(() => undefined);
    // An answer can make more sendable (a gap rewinds; the end of the backfill lets the live lane
    // go on): look again, whatever the answer. A drain running already just takes one more turn.
    this.kick();
  }

  private failed(err: Error, batch: SyncBatch | null): void {
    this.lastError = err.message;
    if (this.stopped) return;
    this.edge.rewind();
    if (this.retryTimer) return; // one wait per failure, however many batches were in flight
    const wait = this.backoff.fail();
    if (
      this.backoff.failures >= this.settings.retryMaxAttempts &&
      this.settings.retryMaxAttempts > 0 &&
      !this.reportedFailure
    ) {
      this.reportedFailure = true;
      const what = batch ? `Batch ${batch.meta.seq}` : 'Sending';
      this.hooks.error(
        Object.assign(
          new Error(
            `${what} failed ${this.backoff.failures} times in a row: ${err.message} ` +
              'The data is kept and sent again; the status shows when it gets through.',
          ),
          { code: (err as { code?: string }).code ?? 'HELIOS_SYNC_LINK' },
        ),
      );
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, wait);
    this.hooks.changed();
  }

  private async receiveDown(bytes: Uint8Array): Promise<Uint8Array | null> {
    const messages = await this.edge.receiveDown(bytes);
    if (messages.length > 0) this.hooks.down(messages);
    return this.edge.downAck();
  }
}

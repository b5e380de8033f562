import type { EdgeFigures } from '../metrics/sources';
import type { NodeMessage } from '../red';
import type { SyncSettings } from './config';
import { EdgeSync } from './edge-sync';
import type { SyncEngine } from './engine-port';
import { edgeLink } from './links';
import type { SyncDatabase, SyncEdge, SyncEdgeOptions } from './ports';
import { SendScheduler } from './scheduler';
import { edgeStatus } from './sync-status';
import type { TlsMaterial } from './tls';

export interface PartHooks {
  warn(message: string): void;
  error(err: Error): void;
  /** messages for the node's outputs: [first, second] */
  send(outputs: [NodeMessage | NodeMessage[] | null, NodeMessage | NodeMessage[] | null]): void;
}

export function edgeOptions(s: SyncSettings): SyncEdgeOptions {
  const o: SyncEdgeOptions = { deviceId: s.deviceId, maxBatchRows: s.batchSize, start: s.start };
  if (s.tables.length > 0) o.tables = s.tables;
  if (s.backfillBatchSize !== null) o.maxBackfillBatchRows = s.backfillBatchSize;
  if (s.compression) o.compression = s.compression;
  if (s.compressionLevel !== null) o.compressionLevel = s.compressionLevel;
  if (s.maxLogBytes !== null) o.maxLogBytes = s.maxLogBytes;
  return o;
}

const QUARANTINE_ACTIONS = ['list', 'retry', 'export', 'drop'] as const;

/**
 * The edge role of a helios-sync node: the engine's SyncEdge, a link, the send loop and the
 * scheduler; messages set conditions, ask for a send (msg.sync) and deal with quarantined batches.
 */
export class EdgePart {
  /** rows lost as last reported (a warning says when more are) */
  private lostSeen: number;

  private constructor(
    private readonly edge: SyncEdge,
    private readonly sync: EdgeSync,
    private readonly scheduler: SendScheduler,
    private readonly closeLink: () => Promise<void>,
    private readonly settings: SyncSettings,
    private readonly warn: (message: string) => void,
  ) {
    this.lostSeen = edge.status().lostRows;
  }

  static async open(
    db: SyncDatabase,
    engine: SyncEngine,
    settings: SyncSettings,
    tls: TlsMaterial,
    hooks: PartHooks,
    warnings: { admit(text: string): string | null },
  ): Promise<EdgePart> {
    const edge = await db.openSyncEdge(edgeOptions(settings));
    const link = edgeLink(settings, tls, engine.codec);
    const sync = new EdgeSync(edge, link, engine.codec, settings, {
      down: (messages) =>
        hooks.send([null, messages.map((m) => ({ topic: 'down', payload: m.payload, down: { id: m.id } }))]),
      error: (err) => hooks.error(err),
      changed: () => {},
      linkError: (err) => {
        const line = warnings.admit(err.message);
        if (line !== null) hooks.warn(line);
      },
    });
    const scheduler = new SendScheduler(settings.intervalSecs, settings.schedule, () => sync.kick());
    const part = new EdgePart(
      edge,
      sync,
      scheduler,
      () => link.close(),
      settings,
      (m) => hooks.warn(m),
    );
    sync.start();
    scheduler.start();
    return part;
  }

  get conditions() {
    return this.sync.conditions;
  }

  kick(): void {
    this.sync.kick();
  }

  status() {
    this.reportLoss();
    return edgeStatus(this.sync.view(), this.settings.retryMaxAttempts);
  }

  /** One warning each time the edge had to drop rows it had not sent (the status keeps the total). */
  private reportLoss(): void {
    const s = this.edge.status();
    if (s.lostRows <= this.lostSeen) return;
    const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
    this.warn(
      `The log kept for sync reached [sync] max_log_bytes (${mb(s.maxLogBytes)}) before the hub acknowledged it, ` +
        `so ${s.lostRows - this.lostSeen} rows not yet sent were dropped from it (${s.lostRows} in all); ` +
        'a gap batch tells the hub, and the rows are still in this database. Raise max_log_bytes, or sync more often.',
    );
    this.lostSeen = s.lostRows;
  }

  /** what msg.sync answers: the edge's state now */
  snapshot(): Record<string, unknown> {
    const s = this.edge.status();
    const v = this.sync.view();
    return {
      role: 'edge',
      deviceId: s.deviceId,
      epoch: s.epoch,
      connected: v.connected,
      backlogRows: s.backlogRows,
      backlogBytes: s.backlogBytes,
      inFlight: s.inFlight,
      lastAckSeq: s.lastAckSeq,
      lastAckAt: s.lastAckAt,
      lostRows: s.lostRows,
      logBytes: s.logBytes,
      maxLogBytes: s.maxLogBytes,
      quarantined: s.quarantined,
      rowsPerSec: v.rowsPerSec,
      rowsSent: this.sync.meter.totalRows,
      nextSchedule: this.scheduler.nextSlot(),
      waitingFor: v.waitingFor,
      lastError: v.lastError,
    };
  }

  /** what the metrics endpoint reads (read-only) */
  figures(): EdgeFigures {
    const s = this.edge.status();
    const v = this.sync.view();
    return {
      role: 'edge',
      connected: v.connected,
      sentRows: this.sync.meter.totalRows,
      sentBytes: this.sync.meter.totalBytes,
      ackedBatches: this.sync.meter.batches,
      backlogRows: s.backlogRows,
      backlogBytes: s.backlogBytes,
      lastAckAt: s.lastAckAt,
      quarantinedBatches: s.quarantined,
      lostRows: s.lostRows,
      failures: v.failures,
    };
  }

  /** msg.quarantine = { action: 'list' | 'retry' | 'export' | 'drop', seq } */
  async quarantine(command: unknown): Promise<unknown> {
    const c = (command ?? {}) as { action?: unknown; seq?: unknown };
    const action = typeof command === 'string' ? command : c.action;
    if (!QUARANTINE_ACTIONS.includes(action as (typeof QUARANTINE_ACTIONS)[number])) {
      throw new Error(
        `msg.quarantine.action must be "list", "retry", "export" or "drop"; got ${JSON.stringify(action)}.`,
      );
    }
    if (action === 'list') return this.edge.quarantined();
    const seq = Number(c.seq);
    if (!this.edge.quarantined().some((q) => q.seq === seq)) {
      const held = this.edge.quarantined().map((q) => q.seq);
      throw new Error(
        `No quarantined batch has seq ${JSON.stringify(c.seq)}; ` +
          (held.length ? `the quarantined ones are ${held.join(', ')}.` : 'none is quarantined.'),
      );
    }
    if (action === 'export') return Buffer.from(await this.edge.exportQuarantined(seq));
    if (action === 'drop') await this.edge.dropQuarantined(seq);
    else {
      await this.edge.retryQuarantined(seq);
      this.sync.kick();
    }
    return this.edge.quarantined();
  }

  async close(): Promise<void> {
    this.scheduler.stop();
    await this.sync.stop();
    await this.closeLink();
    await this.edge.close();
  }
}

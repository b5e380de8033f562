/**
 * The edge side of sync: hands out batches of what the database wrote after the hub's last
 * acknowledgement, in three lanes (the alarm journal, new readings, the backfill), and advances its
 * durable cursors only on the hub's answer. See docs/sync.md for the rules and why they hold.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CorruptionError, InvalidInputError } from '../errors';
import { mkdirDurable, writeFileAtomic } from '../util/fsutil';
import { BacklogCounter } from './backlog';
import {
  decodeSyncBatch,
  encodeSyncBatch,
  type SyncBatchHeader,
  type SyncLane,
  type SyncTable,
} from './batch-format';
import {
  BatchCollector,
  batchesOf,
  INTERNAL_TABLE,
  JOURNAL_TABLE,
  type TableFilter,
  tableFilter,
} from './collect';
import {
  type QuarantinedBatch,
  type ResolvedEdgeOptions,
  resolveEdgeOptions,
  type SyncBatch,
  type SyncEdgeOptions,
  type SyncEdgeStatus,
} from './edge-options';
import {
  type BatchDef,
  type EdgeState,
  EdgeStateFile,
  isFeedBatch,
  newEpoch,
  type QuarantineEntry,
  syncDir,
} from './edge-state';
import { type DownMessage, decodeDownDelivery, encodeDownAck, type SyncAck } from './messages';
import { type SyncTarget, syncCursorName } from './port';
import { atOrAfter, SnapshotReader, type SnapshotState, snapshotEnd, takeSnapshot } from './snapshot';
import {
  type FeedRecord,
  fileSizes,
  listFeedFiles,
  startFileFor,
  startsDictionary,
  WalFeedReader,
} from './wal-feed';

/** How often a lane's progress over records it does not send is saved (ms). */
const EMPTY_SAVE_MS = 10_000;
const LANE_ORDER: readonly SyncLane[] = ['journal', 'live', 'backfill'];

/** A lane's reader of the feed and how far it has read. */
interface LaneReader {
  readonly reader: WalFeedReader;
  /** the LSN read up to (-1: not positioned) */
  at: number;
  /** a record read but left for the next batch */
  pushed: FeedRecord | null;
}

/** The edge of one device over one database. Open with `Database.openSyncEdge`. */
export class SyncEdge {
  private readonly readers = new Map<SyncLane, LaneReader>();
  /** how many of state.issued have been handed out since the last rewind or open */
  private handedOut = 0;
  private readonly batchBytes = new Map<number, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private lastEmptySave = 0;
  /** the last damage found in the log kept for sync, as a sentence (status().lastDamage) */
  private damage: string | null = null;
  /** bytes of the log files as last measured (before each new batch) */
  private logBytes = 0;
  /** compressed bytes per row of the batches so far (a guess to start with), for maxBatchBytes */
  private bytesPerRow = 4;
  private readonly userTables: TableFilter;
  /** counts the rows waiting ahead of the batches, for status() */
  private readonly backlog: BacklogCounter;
  /** reads the snapshot's chunks (null: none, or not opened yet) */
  private snapshotReader: SnapshotReader | null = null;
  /** a snapshot sent whole: its links are removed once the state that forgets it is saved */
  private retiredSnapshot: string | null = null;

  private constructor(
    private readonly target: SyncTarget,
    private readonly options: ResolvedEdgeOptions,
    private readonly file: EdgeStateFile,
    private state: EdgeState,
  ) {
    this.userTables = tableFilter(options.tables);
    this.backlog = new BacklogCounter(target.walDir, this.filterOf('journal'), this.filterOf('live'));
  }

  /** Opens (creating on first use, with a new epoch) the edge state of `options.deviceId`. */
  static async open(target: SyncTarget, options: SyncEdgeOptions): Promise<SyncEdge> {
    const resolved = resolveEdgeOptions(options, await diskSize(target.dir));
    const dir = syncDir(target.dir);
    await mkdirDurable(path.join(dir, 'quarantine'));
    const file = new EdgeStateFile(path.join(dir, `edge-${resolved.deviceId}.json`));
    let state = await file.load();
    if (!state) {
      state = await newEdgeState(target, resolved, dir);
      await file.save(state);
    }
    const linked = snapshotDirName(resolved.deviceId);
    if (!state.snapshot) await fsp.rm(path.join(dir, linked), { recursive: true, force: true });
    const edge = new SyncEdge(target, resolved, file, state);
    await edge.keepLog();
    return edge;
  }

  /**
   * The next batch to send (journal lane first, then live, then backfill), or null when nothing is
   * waiting. Batches handed out and not acknowledged come again, the same, after rewind() or reopen.
   */
  next(): Promise<SyncBatch | null> {
    return this.serial(async () => {
      if (this.handedOut < this.state.issued.length) return this.build(this.state.issued[this.handedOut++]!);
      await this.limitLog();
      for (let i = 0; i < LANE_ORDER.length; i++) {
        let batch: SyncBatch | null;
        try {
          batch = await this.newBatch(LANE_ORDER[i]!);
        } catch (err) {
          if (!(err instanceof CorruptionError) || !(await this.skipDamage(err, LANE_ORDER[i]!))) throw err;
          i--; // the same lane again, past the damage
          continue;
        }
        if (batch) return batch;
      }
      return this.newSnapshotBatch();
    });
  }

  /**
   * Applies the hub's answer. 'applied'/'duplicate' advance the durable cursors (fsynced before
   * this resolves); 'gap' acknowledges what the hub has and rewinds to ack.expectSeq; 'rejected'
   * quarantines the batch (its rows are kept aside, the batches after it go on).
   */
  acknowledge(ack: SyncAck): Promise<void> {
    return this.serial(async () => {
      if (!ack || ack.device !== this.state.device) {
        throw new InvalidInputError(
          `This ack is for device ${JSON.stringify(ack?.device)}, but this edge is "${this.state.device}".`,
        );
      }
      if (ack.epoch !== this.state.epoch) return; // an answer to a database that no longer exists
      switch (ack.status) {
        case 'applied':
        case 'duplicate':
          // a hub of a group answers for this seq alone: the ones before may still be in flight
          if (ack.only) await this.ackOne(ack.seq);
          else await this.ackUpTo(ack.seq);
          break;
        case 'gap':
          await this.ackUpTo((ack.expectSeq ?? 1) - 1);
          this.handedOut = 0;
          break;
        case 'rejected':
          if (!ack.only) await this.ackUpTo(ack.seq - 1);
          await this.quarantine(ack.seq, ack.reason ?? 'rejected by the hub');
          break;
        default:
          throw new InvalidInputError(`Unknown ack status ${JSON.stringify((ack as SyncAck).status)}.`);
      }
      await this.save();
      await this.forgetSnapshot();
      await this.keepLog();
      this.backlog.forgetUpTo(this.ackedFloor());
    });
  }

  /** Forgets what is in flight: the next next() starts again after the last acknowledged batch. */
  rewind(): void {
    this.handedOut = 0;
  }

  /** Where the edge stands. */
  status(): SyncEdgeStatus {
    const inFlight = this.state.issued.slice(0, this.handedOut);
    const issuedRows = this.state.issued.reduce((n, d) => n + (d.kind === 'rows' ? d.rows : 0), 0);
    const positions = {
      journal: this.issuedTo('journal'),
      live: this.issuedTo('live'),
      backfill: this.state.backfill
        ? { issued: this.issuedTo('backfill'), end: this.state.backfill.end }
        : null,
    };
    const snap = this.state.snapshot;
    const ahead = this.backlog.rowsAfter(positions) + (snap ? Math.max(0, snap.rows - snap.issuedRows) : 0);
    this.backlog.refresh(
      Math.min(positions.journal, positions.backfill?.issued ?? positions.live, positions.live),
      this.target.lastLsn(),
    );
    return {
      deviceId: this.state.device,
      epoch: this.state.epoch,
      backlogRows: issuedRows + ahead,
      backlogBytes:
        this.state.issued.reduce((n, d) => n + (this.batchBytes.get(d.seq) ?? 0), 0) +
        Math.round(ahead * this.bytesPerRow),
      inFlight: inFlight.length,
      lastAckSeq: this.state.lastAckSeq,
      lastAckAt: this.state.lastAckAt,
      lostRows: this.state.lostRows,
      logBytes: this.logBytes,
      maxLogBytes: this.options.maxLogBytes,
      quarantined: this.state.quarantine.length,
      ackedLsn: this.ackedFloor(),
      lastLsn: this.target.lastLsn(),
      lastDamage: this.damage ?? this.snapshotReader?.damage ?? null,
    };
  }

  /** The batches set aside, oldest first. */
  quarantined(): readonly QuarantinedBatch[] {
    return this.state.quarantine.map(({ seq, reason, rows, at }) => ({ seq, reason, rows, at }));
  }

  /** Sends a quarantined batch again (as a new seq, after the batches already handed out). */
  retryQuarantined(seq: number): Promise<void> {
    return this.serial(async () => {
      const entry = this.quarantineEntry(seq);
      this.state.quarantine = this.state.quarantine.filter((q) => q !== entry);
      this.state.issued.push({
        seq: this.state.nextSeq++,
        lane: entry.lane,
        from: 0,
        to: 0,
        rows: entry.rows,
        historical: true,
        kind: 'rows',
        tables: entry.tables,
        retryOf: entry.seq,
      });
      await this.save();
    });
  }

  /** Drops a quarantined batch for good (its rows never reach the hub). */
  dropQuarantined(seq: number): Promise<void> {
    return this.serial(async () => {
      const entry = this.quarantineEntry(seq);
      this.state.quarantine = this.state.quarantine.filter((q) => q !== entry);
      await this.save();
      await fsp.rm(this.quarantinePath(entry.file), { force: true });
    });
  }

  /** The bytes of a quarantined batch, as it was sent. */
  exportQuarantined(seq: number): Promise<Uint8Array> {
    return this.serial(async () => fsp.readFile(this.quarantinePath(this.quarantineEntry(seq).file)));
  }

  /**
   * Takes a downlink delivery from the hub: returns, in order, the messages not applied before,
   * after recording durably that they are.
   */
  receiveDown(bytes: Uint8Array): Promise<readonly DownMessage[]> {
    return this.serial(async () => {
      const delivery = decodeDownDelivery(bytes);
      if (delivery.device !== this.state.device) {
        throw new InvalidInputError(
          `This downlink delivery is for device "${delivery.device}", but this edge is "${this.state.device}".`,
        );
      }
      const fresh = delivery.messages
        .filter((m) => m.id > this.state.downApplied)
        .sort((a, b) => a.id - b.id);
      if (fresh.length === 0) return [];
      this.state.downApplied = fresh[fresh.length - 1]!.id;
      await this.save();
      return fresh;
    });
  }

  /** The answer to send the hub after receiveDown: every message up to the newest applied. */
  downAck(): Uint8Array {
    return encodeDownAck({ device: this.state.device, upTo: this.state.downApplied });
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for the call in progress and releases the log files it reads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.backlog.stop();
    for (const lane of this.readers.values()) await lane.reader.close();
    await this.snapshotReader?.close();
  }

  // -- lanes and batches ------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new InvalidInputError('This sync edge is closed.'));
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private filterOf(lane: SyncLane): TableFilter {
    if (lane === 'journal') return (t) => JOURNAL_TABLE.test(t) && !INTERNAL_TABLE.test(t);
    return (t) => this.userTables(t) && !JOURNAL_TABLE.test(t);
  }

  private ackedOf(lane: SyncLane): number {
    if (lane === 'journal') return this.state.journal;
    if (lane === 'live') return this.state.live;
    return this.state.backfill?.acked ?? this.state.live;
  }

  private setAcked(lane: SyncLane, lsn: number): void {
    if (lane === 'journal') this.state.journal = Math.max(this.state.journal, lsn);
    else if (lane === 'live') this.state.live = Math.max(this.state.live, lsn);
    else if (this.state.backfill) {
      this.state.backfill.acked = Math.max(this.state.backfill.acked, lsn);
    }
    this.settle();
  }

  /** Ends what has reached its end: the backfill, then the snapshot. */
  private settle(): void {
    this.settleBackfill();
    this.settleSnapshot();
  }

  /**
   * Ends a backfill that has reached its end. The live lane sent rows after the split before the
   * backfill's older rows arrived, and a row of the same identity in both (a re-sent or late
   * reading, an UPDATE) must end with its newest version at the hub: so, once no live batch is in
   * flight, the live lane starts again at the split and sends everything after it once more, in
   * LSN order, after every backfill row (docs/sync.md, "Lanes").
   */
  private settleBackfill(): void {
    const b = this.state.backfill;
    if (!b || b.acked < b.end || this.inFlightOn('live') || this.inFlightOn('backfill')) return;
    this.state.backfill = null;
    this.state.live = b.end;
    const live = this.readers.get('live');
    if (live) live.at = -1;
  }

  /**
   * Ends a snapshot sent whole. The feed's lanes sent rows after it first, and a row of the same
   * identity in both (an UPDATE, a re-sent reading) must end with its newest version at the hub:
   * so, once no batch is in flight, every lane starts again at the snapshot's LSN and sends
   * everything after it once more, after every snapshot row (docs/sync.md, "Where a new sync starts").
   */
  private settleSnapshot(): void {
    const s = this.state.snapshot;
    if (!s || !snapshotEnd(s, s.acked) || this.state.issued.some((d) => d.retryOf === undefined)) return;
    this.state.snapshot = null;
    this.state.journal = Math.min(this.state.journal, s.lsn);
    this.state.live = s.lsn;
    this.state.backfill = null;
    for (const r of this.readers.values()) r.at = -1;
    this.retiredSnapshot = s.dir;
  }

  /** A snapshot sent whole whose end is saved: its reader closes and its links go. */
  private async forgetSnapshot(): Promise<void> {
    if (this.retiredSnapshot === null) return;
    const dir = path.join(syncDir(this.target.dir), this.retiredSnapshot);
    this.retiredSnapshot = null;
    await this.snapshotReader?.close();
    this.snapshotReader = null;
    await fsp.rm(dir, { recursive: true, force: true });
  }

  /** True while a snapshot sent whole waits for the batches in flight before the lanes start over. */
  private snapshotSettling(): boolean {
    const s = this.state.snapshot;
    return !!s && snapshotEnd(s, s.acked);
  }

  /** The lowest LSN acknowledged over every lane: the log after it must be kept. */
  private ackedFloor(): number {
    let floor = Math.min(
      this.state.journal,
      this.state.backfill ? this.state.backfill.acked : this.state.live,
      this.state.live,
      this.state.snapshot ? this.state.snapshot.lsn : Number.POSITIVE_INFINITY,
    );
    // a batch in flight behind one acknowledged alone (a group's answer) is built from its log again
    for (const d of this.state.issued)
      if (isFeedBatch(d) && d.kind === 'rows') floor = Math.min(floor, d.from - 1);
    return floor;
  }

  private issuedTo(lane: SyncLane): number {
    let to = this.ackedOf(lane);
    for (const d of this.state.issued) if (d.lane === lane && isFeedBatch(d)) to = Math.max(to, d.to);
    return to;
  }

  private inFlightOn(lane: SyncLane): boolean {
    return this.state.issued.some((d) => d.lane === lane && isFeedBatch(d));
  }

  private readerOf(lane: SyncLane): LaneReader {
    let r = this.readers.get(lane);
    if (!r) {
      r = { reader: new WalFeedReader(this.target.walDir), at: -1, pushed: null };
      this.readers.set(lane, r);
    }
    return r;
  }

  /** Positions a lane's reader after `lsn` unless it has read past it already; the first LSN there. */
  private async position(r: LaneReader, lsn: number, exact: boolean): Promise<number> {
    if (r.at >= 0 && (exact ? r.at === lsn : r.at >= lsn)) return lsn + 1;
    r.pushed = null;
    const first = await r.reader.seek(lsn);
    r.at = lsn;
    return first;
  }

  /** A new batch of `lane`, or null when it has nothing to send now. */
  private async newBatch(lane: SyncLane): Promise<SyncBatch | null> {
    if (lane === 'backfill' && !this.state.backfill) return null;
    // a snapshot sent whole waits for the batches in flight, then every lane starts over
    if (this.snapshotSettling()) return null;
    // a finished backfill waits for the live batches in flight, then the live lane starts over
    if (lane === 'live' && this.state.backfill && this.state.backfill.acked >= this.state.backfill.end)
      return null;
    let end = lane === 'backfill' ? this.state.backfill!.end : this.target.lastLsn();
    const from = this.issuedTo(lane);
    if (from >= end) return null;
    const r = this.readerOf(lane);
    const first = await this.position(r, from, false);
    // the log is gone (removed, released by maxLogBytes, or damaged) up to `missing`
    const hole = (this.state.holes ?? []).find((h) => h.from <= from + 1 && h.to > from);
    const missing = Math.min(end, Math.max(first - 1, this.state.releasedTo ?? 0, hole?.to ?? 0));
    if (missing > from) {
      r.at = -1;
      // one gap batch per missing range: the main lane reports it, the journal lane only skips it
      if (lane !== 'journal') return this.issue(this.gapDef(lane, from + 1, missing), []);
      if (!this.inFlightOn(lane)) this.setAcked(lane, missing);
      return null;
    }
    // rows stop before the next damaged range: it gets a gap batch of its own
    for (const h of this.state.holes ?? []) if (h.from > from + 1) end = Math.min(end, h.from - 1);
    const collector = new BatchCollector();
    const filter = this.filterOf(lane);
    const maxRows = lane === 'backfill' ? this.options.maxBackfillBatchRows : this.options.maxBatchRows;
    let last = await this.collect(r, collector, filter, end, maxRows, r.at);
    if (collector.rows === 0) {
      // Nothing to send up to `last`: with nothing in flight on the lane, that range is done.
      if (last > from && !this.inFlightOn(lane)) {
        this.setAcked(lane, last);
        // Saved now and then only: losing it costs a rescan, never a row.
        if (this.options.now() - this.lastEmptySave >= EMPTY_SAVE_MS) {
          this.lastEmptySave = this.options.now();
          await this.save();
          await this.keepLog();
        }
      }
      return null;
    }
    const historical = collector.oldest < this.options.now() - this.options.liveWindowMs;
    let defLane = lane;
    if (lane === 'live' && !this.state.backfill && historical && last < end) {
      defLane = this.splitBackfill(end);
      // the batch that found the backlog is its first one: as big as backfill batches are
      last = await this.collect(r, collector, filter, end, this.options.maxBackfillBatchRows, last);
    }
    const def: BatchDef = {
      seq: this.state.nextSeq,
      lane: defLane,
      from: from + 1,
      to: last,
      rows: collector.rows,
      historical,
      kind: 'rows',
      tables: collector.tableNames(),
    };
    return this.issue(def, await collector.finish());
  }

  /**
   * Adds records after `last` (up to `end`) until the batch holds `maxRows` rows or its guessed
   * size reaches maxBatchBytes; returns the LSN read up to (the reader's position).
   */
  private async collect(
    r: LaneReader,
    collector: BatchCollector,
    filter: TableFilter,
    end: number,
    maxRows: number,
    last: number,
  ): Promise<number> {
    const full = () =>
      collector.rows >= maxRows || collector.rows * this.bytesPerRow >= this.options.maxBatchBytes;
    while (!full()) {
      const record = r.pushed ?? (await r.reader.next(end));
      r.pushed = null;
      if (!record) break;
      if (!collector.add(record, filter)) {
        r.pushed = record;
        break;
      }
      last = record.lsn;
    }
    r.at = last;
    return last;
  }

  /**
   * An old backlog behind the live lane: everything up to `end` (the log's end now) becomes the
   * backfill lane, and the live lane starts after it, so new readings go first from now on.
   */
  private splitBackfill(end: number): SyncLane {
    this.state.backfill = { acked: this.state.live, end };
    for (const d of this.state.issued) if (d.lane === 'live' && isFeedBatch(d)) d.lane = 'backfill';
    this.state.live = end;
    const live = this.readers.get('live');
    if (live) {
      // the reader of an earlier backfill has nothing left to read
      this.readers
        .get('backfill')
        ?.reader.close()
        .catch(() => undefined);
      this.readers.set('backfill', live);
      this.readers.delete('live');
    }
    return 'backfill';
  }

  /**
   * The next batch of the snapshot (after every lane of the feed: the oldest rows go last), or
   * null when it is all handed out. Chunks that range deletes hide whole are passed over.
   */
  private async newSnapshotBatch(): Promise<SyncBatch | null> {
    const s = this.state.snapshot;
    if (!s) return null;
    const reader = this.snapshotOf(s);
    const max = this.options.maxBackfillBatchRows;
    while (!snapshotEnd(s, s.issued)) {
      const collector = new BatchCollector();
      const from = s.issued;
      const full = () =>
        collector.rows >= max || collector.rows * this.bytesPerRow >= this.options.maxBatchBytes;
      const to = await reader.collect(from, collector, full, null);
      s.issued = to;
      if (collector.rows === 0) continue;
      s.issuedRows += collector.rows;
      const def: BatchDef = {
        seq: this.state.nextSeq,
        lane: 'backfill',
        from: 0,
        to: s.lsn,
        rows: collector.rows,
        historical: true,
        kind: 'rows',
        tables: collector.tableNames(),
        snap: { from, to },
      };
      return this.issue(def, await collector.finish());
    }
    // the rest was hidden: with nothing of it in flight, the snapshot is done
    if (!this.state.issued.some((d) => d.snap)) {
      s.acked = s.issued;
      this.settle();
      await this.save();
      await this.forgetSnapshot();
    }
    return null;
  }

  private snapshotOf(s: SnapshotState): SnapshotReader {
    if (!this.snapshotReader)
      this.snapshotReader = new SnapshotReader(path.join(syncDir(this.target.dir), s.dir), s);
    return this.snapshotReader;
  }

  /** A gap batch for a missing range; it carries (once) the losses counted up to its end. */
  private gapDef(lane: SyncLane, from: number, to: number): BatchDef {
    let rows = 0;
    for (const loss of this.state.losses) if (loss.to <= to) rows += loss.rows;
    this.state.losses = this.state.losses.filter((loss) => loss.to > to);
    return { seq: this.state.nextSeq, lane, from, to, rows, historical: true, kind: 'gap', tables: [] };
  }

  /** Records a new batch durably, then hands it out. */
  private async issue(def: BatchDef, tables: readonly SyncTable[]): Promise<SyncBatch> {
    this.state.nextSeq = def.seq + 1;
    this.state.issued.push(def);
    this.handedOut = this.state.issued.length;
    await this.save();
    return this.encode(def, tables);
  }

  /** Builds a batch handed out before again: the same range, so the same rows. */
  private async build(def: BatchDef): Promise<SyncBatch> {
    if (def.retryOf !== undefined) {
      const entry = path.join('quarantine', `${this.state.epoch}-${def.retryOf}.hsyb`);
      const old = decodeSyncBatch(await fsp.readFile(this.quarantinePath(entry)));
      return this.encode(def, old.tables);
    }
    if (def.kind === 'gap') return this.encode(def, []);
    if (def.snap) {
      const collector = new BatchCollector();
      await this.snapshotOf(this.state.snapshot!).collect(def.snap.from, collector, () => false, def.snap.to);
      return this.encode(def, await collector.finish());
    }
    const r = this.readerOf(def.lane);
    await this.position(r, def.from - 1, true);
    const collector = new BatchCollector();
    const filter = this.filterOf(def.lane);
    for (;;) {
      const record = await r.reader.next(def.to);
      if (!record) break;
      collector.add(record, filter);
    }
    r.at = def.to;
    r.pushed = null;
    return this.encode(def, await collector.finish());
  }

  private async encode(def: BatchDef, tables: readonly SyncTable[]): Promise<SyncBatch> {
    const header: SyncBatchHeader = {
      device: this.state.device,
      epoch: this.state.epoch,
      seq: def.seq,
      lane: def.lane,
      historical: def.historical,
      fromLsn: def.from,
      toLsn: def.to,
      rows: def.rows,
      tables: def.tables,
      kind: def.kind,
    };
    const bytes = await encodeSyncBatch(
      header,
      tables,
      this.options.compression,
      this.options.compressionLevel,
    );
    this.batchBytes.set(def.seq, bytes.length);
    return { bytes, meta: { ...header, compression: this.options.compression } };
  }

  // -- acknowledgements -------------------------------------------------------------------------

  /** Everything issued up to `seq` reached the hub: advance the lanes, drop retried files. */
  private async ackUpTo(seq: number): Promise<void> {
    const done = this.state.issued.filter((d) => d.seq <= seq);
    if (done.length === 0) return;
    for (const def of done) {
      if (def.retryOf !== undefined) {
        await fsp.rm(
          this.quarantinePath(path.join('quarantine', `${this.state.epoch}-${def.retryOf}.hsyb`)),
          {
            force: true,
          },
        );
      } else this.markSent(def);
      this.batchBytes.delete(def.seq);
    }
    this.state.issued = this.state.issued.filter((d) => d.seq > seq);
    this.handedOut = Math.max(0, this.handedOut - done.length);
    this.state.lastAckSeq = Math.max(this.state.lastAckSeq, done[done.length - 1]!.seq);
    this.state.lastAckAt = this.options.now();
    this.settle();
  }

  /** A batch of the feed or of the snapshot reached the hub (or was set aside): its lane moves on. */
  private markSent(def: BatchDef): void {
    const s = this.state.snapshot;
    if (def.snap && s) {
      if (atOrAfter(def.snap.to, s.acked)) s.acked = def.snap.to;
      this.settle();
    } else if (!def.snap) this.setAcked(def.lane, def.to);
  }

  /** The batch `seq` alone reached the hub (a group's answer): it leaves the batches in flight. */
  private async ackOne(seq: number): Promise<void> {
    const at = this.state.issued.findIndex((d) => d.seq === seq);
    if (at < 0) return;
    const def = this.state.issued[at]!;
    if (def.retryOf !== undefined)
      await fsp.rm(this.quarantinePath(this.retryFile(def.retryOf)), { force: true });
    this.state.issued.splice(at, 1);
    if (at < this.handedOut) this.handedOut--;
    this.batchBytes.delete(seq);
    if (def.retryOf === undefined) this.markSent(def);
    this.state.lastAckSeq = Math.max(this.state.lastAckSeq, seq);
    this.state.lastAckAt = this.options.now();
    this.settle();
  }

  private retryFile(seq: number): string {
    return path.join('quarantine', `${this.state.epoch}-${seq}.hsyb`);
  }

  /** Sets a rejected batch aside (its bytes in a file) and goes on past it. */
  private async quarantine(seq: number, reason: string): Promise<void> {
    const def = this.state.issued.find((d) => d.seq === seq);
    if (!def) return;
    const original = def.retryOf ?? def.seq;
    const file = path.join('quarantine', `${this.state.epoch}-${original}.hsyb`);
    if (def.retryOf === undefined) {
      const batch = await this.build(def);
      await writeFileAtomic(this.quarantinePath(file), batch.bytes);
      this.markSent(def);
    }
    this.state.quarantine.push({
      seq: original,
      reason,
      rows: def.rows,
      at: this.options.now(),
      lane: def.lane,
      tables: def.tables,
      file,
    });
    this.state.issued = this.state.issued.filter((d) => d !== def);
    this.handedOut = Math.max(0, this.handedOut - 1);
    this.state.lastAckSeq = Math.max(this.state.lastAckSeq, seq);
    this.state.lastAckAt = this.options.now();
    this.settle();
  }

  private quarantineEntry(seq: number): QuarantineEntry {
    const entry = this.state.quarantine.find((q) => q.seq === seq);
    if (!entry) {
      const known = this.state.quarantine.map((q) => q.seq).join(', ') || 'none';
      throw new InvalidInputError(`No quarantined batch has seq ${seq} (quarantined: ${known}).`);
    }
    return entry;
  }

  private quarantinePath(file: string): string {
    return path.join(syncDir(this.target.dir), file);
  }

  private save(): Promise<void> {
    return this.file.save(this.state);
  }

  /**
   * A damaged record in a log file kept for sync (only checkpointed files are not checked at open):
   * the rest of that file is lost to sync. The lanes go on at the next file a reader can start at,
   * and the main lane sends a gap for the range (rows unknown: 0). False when no such file exists.
   */
  private async skipDamage(err: CorruptionError, lane: SyncLane): Promise<boolean> {
    const damaged = this.readerOf(lane).reader.damagedLsn;
    const files = await listFeedFiles(this.target.walDir);
    const at = files.findIndex((f) => f.path === err.file);
    if (damaged === null || at < 0 || at + 1 >= files.length) return false;
    for (let i = at + 1; i < files.length; i++) {
      if (files[i]!.firstLsn - 1 > this.target.checkpointLsn()) return false;
      if (!(await startsDictionary(files[i]!))) continue;
      const upTo = files[i]!.firstLsn - 1;
      const holes = this.state.holes ?? [];
      if (holes.some((h) => h.from === damaged)) return false;
      this.state.holes = [...holes, { from: damaged, to: upTo }];
      this.damage = `${err.message}; LSNs ${damaged}-${upTo} were not sent (a gap batch says so)`;
      for (const r of this.readers.values()) r.at = -1;
      await this.save();
      return true;
    }
    return false;
  }

  /**
   * Keeps the log under maxLogBytes: releases the oldest files (never the current one, nor one a
   * batch in flight still reads), after counting the rows in them no lane has sent yet. The count
   * and the new start are saved before the files go, so the gap batch that follows says how many.
   */
  private async limitLog(): Promise<void> {
    const files = await listFeedFiles(this.target.walDir);
    const sizes = await fileSizes(files);
    let total = sizes.reduce((a, b) => a + b, 0);
    this.logBytes = total;
    if (!Number.isFinite(this.options.maxLogBytes)) return;
    let inFlightFrom = Number.POSITIVE_INFINITY;
    for (const d of this.state.issued)
      if (isFeedBatch(d) && d.kind === 'rows') inFlightFrom = Math.min(inFlightFrom, d.from);
    let upTo = 0;
    for (let i = 0; i + 1 < files.length && total > this.options.maxLogBytes; i++) {
      const last = files[i + 1]!.firstLsn - 1;
      total -= sizes[i]!;
      // only checkpointed log can go, and none a batch in flight must be built from again
      if (last > this.target.checkpointLsn() || last >= inFlightFrom || last <= (this.state.releasedTo ?? 0))
        continue;
      // a reader must be able to start at the next file (wal-feed.ts, the dictionary rule)
      if (await startsDictionary(files[i + 1]!)) upTo = last;
    }
    const from = Math.max(this.ackedFloor(), this.state.releasedTo ?? 0);
    if (upTo <= from) return;
    const rows = await this.countUnsent(from, upTo);
    this.state.losses.push({ from: from + 1, to: upTo, rows });
    this.state.lostRows += rows;
    this.state.releasedTo = upTo;
    for (const r of this.readers.values()) r.at = -1;
    await this.save();
    await this.keepLog();
    const left = await fileSizes(await listFeedFiles(this.target.walDir));
    this.logBytes = left.reduce((a, b) => a + b, 0);
  }

  /** Rows in (from, to] that some lane would still send. */
  private async countUnsent(from: number, to: number): Promise<number> {
    const reader = new WalFeedReader(this.target.walDir);
    try {
      await reader.seek(from);
      const journal = this.filterOf('journal');
      const main = this.filterOf('live');
      const b = this.state.backfill;
      const mainUnsent = (lsn: number) =>
        b ? (lsn > b.acked && lsn <= b.end) || lsn > this.state.live : lsn > this.state.live;
      let rows = 0;
      for (let record = await reader.next(to); record; record = await reader.next(to)) {
        for (const batch of batchesOf(record)) {
          const unsent = journal(batch.table)
            ? record.lsn > this.state.journal
            : main(batch.table) && mainUnsent(record.lsn);
          if (unsent) rows += batch.rows;
        }
      }
      return rows;
    } finally {
      await reader.close();
    }
  }

  /**
   * Moves this edge's cursor to where the log must still be kept (the start of the file a reader
   * of the lowest acknowledged lane begins at) and lets the database delete older log files.
   */
  private async keepLog(): Promise<void> {
    const floor = Math.max(this.ackedFloor(), this.state.releasedTo ?? 0);
    const files = await listFeedFiles(this.target.walDir);
    const keep =
      files.length > 0 ? Math.min(floor, files[await startFileFor(files, floor)]!.firstLsn - 1) : floor;
    const lsn = Math.max(0, Math.min(keep, this.target.lastLsn()));
    if (this.target.cursor(syncCursorName(this.state.device)) !== lsn) {
      await this.target.setCursor(syncCursorName(this.state.device), lsn);
    }
    await this.target.releaseLog();
  }
}

/** The size (bytes) of the file system `dir` is on, or null where the runtime cannot say. */
async function diskSize(dir: string): Promise<number | null> {
  try {
    const st = await fsp.statfs(dir);
    return st.blocks * st.bsize;
  } catch {
    return null;
  }
}

/** The directory (under the sync directory) of a device's snapshot links. */
function snapshotDirName(device: string): string {
  return `snapshot-${device}`;
}

/**
 * The state of an edge opening for the first time (docs/sync.md, "Where a new sync starts"):
 * 'now' starts at the last LSN; 'beginning' takes a snapshot of the segments and starts the feed
 * at its LSN, or, with no segments, starts with what the log holds, from its first file when a
 * reader can start there, else from the checkpoint (the record after it always starts a dictionary).
 */
async function newEdgeState(
  target: SyncTarget,
  options: ResolvedEdgeOptions,
  dir: string,
): Promise<EdgeState> {
  // the log after here stays while the start is chosen (a flush meanwhile must not take it)
  const cursor = syncCursorName(options.deviceId);
  await target.setCursor(cursor, Math.min(target.cursor(cursor) ?? 0, target.checkpointLsn()));
  if (options.start === 'now') return freshState(options.deviceId, target.lastLsn());
  const user = tableFilter(options.tables);
  const accept = (t: string) => user(t) || (JOURNAL_TABLE.test(t) && !INTERNAL_TABLE.test(t));
  const snapshot = await takeSnapshot(target, dir, snapshotDirName(options.deviceId), accept);
  if (snapshot) return { ...freshState(options.deviceId, snapshot.lsn), snapshot };
  const files = await listFeedFiles(target.walDir);
  const oldest = files[0];
  const readable = oldest !== undefined && (await startsDictionary(oldest));
  const start = readable ? oldest.firstLsn - 1 : target.checkpointLsn();
  return freshState(options.deviceId, Math.min(start, target.lastLsn()));
}

function freshState(device: string, start: number): EdgeState {
  return {
    version: 1,
    device,
    epoch: newEpoch(),
    nextSeq: 1,
    lastAckSeq: 0,
    lastAckAt: null,
    journal: start,
    live: start,
    backfill: null,
    issued: [],
    quarantine: [],
    lostRows: 0,
    losses: [],
    downApplied: 0,
  };
}

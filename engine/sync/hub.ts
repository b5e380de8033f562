/**
 * The hub side of sync: applies each device's batches exactly once, in seq order, into its own
 * database. The device's high-water mark is a row of `helios_sync_devices` written in the same WAL
 * record as the batch's rows, so a crash leaves both or neither: a batch re-sent after a crash
 * between the write and the ack is then a duplicate, never a second copy. See docs/sync.md.
 */
import { InvalidInputError } from '../errors';
import type { StoredReading } from '../ingest/readings';
import type { FieldColumn } from '../types';
import { TimeSlicer } from '../util/fsutil';
import {
  decodeSyncBatchSliced,
  readSyncBatchMeta,
  type SyncBatchMeta,
  type SyncSeries,
  type SyncTable,
} from './batch-format';
import { type DownMessage, decodeDownAck, encodeDownDelivery, type SyncAck } from './messages';
import type { SyncTarget, SyncWritePart } from './port';

/** How a hub stores what it receives. */
export interface SyncHubOptions {
  /** the tag that names the device on every row; default 'device_id'; null: no tag added */
  deviceTag?: string | null;
  /**
   * rows per WAL record when a batch is written (the engine validates a record in one synchronous
   * step, so this bounds the hub's longest stall); the device's mark goes with the last one.
   * Default 2000
   */
  writeChunkRows?: number;
  /**
   * true when several hub instances share the devices' batches (an MQTT shared subscription): this
   * one applies any batch it has not applied itself, in any order, never answers a gap, and says
   * its answer is for that seq alone (docs/sync.md, "A group of hubs"). Default false
   */
  group?: boolean;
}

/** What one applied batch wrote to one table. */
export interface AppliedTable {
  readonly device: string;
  readonly table: string;
  readonly rows: number;
  /** the oldest and newest row time written (ms) */
  readonly from: number;
  readonly to: number;
}

/** What the hub knows of one device. */
export interface HubDeviceState {
  readonly device: string;
  readonly epoch: string;
  /** the last seq applied (or rejected for good) in this epoch */
  readonly highSeq: number;
  /** when the hub last applied a batch of it (ms since 1970) */
  readonly lastAt: number;
  /** rows the device reported lost (gap batches) */
  readonly lostRows: number;
}

/** The table of device high-water marks at the hub. */
export const DEVICES_TABLE = 'helios_sync_devices';
/** The table of downlink messages waiting for their device's acknowledgement. */
export const DOWN_TABLE = 'helios_sync_down';
const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/**
 * The time of the hub's own rows (a device's mark; a downlink message: this + its id), far in the
 * future (2^49 ms, about the year 19800), so that no age retention at the hub, not even one over
 * '*', ever takes a mark or a message waiting for its device.
 */
const FAR_FUTURE = 2 ** 49;

interface DeviceRecord {
  device: string;
  epoch: string;
  highSeq: number;
  lastAt: number;
  lostRows: number;
  /** earlier epochs of the device, newest last: their late batches are duplicates */
  oldEpochs: string[];
  downAcked: number;
  downNext: number;
  pending: DownMessage[];
  /** group hubs: the seqs of this epoch this instance applied, the newest GROUP_WINDOW of them */
  applied: AppliedSeqs;
}

/** A hub over one database. Open with `Database.openSyncHub`. */
export class SyncHub {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly deviceTag: string | null;
  private readonly chunkRows: number;
  private readonly group: boolean;

  private constructor(
    private readonly target: SyncTarget,
    private readonly known: Map<string, DeviceRecord>,
    options: SyncHubOptions,
  ) {
    this.deviceTag = options.deviceTag === undefined ? 'device_id' : options.deviceTag;
    this.chunkRows = options.writeChunkRows ?? 2000;
    this.group = options.group === true;
  }

  /** Opens the hub: loads the devices' marks and the downlink messages not yet acknowledged. */
  static async open(target: SyncTarget, options: SyncHubOptions = {}): Promise<SyncHub> {
    const tag = options.deviceTag;
    if (
      tag !== undefined &&
      tag !== null &&
      (typeof tag !== 'string' || tag === '' || tag.charCodeAt(0) < 32)
    ) {
      throw new InvalidInputError(`deviceTag must be a tag name or null (got ${JSON.stringify(tag)}).`);
    }
    const chunk = options.writeChunkRows;
    if (chunk !== undefined && !(Number.isInteger(chunk) && chunk > 0)) {
      throw new InvalidInputError(`writeChunkRows must be a whole number above 0 (got ${chunk}).`);
    }
    const known = new Map<string, DeviceRecord>();
    for (const row of await target.read(DEVICES_TABLE)) {
      const device = String(row.device);
      known.set(device, {
        device,
        epoch: String(row.epoch ?? ''),
        highSeq: Number(row.high_seq ?? 0),
        lastAt: Number(row.last_at ?? 0),
        lostRows: Number(row.lost_rows ?? 0),
        oldEpochs: String(row.old_epochs ?? '')
          .split(',')
          .filter(Boolean),
        downAcked: Number(row.down_acked ?? 0),
        downNext: Number(row.down_next ?? 1),
        pending: [],
        applied: AppliedSeqs.parse(String(row.applied ?? '')),
      });
    }
    for (const row of await target.read(DOWN_TABLE)) {
      const rec = known.get(String(row.device));
      const id = Number(row.time) - FAR_FUTURE;
      if (rec && id > rec.downAcked) rec.pending.push({ id, payload: JSON.parse(String(row.payload)) });
    }
    for (const rec of known.values()) rec.pending.sort((a, b) => a.id - b.id);
    return new SyncHub(target, known, options);
  }

  /**
   * Applies one batch, durably, exactly once per (device, epoch, seq): returns the ack to send and
   * what was written. A batch already applied answers 'duplicate'; one after a missing one 'gap'
   * with the seq expected; one the database refuses for good (a type conflict) 'rejected', and its
   * seq counts as used. Bytes that are not a batch throw SyncFormatError (nothing to answer to).
   */
  apply(bytes: Uint8Array): Promise<{ ack: SyncAck; applied: readonly AppliedTable[] }> {
    return this.serial(() => this.applyOne(bytes));
  }

  /** The devices the hub knows, by name. */
  devices(): readonly HubDeviceState[] {
    return [...this.known.values()]
      .sort((a, b) => (a.device < b.device ? -1 : 1))
      .map(({ device, epoch, highSeq, lastAt, lostRows }) => ({ device, epoch, highSeq, lastAt, lostRows }));
  }

  /**
   * Stores a message for `device` ('*': every device known now) until it is acknowledged. Resolves,
   * once durable, with the message's id (for '*', the number of devices it was stored for).
   */
  sendDown(device: string, payload: unknown): Promise<number> {
    return this.serial(async () => {
      let text: string | undefined;
      try {
        text = JSON.stringify(payload);
      } catch {
        text = undefined;
      }
      if (text === undefined)
        throw new InvalidInputError(
          'A downlink payload must be JSON: an object, array, string, number or boolean.',
        );
      const targets = device === '*' ? [...this.known.keys()] : [checkDevice(device)];
      const parts: SyncWritePart[] = [];
      const devices: StoredReading[] = [];
      const sent: Array<[DeviceRecord, DownMessage]> = [];
      for (const name of targets) {
        const rec = this.known.get(name) ?? newDevice(name);
        const message = { id: rec.downNext, payload: JSON.parse(text) as unknown };
        parts.push({
          table: DOWN_TABLE,
          rows: 'stored',
          readings: [
            { time: FAR_FUTURE + message.id, tags: { device: name }, fields: { payload: text }, rowid: null },
          ],
        });
        devices.push(deviceRow({ ...rec, downNext: rec.downNext + 1 }));
        sent.push([rec, message]);
      }
      if (devices.length === 0) return 0;
      await this.target.writeDurably([...parts, { table: DEVICES_TABLE, rows: 'stored', readings: devices }]);
      for (const [rec, message] of sent) {
        rec.downNext = message.id + 1;
        rec.pending.push(message);
        this.known.set(rec.device, rec);
      }
      return device === '*' ? sent.length : sent[0]![1].id;
    });
  }

  /** The downlink delivery for `device`: its unacknowledged messages in order, or null. */
  pendingDown(device: string): Uint8Array | null {
    const rec = this.known.get(device);
    if (!rec || rec.pending.length === 0) return null;
    return encodeDownDelivery({ device, messages: rec.pending });
  }

  /** Takes a device's answer to a delivery: the messages up to its `upTo` are done. */
  receiveDownAck(bytes: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const ack = decodeDownAck(bytes);
      const rec = this.known.get(ack.device);
      if (!rec) return;
      const upTo = Math.min(ack.upTo, rec.downNext - 1);
      if (upTo <= rec.downAcked) return;
      await this.target.writeDurably([
        { table: DEVICES_TABLE, rows: 'stored', readings: [deviceRow({ ...rec, downAcked: upTo })] },
      ]);
      rec.downAcked = upTo;
      rec.pending = rec.pending.filter((m) => m.id > upTo);
      await this.target.deleteRows(DOWN_TABLE, { to: FAR_FUTURE + upTo, tags: { device: rec.device } });
    });
  }

  /** Waits for the call in progress; the database stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new InvalidInputError('This sync hub is closed.'));
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async applyOne(bytes: Uint8Array): Promise<{ ack: SyncAck; applied: readonly AppliedTable[] }> {
    const meta = readSyncBatchMeta(bytes);
    const rec = this.known.get(meta.device);
    const answer = (status: SyncAck['status'], extra: Partial<SyncAck> = {}) => ({
      ack: { device: meta.device, epoch: meta.epoch, seq: meta.seq, status, ...extra } as SyncAck,
      applied: [] as AppliedTable[],
    });
    if (!DEVICE_ID.test(meta.device))
      return answer('rejected', { reason: `The device name ${JSON.stringify(meta.device)} is not valid.` });
    if (rec?.oldEpochs.includes(meta.epoch)) return answer('duplicate');
    const sameEpoch = rec !== undefined && rec.epoch === meta.epoch;
    let applied = sameEpoch ? rec.applied : new AppliedSeqs();
    if (this.group) {
      // any instance may have had the seqs before: apply what this one has not, in any order
      if (applied.has(meta.seq)) return answer('duplicate', { only: true });
      applied = applied.with(meta.seq);
    } else {
      const expected = sameEpoch ? rec.highSeq + 1 : 1;
      if (meta.seq < expected) return answer('duplicate');
      if (meta.seq > expected) return answer('gap', { expectSeq: expected });
    }
    const next: DeviceRecord = {
      ...(rec ?? newDevice(meta.device)),
      epoch: meta.epoch,
      highSeq: this.group && sameEpoch ? Math.max(rec.highSeq, meta.seq) : meta.seq,
      applied,
      lastAt: Date.now(),
      oldEpochs:
        rec && !sameEpoch && rec.epoch !== ''
          ? [...rec.oldEpochs, rec.epoch].slice(-16)
          : (rec?.oldEpochs ?? []),
    };
    if (meta.kind === 'gap') next.lostRows += meta.rows;
    let parts: SyncWritePart[];
    let tables: AppliedTable[];
    try {
      ({ parts, applied: tables } = await this.partsOf(
        meta,
        meta.kind === 'gap' ? [] : (await decodeSyncBatchSliced(bytes)).tables,
      ));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      return this.reject(meta, next, err.message, answer);
    }
    try {
      await this.writeBatch(parts, deviceRow(next));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      return this.reject(meta, next, err.message, answer);
    }
    this.known.set(meta.device, next);
    return { ack: answer('applied', this.group ? { only: true } : {}).ack, applied: tables };
  }

  /**
   * Writes a batch's rows and the device's new mark. A batch of up to writeChunkRows rows is one
   * WAL record with the mark, all or nothing. A bigger one goes in records of that many rows, the
   * mark with the last: a crash before it leaves the mark where it was, the edge sends the batch
   * again, and its rows replace themselves by identity (docs/sync.md, "Exactly once at the hub").
   */
  private async writeBatch(parts: readonly SyncWritePart[], mark: StoredReading): Promise<void> {
    const markPart: SyncWritePart = { table: DEVICES_TABLE, rows: 'stored', readings: [mark] };
    let group: SyncWritePart[] = [];
    let rows = 0;
    for (const part of parts) {
      for (let at = 0; at < part.readings.length; ) {
        const take = Math.min(this.chunkRows - rows, part.readings.length - at);
        group.push({ table: part.table, rows: 'stored', readings: part.readings.slice(at, at + take) });
        rows += take;
        at += take;
        if (rows >= this.chunkRows) {
          const last = at >= part.readings.length && part === parts[parts.length - 1];
          await this.target.writeDurably(last ? [...group, markPart] : group);
          if (last) return;
          group = [];
          rows = 0;
        }
      }
    }
    await this.target.writeDurably([...group, markPart]);
  }

  /** Refuses a batch for good: its seq is used (so the ones after it go on), its rows are not. */
  private async reject(
    meta: SyncBatchMeta,
    next: DeviceRecord,
    reason: string,
    answer: (
      status: SyncAck['status'],
      extra?: Partial<SyncAck>,
    ) => { ack: SyncAck; applied: AppliedTable[] },
  ): Promise<{ ack: SyncAck; applied: readonly AppliedTable[] }> {
    await this.target.writeDurably([{ table: DEVICES_TABLE, rows: 'stored', readings: [deviceRow(next)] }]);
    this.known.set(meta.device, next);
    return answer('rejected', this.group ? { reason, only: true } : { reason });
  }

  private async partsOf(
    meta: SyncBatchMeta,
    tables: readonly SyncTable[],
  ): Promise<{ parts: SyncWritePart[]; applied: AppliedTable[] }> {
    const slicer = new TimeSlicer(8);
    const parts: SyncWritePart[] = [];
    const applied: AppliedTable[] = [];
    for (const table of tables) {
      if (table.table.startsWith('helios_sync')) continue;
      this.checkTypes(meta.device, table);
      const readings: StoredReading[] = [];
      let from = Number.POSITIVE_INFINITY;
      let to = Number.NEGATIVE_INFINITY;
      for (const series of table.series) {
        const tags = this.tagsFor(meta.device, table.table, series);
        for (let i = 0; i < series.count; i++) {
          const time = series.times[i]!;
          if (time < from) from = time;
          if (time > to) to = time;
          readings.push(rowOf(series, i, tags));
        }
        await slicer.maybeYield();
      }
      if (readings.length === 0) continue;
      parts.push({ table: table.table, rows: 'stored', readings });
      applied.push({ device: meta.device, table: table.table, rows: readings.length, from, to });
    }
    return { parts, applied };
  }

  /** Refuses, before anything is written, a field whose type differs from the hub's column. */
  private checkTypes(device: string, table: SyncTable): void {
    const hub = this.target.fieldTypes(table.table);
    for (const [name, type] of table.fieldTypes) {
      const known = hub.get(name);
      if (known !== undefined && known !== type) {
        throw new InvalidInputError(
          `Column "${name}" of table "${table.table}" holds ${known} values at the hub, but device "${device}" ` +
            `sends ${type} values. Send ${known} values for "${name}" from the edge, or write this value to a new column or table.`,
        );
      }
    }
  }

  private tagsFor(device: string, table: string, series: SyncSeries): Record<string, string> {
    const tag = this.deviceTag;
    if (tag === null) return { ...series.tags };
    const own = series.tags[tag];
    if (own !== undefined && own !== device) {
      throw new InvalidInputError(
        `Table "${table}" of device "${device}" already has a tag "${tag}" (= "${own}"), which the hub would overwrite. ` +
          'Give the hub another deviceTag (or null), or rename the tag at the edge.',
      );
    }
    return { ...series.tags, [tag]: device };
  }
}

function checkDevice(device: string): string {
  if (typeof device !== 'string' || !DEVICE_ID.test(device)) {
    throw new InvalidInputError(
      `A device name is 1-64 letters, digits, '.', '_' or '-', or '*' for all (got ${JSON.stringify(device)}).`,
    );
  }
  return device;
}

function newDevice(device: string): DeviceRecord {
  return {
    device,
    epoch: '',
    highSeq: 0,
    lastAt: 0,
    lostRows: 0,
    oldEpochs: [],
    downAcked: 0,
    downNext: 1,
    pending: [],
    applied: new AppliedSeqs(),
  };
}

/** The device's mark as the one row of its series (at FAR_FUTURE), replaced whole on every change. */
function deviceRow(rec: DeviceRecord): StoredReading {
  return {
    time: FAR_FUTURE,
    tags: { device: rec.device },
    rowid: null,
    fields: {
      epoch: rec.epoch,
      high_seq: rec.highSeq,
      last_at: rec.lastAt,
      lost_rows: rec.lostRows,
      old_epochs: rec.oldEpochs.join(','),
      down_acked: rec.downAcked,
      down_next: rec.downNext,
      applied: rec.applied.toString(),
    },
  };
}

/** Row `i` of a series as a StoredReading (its rowid and delete marker kept, ints as bigints). */
function rowOf(series: SyncSeries, i: number, tags: Record<string, string>): StoredReading {
  const time = series.times[i]!;
  const id = series.rowids?.[i];
  const rowid = id === undefined || Number.isNaN(id) ? null : id;
  if (series.deleted?.[i]) return { time, tags, fields: {}, rowid, deleted: true };
  const fields: Record<string, unknown> = {};
  for (const [name, column] of series.fields) {
    if (column.present && !column.present[i]) continue;
    fields[name] = cellValue(column, i);
  }
  return { time, tags, fields, rowid };
}

function cellValue(column: FieldColumn, i: number): unknown {
  switch (column.type) {
    case 'float':
      return (column.values as Float64Array)[i];
    case 'int':
      return BigInt((column.values as Float64Array)[i]!);
    case 'bool':
      return (column.values as Uint8Array)[i] === 1;
    case 'string':
      return (column.values as string[])[i];
  }
}

/** How many of a device's newest seqs a group hub remembers having applied. */
const GROUP_WINDOW = 1024;

/**
 * The seqs a group hub applied, the newest GROUP_WINDOW of them: a set of ranges, kept as text
 * ("1-5,8,10-12") in the device's mark. A seq older than the window is not known, and a batch of
 * it is applied again: its rows replace themselves by identity, so forgetting costs a rewrite,
 * never a row (docs/sync.md, "A group of hubs").
 */
class AppliedSeqs {
  constructor(private readonly ranges: ReadonlyArray<readonly [number, number]> = []) {}

  static parse(text: string): AppliedSeqs {
    const ranges: Array<[number, number]> = [];
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (Number.isInteger(a) && a! > 0) ranges.push([a!, Number.isInteger(b) ? b! : a!]);
    }
    return new AppliedSeqs(ranges);
  }

  has(seq: number): boolean {
    return this.ranges.some(([a, b]) => seq >= a && seq <= b);
  }

  /** A new set with `seq` in it, ranges merged, the ones below the window dropped. */
  with(seq: number): AppliedSeqs {
    const all = [...this.ranges, [seq, seq] as const].sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const [a, b] of all) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    const floor = merged[merged.length - 1]![1] - GROUP_WINDOW;
    return new AppliedSeqs(
      merged.filter(([, b]) => b > floor).map(([a, b]) => [Math.max(a, floor + 1), b] as const),
    );
  }

  toString(): string {
    return this.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
  }
}

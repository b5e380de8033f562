import type { BatchSeries } from '../ingest/prepare-batch';
import { DELETED_FIELD, ROWID_FIELD, rowidKey } from '../rows/identity';
import { sortAndDedupe } from '../rows/merge';
import type { ColumnType, FieldColumn, SeriesRows } from '../types';
import {
  elementBytes,
  type HeadSpace,
  newArray,
  REGION_ROWS,
  SLAB_MASK,
  type Slab,
  type SlabKind,
} from './slabs';

/**
 * Bytes a head series costs beyond its rows' regions (its buffer, columns, maps and the small
 * arrays of its region list and zone map), for the memory budget: measured at about 1.3 KiB of
 * heap a series with 10,000 one-field series (issue #19, M3; it was counted as 200).
 */
const SERIES_OVERHEAD_BYTES = 1400;
/** Bytes a string slot costs (a pointer; the text itself is not counted). */
const STRING_SLOT_BYTES = 8;
/** Bytes a zone-map entry (a region's least and greatest time) costs. */
const ZONE_ENTRY_BYTES = 16;
const REGION_SHIFT = Math.log2(REGION_ROWS);
const REGION_MASK = REGION_ROWS - 1;

function nextPowerOfTwo(n: number): number {
  let p = REGION_ROWS;
  while (p < n) p *= 2;
  return p;
}

/**
 * A float64 or byte column of a head series. Its rows live in 64-row regions of the head's slabs
 * until a reader asks for them; readers get views, which the next head must not overwrite, so the
 * first reader moves the rows to an array of the column's own, which then grows by doubling.
 */
class TypedColumn {
  /** where each region starts in the head's slabs of this kind */
  private regions: number[] = [];
  /** the column's own array, once owned */
  private array: Slab | null = null;

  constructor(
    readonly kind: SlabKind,
    private readonly space: HeadSpace,
    private owned: boolean,
  ) {}

  /** Adds regions until `capacity` rows fit, or grows the own array to `capacity`. */
  extend(capacity: number, count: number): void {
    if (this.owned) this.grow(capacity, count);
    else while (this.regions.length * REGION_ROWS < capacity) this.regions.push(this.space.region(this.kind));
  }

  /** Rows [at, at + n) from src[from, from + n). */
  write(at: number, src: ArrayLike<number>, from: number, n: number): void {
    const end = from + n;
    if (this.array) {
      const array = this.array;
      for (let i = from, row = at; i < end; i++, row++) array[row] = src[i]!;
      return;
    }
    for (let i = from, row = at; i < end; ) {
      const start = this.regions[row >>> REGION_SHIFT]! + (row & REGION_MASK);
      const slab = this.space.slab(this.kind, start);
      const stop = Math.min(end, i + REGION_ROWS - (row & REGION_MASK));
      row += stop - i;
      for (let pos = start & SLAB_MASK; i < stop; ) slab[pos++] = src[i++]!;
    }
  }

  /** Rows [at, at + n) set to `value`. */
  fill(at: number, n: number, value: number): void {
    if (this.array) {
      this.array.fill(value, at, at + n);
      return;
    }
    for (let row = at; row < at + n; ) {
      const start = this.regions[row >>> REGION_SHIFT]! + (row & REGION_MASK);
      const k = Math.min(at + n - row, REGION_ROWS - (row & REGION_MASK));
      this.space.slab(this.kind, start).fill(value, start & SLAB_MASK, (start & SLAB_MASK) + k);
      row += k;
    }
  }

  /** Rows [0, count) copied into `out`. */
  copyTo(out: Slab, count: number): void {
    if (this.array) {
      out.set(this.array.subarray(0, count));
      return;
    }
    for (let row = 0; row < count; ) {
      const start = this.regions[row >>> REGION_SHIFT]!;
      const slab = this.space.slab(this.kind, start);
      const stop = Math.min(count, row + REGION_ROWS);
      for (let pos = start & SLAB_MASK; row < stop; ) out[row++] = slab[pos++]!;
    }
  }

  /** Moves rows [0, count) to an array of its own of `capacity` rows; the regions stay the head's. */
  own(capacity: number, count: number): void {
    if (this.owned) return;
    const array = this.allocate(capacity);
    this.copyTo(array, count);
    this.array = array;
    this.regions = [];
    this.owned = true;
  }

  private grow(capacity: number, count: number): void {
    const old = this.array;
    if (old && capacity <= old.length) return;
    const array = this.allocate(capacity);
    if (old) {
      array.set(old.subarray(0, count));
      this.space.bytes -= old.length * elementBytes(this.kind);
    }
    this.array = array;
  }

  private allocate(capacity: number): Slab {
    this.space.bytes += capacity * elementBytes(this.kind);
    return newArray(this.kind, capacity);
  }

  /** The value at `row` (< count), wherever it lives. */
  get(row: number): number {
    if (this.array) return this.array[row]!;
    const start = this.regions[row >>> REGION_SHIFT]! + (row & REGION_MASK);
    return this.space.slab(this.kind, start)[start & SLAB_MASK]!;
  }

  /** Rows [0, count) as a view; only once owned. */
  view(count: number): Slab {
    return this.array!.subarray(0, count);
  }
}

/** A string column: a growable array of its own (strings live in V8's heap, not in slabs). */
class StringColumn {
  values: string[] = [];

  constructor(private readonly space: HeadSpace) {}

  extend(capacity: number, count: number): void {
    if (capacity <= this.values.length) return;
    const next = new Array<string>(nextPowerOfTwo(capacity)).fill('');
    for (let i = 0; i < Math.min(count, this.values.length); i++) next[i] = this.values[i]!;
    this.space.bytes += (next.length - this.values.length) * STRING_SLOT_BYTES;
    this.values = next;
  }

  write(at: number, src: readonly string[], n: number): void {
    for (let i = 0; i < n; i++) this.values[at + i] = src[i]!;
  }
}

/** One field of a head series: its values and, once some row lacks a value, a presence column. */
class FieldBuffer {
  readonly values: TypedColumn | StringColumn;
  present: TypedColumn | null = null;

  /** A field first written at row `at` of a series with room for `capacity` rows. */
  constructor(
    readonly type: ColumnType,
    private readonly space: HeadSpace,
    private owned: boolean,
    at: number,
    capacity: number,
  ) {
    this.values =
      type === 'string'
        ? new StringColumn(space)
        : new TypedColumn(type === 'bool' ? 'u8' : 'f64', space, owned);
    this.values.extend(capacity, at);
    if (at > 0) this.makePresence(capacity); // the rows before it have no value: zeros
  }

  /** Appends `n` rows from `src` at row `at` (`capacity` rows are reserved). */
  append(src: FieldColumn | undefined, at: number, n: number, capacity: number): void {
    if (!src) {
      this.presence(at, capacity).fill(at, n, 0);
      return;
    }
    if (src.present) this.presence(at, capacity).write(at, src.present, 0, n);
    else this.present?.fill(at, n, 1);
    if (this.values instanceof StringColumn) this.values.write(at, src.values as string[], n);
    else this.values.write(at, src.values as Float64Array | Uint8Array, 0, n);
  }

  /** The presence column; made on first need, where every row before `at` had a value. */
  private presence(at: number, capacity: number): TypedColumn {
    if (this.present) return this.present;
    const present = this.makePresence(capacity);
    present.fill(0, at, 1);
    return present;
  }

  private makePresence(capacity: number): TypedColumn {
    this.present = new TypedColumn('u8', this.space, this.owned);
    this.present.extend(capacity, 0);
    return this.present;
  }

  extend(capacity: number, count: number): void {
    this.values.extend(capacity, count);
    this.present?.extend(capacity, count);
  }

  /** True when row `row` has a value (a typed column's). */
  hasTrue(row: number): boolean {
    if (this.present && this.present.get(row) !== 1) return false;
    return this.values instanceof TypedColumn && this.values.get(row) !== 0;
  }

  /** True when row `row` has a value. */
  has(row: number): boolean {
    return this.present === null || this.present.get(row) === 1;
  }

  own(capacity: number, count: number): void {
    if (this.values instanceof TypedColumn) this.values.own(capacity, count);
    else this.values.extend(capacity, count);
    this.present?.own(capacity, count);
    this.owned = true;
  }
}

/** Flush-owned arrays that a series' rows are copied into, one series at a time. */
export class RowScratch {
  private readonly arrays = new Map<string, Slab>();

  /** An array of at least `rows` rows for `name`; its contents are the caller's to overwrite. */
  get(name: string, kind: SlabKind, rows: number): Slab {
    let array = this.arrays.get(name);
    if (!array || array.length < rows) {
      const capacity = nextPowerOfTwo(rows);
      array = newArray(kind, capacity);
      this.arrays.set(name, array);
    }
    return array;
  }
}

/**
 * The unflushed rows of one series, in arrival order. Rows before `count` are never changed in
 * place, so a reader holding a view is not disturbed by later appends; sorting and
 * de-duplication produce new arrays. No reader ever sees the head's shared slabs: the first one
 * to ask moves the series to arrays of its own.
 */
export class SeriesBuffer {
  count = 0;
  readonly fields = new Map<string, FieldBuffer>();
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  /** LSN of the last batch that wrote to this series */
  lastLsn = 0;
  /** rowid of the row at `maxTime` that came last in (time, rowid) order; -Infinity for none */
  private maxRowid = Number.NEGATIVE_INFINITY;
  /** true while (time, rowid) is strictly increasing (no sort or de-duplication needed) */
  ordered = true;
  /**
   * The least and greatest time of each 64-row region of rows (a zone map): a writer asking what
   * is stored at a few late times reads only the regions whose range holds them.
   */
  private readonly regionMin: number[] = [];
  private readonly regionMax: number[] = [];
  private readonly times: TypedColumn;
  /** rows the columns have room for */
  private capacity = 0;
  /** true once a reader has asked: the columns are arrays of their own */
  private owned = false;
  private normalized: SeriesRows | null = null;

  constructor(
    readonly key: string,
    readonly tags: Readonly<Record<string, string>>,
    private readonly space: HeadSpace,
  ) {
    this.times = new TypedColumn('f64', space, false);
    space.bytes += SERIES_OVERHEAD_BYTES;
  }

  append(batch: BatchSeries): void {
    const n = batch.count;
    if (n === 0) return;
    const at = this.count;
    this.reserve(at + n);
    this.trackOrder(batch.times, n, batch.fields.get(ROWID_FIELD));
    this.times.write(at, batch.times, 0, n);
    this.mapRegions(at, batch.times, n);
    for (const [name, src] of batch.fields) {
      if (!this.fields.has(name)) {
        this.fields.set(name, new FieldBuffer(src.type, this.space, this.owned, at, this.capacity));
      }
    }
    for (const [name, field] of this.fields) field.append(batch.fields.get(name), at, n, this.capacity);
    this.count += n;
    this.normalized = null;
  }

  /** Widens the zone map by rows [at, at + n), whose times are times[0, n). */
  private mapRegions(at: number, times: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const region = (at + i) >>> REGION_SHIFT;
      const t = times[i]!;
      if (region === this.regionMin.length) {
        this.regionMin.push(t);
        this.regionMax.push(t);
        this.space.bytes += ZONE_ENTRY_BYTES;
      } else {
        if (t < this.regionMin[region]!) this.regionMin[region] = t;
        if (t > this.regionMax[region]!) this.regionMax[region] = t;
      }
    }
  }

  private trackOrder(times: Float64Array, n: number, ids: FieldColumn | undefined): void {
    let last = this.maxTime;
    let lastId = this.maxRowid;
    for (let i = 0; i < n; i++) {
      const t = times[i]!;
      const id = rowidKey(ids, i);
      if (t > last || (t === last && id > lastId)) {
        last = t;
        lastId = id;
      } else {
        this.ordered = false;
      }
      if (t < this.minTime) this.minTime = t;
    }
    if (last > this.maxTime || (last === this.maxTime && lastId > this.maxRowid)) {
      this.maxTime = last;
      this.maxRowid = lastId;
    }
  }

  /**
   * For each of `times` in [from, to] that rows without a rowid were written at: true when the
   * last of them is a row, false when it is a delete marker. Reads the rows where they are, in
   * arrival order (the later write wins), so a writer asking costs neither a sort nor a copy.
   */
  lastWritesAt(times: ReadonlySet<number>, from: number, to: number): Map<number, boolean> {
    const out = new Map<number, boolean>();
    if (this.count === 0 || to < this.minTime || from > this.maxTime) return out;
    const ids = this.fields.get(ROWID_FIELD);
    const deleted = this.fields.get(DELETED_FIELD);
    for (let region = 0; region < this.regionMin.length; region++) {
      if (this.regionMax[region]! < from || this.regionMin[region]! > to) continue;
      const end = Math.min(this.count, (region + 1) * REGION_ROWS);
      for (let i = region * REGION_ROWS; i < end; i++) {
        const t = this.times.get(i);
        if (t < from || t > to || !times.has(t) || ids?.has(i)) continue;
        out.set(t, !deleted?.hasTrue(i));
      }
    }
    return out;
  }

  /** Makes room for `rows`: whole regions, or doubling once the columns are owned. */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = this.owned
      ? Math.max(nextPowerOfTwo(rows), this.capacity * 2)
      : Math.ceil(rows / REGION_ROWS) * REGION_ROWS;
    this.times.extend(capacity, this.count);
    for (const field of this.fields.values()) field.extend(capacity, this.count);
    this.capacity = capacity;
  }

  /**
   * The rows sorted by (time, rowid) with one row per identity: the last written wins (its whole
   * row, as a replacing write). Delete markers are kept: they must still hide older sources. Views of arrays later appends leave alone; cached until the next append.
   */
  rows(): SeriesRows {
    this.space.checkReadable();
    if (this.normalized) return this.normalized;
    this.own();
    const fields = new Map<string, FieldColumn>();
    for (const [name, field] of this.fields) {
      const values =
        field.values instanceof StringColumn
          ? field.values.values.slice(0, this.count)
          : field.values.view(this.count);
      const present = (field.present?.view(this.count) as Uint8Array | undefined) ?? null;
      fields.set(name, { type: field.type, values, present });
    }
    const times = this.times.view(this.count) as Float64Array;
    let rows: SeriesRows = { tags: this.tags, count: this.count, times, fields };
    if (!this.ordered) rows = sortAndDedupe(rows);
    this.normalized = rows;
    return rows;
  }

  /**
   * The rows as `rows()` gives them, for the flush: while no reader has asked, copied into
   * `scratch` (valid until its next use) so that the head's slabs never leave it.
   */
  flushRows(scratch: RowScratch): SeriesRows {
    this.space.checkReadable();
    if (this.owned || this.normalized) return this.rows();
    const n = this.count;
    const times = scratch.get('time', 'f64', n) as Float64Array;
    this.times.copyTo(times, n);
    const fields = new Map<string, FieldColumn>();
    for (const [name, field] of this.fields) {
      let values: FieldColumn['values'];
      if (field.values instanceof StringColumn) values = field.values.values.slice(0, n);
      else {
        values = scratch.get(`v:${name}`, field.values.kind, n);
        field.values.copyTo(values, n);
      }
      let present: Uint8Array | null = null;
      if (field.present) {
        present = scratch.get(`p:${name}`, 'u8', n) as Uint8Array;
        field.present.copyTo(present, n);
      }
      fields.set(name, {
        type: field.type,
        values: cut(values, n),
        present: present?.subarray(0, n) ?? null,
      });
    }
    const rows: SeriesRows = { tags: this.tags, count: n, times: times.subarray(0, n), fields };
    return this.ordered ? rows : sortAndDedupe(rows);
  }

  /** Moves every column to arrays of its own, with room to grow (the regions stay the head's). */
  private own(): void {
    if (this.owned) return;
    const capacity = nextPowerOfTwo(this.count);
    this.times.own(capacity, this.count);
    for (const field of this.fields.values()) field.own(capacity, this.count);
    this.capacity = capacity;
    this.owned = true;
  }
}

function cut(values: FieldColumn['values'], n: number): FieldColumn['values'] {
  return Array.isArray(values) ? values : (values as Slab).subarray(0, n);
}

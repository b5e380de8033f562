import type { BatchSeries } from '../ingest';
import type { ColumnType, FieldColumn, SeriesRows } from '../types';

const INITIAL_ROWS = 64;

/** A growable column of one series in the head. */
class ColumnBuffer {
  values: Float64Array | Uint8Array | string[];
  /** null while every row so far has a value */
  present: Uint8Array | null = null;

  constructor(
    readonly type: ColumnType,
    capacity: number,
    rowsBefore: number,
  ) {
    this.values = allocate(type, capacity);
    if (rowsBefore > 0) this.present = new Uint8Array(capacity); // earlier rows lack this field
  }

  grow(capacity: number, count: number): void {
    const next = allocate(this.type, capacity);
    if (Array.isArray(next)) {
      const src = this.values as string[];
      for (let i = 0; i < count; i++) next[i] = src[i]!;
    } else {
      next.set((this.values as Float64Array | Uint8Array).subarray(0, count));
    }
    this.values = next;
    if (this.present) {
      const present = new Uint8Array(capacity);
      present.set(this.present.subarray(0, count));
      this.present = present;
    }
  }

  /** Appends `n` rows from `src` at row `at`. */
  append(src: FieldColumn | undefined, at: number, n: number, capacity: number): void {
    if (!src) {
      this.markPresence(null, at, n, capacity);
      return;
    }
    if (src.present) this.markPresence(src.present, at, n, capacity);
    else this.present?.fill(1, at, at + n);
    if (Array.isArray(this.values)) {
      const from = src.values as string[];
      for (let i = 0; i < n; i++) this.values[at + i] = from[i]!;
    } else {
      this.values.set((src.values as Float64Array | Uint8Array).subarray(0, n), at);
    }
  }

  private markPresence(present: Uint8Array | null, at: number, n: number, capacity: number): void {
    if (!this.present) this.present = new Uint8Array(capacity).fill(1, 0, at);
    if (present) this.present.set(present.subarray(0, n), at);
    else this.present.fill(0, at, at + n);
  }

  view(count: number): FieldColumn {
    const values = Array.isArray(this.values)
      ? this.values.slice(0, count)
      : (this.values as Float64Array | Uint8Array).subarray(0, count);
    return { type: this.type, values, present: this.present ? this.present.subarray(0, count) : null };
  }
}

function allocate(type: ColumnType, capacity: number): Float64Array | Uint8Array | string[] {
  if (type === 'string') return new Array<string>(capacity).fill('');
  return type === 'bool' ? new Uint8Array(capacity) : new Float64Array(capacity);
}

/**
 * The unflushed rows of one series: columns in growable typed arrays, in arrival order. Rows
 * before `count` are never changed in place, so a reader holding a view is not disturbed by later
 * appends; sorting and de-duplication produce new arrays.
 */
export class SeriesBuffer {
  count = 0;
  times: Float64Array = new Float64Array(INITIAL_ROWS);
  readonly fields = new Map<string, ColumnBuffer>();
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  /** LSN of the last batch that wrote to this series */
  lastLsn = 0;
  /** true while times are strictly increasing (no sort or de-duplication needed) */
  ordered = true;
  private normalized: SeriesRows | null = null;

  constructor(
    readonly key: string,
    readonly tags: Readonly<Record<string, string>>,
  ) {}

  append(batch: BatchSeries): void {
    const n = batch.count;
    if (n === 0) return;
    this.reserve(this.count + n);
    const at = this.count;
    this.trackOrder(batch.times, n);
    this.times.set(batch.times.subarray(0, n), at);
    for (const [name, src] of batch.fields) {
      if (!this.fields.has(name)) this.fields.set(name, new ColumnBuffer(src.type, this.times.length, at));
    }
    for (const [name, column] of this.fields) column.append(batch.fields.get(name), at, n, this.times.length);
    this.count += n;
    this.normalized = null;
  }

  private trackOrder(times: Float64Array, n: number): void {
    let last = this.maxTime;
    for (let i = 0; i < n; i++) {
      const t = times[i]!;
      if (t <= last) this.ordered = false;
      else last = t;
      if (t < this.minTime) this.minTime = t;
    }
    if (last > this.maxTime) this.maxTime = last;
  }

  private reserve(rows: number): void {
    if (rows <= this.times.length) return;
    let capacity = this.times.length * 2;
    while (capacity < rows) capacity *= 2;
    const times = new Float64Array(capacity);
    times.set(this.times.subarray(0, this.count));
    this.times = times;
    for (const column of this.fields.values()) column.grow(capacity, this.count);
  }

  /**
   * The rows sorted by time with one row per time: the last written wins (its whole row, as a
   * replacing write). Cached until the next append.
   */
  rows(): SeriesRows {
    if (this.normalized) return this.normalized;
    const fields = new Map<string, FieldColumn>();
    for (const [name, column] of this.fields) fields.set(name, column.view(this.count));
    let rows: SeriesRows = {
      tags: this.tags,
      count: this.count,
      times: this.times.subarray(0, this.count),
      fields,
    };
    if (!this.ordered) rows = sortAndDedupe(rows);
    this.normalized = rows;
    return rows;
  }

  /** Bytes held by this buffer's arrays, for the memory budget (strings: the slot, not the text). */
  bytes(): number {
    let perRow = 8;
    for (const column of this.fields.values()) {
      perRow += column.type === 'bool' ? 1 : 8;
      if (column.present) perRow += 1;
    }
    return this.times.length * perRow + 200;
  }
}

/** Stable sort by time keeping the last row (by arrival) of equal times. */
export function sortAndDedupe(rows: SeriesRows): SeriesRows {
  const n = rows.count;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const t = rows.times;
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = order[i]!;
    if (i + 1 < n && t[order[i + 1]!] === t[row]) continue; // a later write of this time follows
    keep.push(row);
  }
  return takeRows(rows, keep);
}

/** A new SeriesRows of the rows at `indexes`, in that order. */
export function takeRows(rows: SeriesRows, indexes: readonly number[]): SeriesRows {
  const m = indexes.length;
  const times = new Float64Array(m);
  for (let i = 0; i < m; i++) times[i] = rows.times[indexes[i]!]!;
  const fields = new Map<string, FieldColumn>();
  for (const [name, column] of rows.fields) fields.set(name, takeColumn(column, indexes));
  return { tags: rows.tags, count: m, times, fields };
}

function takeColumn(column: FieldColumn, indexes: readonly number[]): FieldColumn {
  const m = indexes.length;
  const values = allocate(column.type, m);
  let present: Uint8Array | null = null;
  if (Array.isArray(values)) {
    const src = column.values as string[];
    for (let i = 0; i < m; i++) values[i] = src[indexes[i]!]!;
  } else {
    const src = column.values as Float64Array | Uint8Array;
    for (let i = 0; i < m; i++) values[i] = src[indexes[i]!]!;
  }
  if (column.present) {
    present = new Uint8Array(m);
    for (let i = 0; i < m; i++) present[i] = column.present[indexes[i]!]!;
  }
  return { type: column.type, values, present };
}

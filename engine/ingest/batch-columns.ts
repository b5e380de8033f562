/**
 * The columns of one series of a batch, gathered from the readings at its batch indexes: rowids,
 * delete marks, and each field's values (gathered from a BatchColumn) with a presence column once a
 * reading lacks one.
 */
import type { ColumnType, FieldColumn } from '../types';
import type { StoredReading } from './readings';

/** The rowids of the readings at `rows` (NaN: none); null when none of them has one. */
export function rowidColumn(ids: Float64Array, rows: readonly number[]): FieldColumn | null {
  const n = rows.length;
  const values = new Float64Array(n);
  let present: Uint8Array | null = null;
  let seen = 0;
  for (let j = 0; j < n; j++) {
    const id = ids[rows[j]!]!;
    if (Number.isNaN(id)) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
    } else {
      values[j] = id;
      seen++;
    }
  }
  return seen === 0 ? null : { type: 'int', values, present };
}

/** The delete marks of the readings at `rows`: 1 for a marker, absent for a row. */
export function markerColumn(readings: readonly StoredReading[], rows: readonly number[]): FieldColumn {
  const n = rows.length;
  const values = new Uint8Array(n);
  const present = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (readings[rows[j]!]!.deleted === true) values[j] = present[j] = 1;
  }
  return { type: 'bool', values, present };
}

/**
 * One field's values over a whole batch, by reading index, filled while the readings are checked:
 * the columns of each series are then gathered from it by index, not read again from the readings'
 * objects (a property lookup by name on objects of many shapes, per field and reading).
 */
export class BatchColumn {
  readonly values: Float64Array | Uint8Array | string[];
  /** 1 where the reading gave a value (null and absent are 0) */
  readonly present: Uint8Array;

  constructor(
    readonly type: ColumnType,
    readings: number,
  ) {
    this.present = new Uint8Array(readings);
    if (type === 'string') this.values = new Array<string>(readings);
    else this.values = type === 'bool' ? new Uint8Array(readings) : new Float64Array(readings);
  }

  /** Keeps reading `i`'s value, already checked to be of the column's kind. */
  set(i: number, value: unknown): void {
    this.present[i] = 1;
    if (this.type === 'string') (this.values as string[])[i] = value as string;
    else if (this.type === 'bool') (this.values as Uint8Array)[i] = value ? 1 : 0;
    else (this.values as Float64Array)[i] = Number(value);
  }

  /**
   * The series' column from the readings at `rows`: numbers into `into` (a view of the batch's
   * array for this field) when given; null when none of them has a value.
   */
  gather(rows: readonly number[], into: Float64Array | null): FieldColumn | null {
    const n = rows.length;
    const present = this.present;
    let seen = 0;
    for (let j = 0; j < n; j++) seen += present[rows[j]!]!;
    if (seen === 0) return null;
    let flags: Uint8Array | null = null;
    if (seen < n) {
      flags = new Uint8Array(n);
      for (let j = 0; j < n; j++) flags[j] = present[rows[j]!]!;
    }
    return { type: this.type, values: this.pick(rows, into), present: flags };
  }

  private pick(rows: readonly number[], into: Float64Array | null): FieldColumn['values'] {
    const n = rows.length;
    if (this.type === 'string') {
      const src = this.values as string[];
      const out = new Array<string>(n);
      for (let j = 0; j < n; j++) out[j] = src[rows[j]!] ?? '';
      return out;
    }
    const src = this.values as Float64Array | Uint8Array;
    const out = into ?? (this.type === 'bool' ? new Uint8Array(n) : new Float64Array(n));
    for (let j = 0; j < n; j++) out[j] = src[rows[j]!]!;
    return out;
  }
}

/**
 * The columns of one series of a batch, gathered from the readings at its batch indexes: rowids,
 * delete marks, and each field's values with a presence column once a reading lacks one.
 */
import type { ColumnType, FieldColumn } from '../types';
import { getOwn } from '../util/own';
import type { Reading, StoredReading } from './readings';

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

/** The bool or string column of field `name` for the readings at `rows`; null when none has one. */
export function otherColumn(
  type: ColumnType,
  readings: readonly Reading[],
  rows: readonly number[],
  name: string,
): FieldColumn | null {
  const n = rows.length;
  const values: Uint8Array | string[] = type === 'string' ? new Array<string>(n).fill('') : new Uint8Array(n);
  let present: Uint8Array | null = null;
  let seen = 0;
  // only a name Object.prototype has (constructor, toString) needs the own-property check
  const inherited = name in Object.prototype;
  for (let j = 0; j < n; j++) {
    const v = inherited ? getOwn(readings[rows[j]!]!.fields, name) : readings[rows[j]!]!.fields[name];
    if (v === null || v === undefined) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
      continue;
    }
    seen++;
    if (type === 'bool') (values as Uint8Array)[j] = v ? 1 : 0;
    else (values as string[])[j] = v as string;
  }
  return seen === 0 ? null : { type, values, present };
}

/** The number column of field `name` for the readings at `rows`, into `values`; null when none has one. */
export function numberColumn(
  type: ColumnType,
  readings: readonly Reading[],
  rows: readonly number[],
  name: string,
  values: Float64Array,
): FieldColumn | null {
  const n = rows.length;
  let present: Uint8Array | null = null;
  let seen = 0;
  // only a name Object.prototype has (constructor, toString) needs the own-property check
  const inherited = name in Object.prototype;
  for (let j = 0; j < n; j++) {
    const v = inherited ? getOwn(readings[rows[j]!]!.fields, name) : readings[rows[j]!]!.fields[name];
    if (v === null || v === undefined) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
      continue;
    }
    seen++;
    values[j] = Number(v);
  }
  return seen === 0 ? null : { type, values, present };
}

/**
 * Choosing rows of a series: by index (copies) or by range (views). Both keep every column,
 * hidden ones included, and the series' tags.
 */
import type { ColumnType, FieldColumn, SeriesRows } from '../types';

/** A zeroed values array of `rows` rows for a column of `type` ('' for text). */
export function newValues(type: ColumnType, rows: number): FieldColumn['values'] {
  if (type === 'string') return new Array<string>(rows).fill('');
  return type === 'bool' ? new Uint8Array(rows) : new Float64Array(rows);
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
  const values = newValues(column.type, m);
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

/** Rows [start, end) as views (no copy for typed arrays; text values are copied). */
export function sliceRows(rows: SeriesRows, start: number, end: number): SeriesRows {
  const fields = new Map<string, FieldColumn>();
  for (const [name, column] of rows.fields) {
    const values = Array.isArray(column.values)
      ? column.values.slice(start, end)
      : (column.values as Float64Array | Uint8Array).subarray(start, end);
    fields.set(name, {
      type: column.type,
      values,
      present: column.present ? column.present.subarray(start, end) : null,
    });
  }
  return { tags: rows.tags, count: end - start, times: rows.times.subarray(start, end), fields };
}

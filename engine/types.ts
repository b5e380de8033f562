/**
 * Types shared by the storage layers (codec, segment, head) and the engine.
 */

/** The type of a field column. Tags are always strings and are not fields. */
export type ColumnType = 'float' | 'int' | 'bool' | 'string';

/**
 * One field column of a run of rows (a series' rows in the head, or a decoded chunk).
 * `values` has one slot per row; where `present` is given and `present[i] === 0` the row has no
 * value for this field (SQL NULL) and `values[i]` is meaningless.
 * - float, int: Float64Array (ints are safe integers held in a double)
 * - bool: Uint8Array of 0/1
 * - string: Array of strings (an absent row holds '')
 */
export interface FieldColumn {
  readonly type: ColumnType;
  readonly values: Float64Array | Uint8Array | string[];
  /** null means every row has a value. Else one byte per row: 1 present, 0 absent. */
  readonly present: Uint8Array | null;
}

/**
 * Rows of one series, sorted by (time, rowid) ascending with one row per identity (see
 * rows/identity.ts): times repeat only in rows with different rowids. Arrays may be longer
 * than `count`.
 */
export interface SeriesRows {
  readonly tags: Readonly<Record<string, string>>;
  readonly count: number;
  readonly times: Float64Array;
  readonly fields: ReadonlyMap<string, FieldColumn>;
}

/** Per-field statistics of a chunk; numeric ones only for float and int fields. */
export interface FieldStats {
  /** rows with a value */
  readonly count: number;
  /** rows without a value */
  readonly nulls: number;
  /**
   * min, max, sum over the values of float/int fields; undefined for bool/string, for no values,
   * and when a value is NaN (SQL would answer NaN: the rows must be read)
   */
  readonly min?: number;
  readonly max?: number;
  readonly sum?: number;
}

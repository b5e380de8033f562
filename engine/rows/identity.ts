/**
 * Row identity (docs/storage.md, "Row identity"). A row is identified by its series, its time and,
 * when it has one, its rowid: an engine-assigned integer kept in the hidden field ROWID_FIELD.
 * Rows of a series are ordered by (time, rowid), a row without a rowid first; a later write of the
 * same identity replaces the earlier one whole. A delete of chosen rows writes a marker (a row of
 * that identity with DELETED_FIELD set), which replaces the row like any later write and is
 * dropped from what readers see.
 *
 * Hidden names start with U+0001: no column a user writes can have it (control characters are
 * refused in names), so they never collide.
 */
import type { FieldColumn, FieldStats, SeriesRows } from '../types';

/** The rowid of a row, an int field; absent for rows identified by series and time alone. */
export const ROWID_FIELD = '\u0001rowid';
/** Set (true) on the marker that deletes the row of its identity. */
export const DELETED_FIELD = '\u0001deleted';

/** True for the engine's own hidden columns, which SQL and `read` never show. */
export function isHiddenName(name: string): boolean {
  return name.charCodeAt(0) === 1;
}

/** The rowid key of row `i` for ordering: its rowid, or -Infinity when it has none. */
export function rowidKey(ids: FieldColumn | undefined, i: number): number {
  if (!ids || (ids.present && !ids.present[i])) return Number.NEGATIVE_INFINITY;
  return (ids.values as Float64Array)[i]!;
}

/** True when rows are in strictly increasing (time, rowid) order: no sort or dedupe needed. */
export function inIdentityOrder(rows: SeriesRows): boolean {
  const t = rows.times;
  const ids = rows.fields.get(ROWID_FIELD);
  for (let i = 1; i < rows.count; i++) {
    if (t[i]! > t[i - 1]!) continue;
    if (t[i]! < t[i - 1]! || !ids) return false;
    if (!(rowidKey(ids, i) > rowidKey(ids, i - 1))) return false;
  }
  return true;
}

/** The indexes of `rows` sorted by (time, rowid, arrival), keeping the last write of each identity. */
export function latestByIdentity(rows: SeriesRows): number[] {
  // Rows come as a few runs in order (one per write, an UPDATE's versions after the rows they
  // replace): merging the runs beats a sort with a comparator by far.
  const runs = naturalRuns(rows, MERGE_RUNS);
  if (runs) return mergeRunsByIdentity(rows, runs)!;
  const n = rows.count;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const t = rows.times;
  const ids = rows.fields.get(ROWID_FIELD);
  if (ids) order.sort((a, b) => t[a]! - t[b]! || compareIds(ids, a, b) || a - b);
  else order.sort((a, b) => t[a]! - t[b]! || a - b);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = order[i]!;
    const next = i + 1 < n ? order[i + 1]! : -1;
    // a later write of this identity follows
    if (next >= 0 && t[next] === t[row] && rowidKey(ids, next) === rowidKey(ids, row)) continue;
    keep.push(row);
  }
  return keep;
}

/** Most runs latestByIdentity merges; past this it sorts. */
const MERGE_RUNS = 32;

/** Where the maximal runs in strictly increasing identity order start (and the end), or null past `most`. */
function naturalRuns(rows: SeriesRows, most: number): number[] | null {
  const t = rows.times;
  const ids = rows.fields.get(ROWID_FIELD);
  const starts = [0];
  for (let i = 1; i < rows.count; i++) {
    if (t[i]! > t[i - 1]! || (t[i] === t[i - 1] && rowidKey(ids, i) > rowidKey(ids, i - 1))) continue;
    if (starts.push(i) > most) return null;
  }
  starts.push(rows.count);
  return starts;
}

function compareIds(ids: FieldColumn | undefined, a: number, b: number): number {
  const x = rowidKey(ids, a);
  const y = rowidKey(ids, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Indexes of the rows that are not delete markers, or null when there are none to drop. */
export function liveRows(rows: SeriesRows): number[] | null {
  const marks = rows.fields.get(DELETED_FIELD);
  if (!marks) return null;
  const keep: number[] = [];
  for (let i = 0; i < rows.count; i++) if (!marksDeleted(marks, i)) keep.push(i);
  return keep;
}

/** True when row `i` of `marks` (a DELETED_FIELD column) is a delete marker. */
export function marksDeleted(marks: FieldColumn, i: number): boolean {
  return marks.values[i] === 1 && (!marks.present || marks.present[i] === 1);
}

/** True when a chunk's statistics count delete markers: its rows must be read, not summed. */
export function statsHaveMarkers(stats: ReadonlyMap<string, FieldStats>): boolean {
  return (stats.get(DELETED_FIELD)?.count ?? 0) > 0;
}

/** The largest rowid among `series`' rows, or null when none has one. */
export function maxRowidOf(
  series: ReadonlyArray<{ readonly count: number; readonly fields: ReadonlyMap<string, FieldColumn> }>,
): number | null {
  let max: number | null = null;
  for (const one of series) {
    const ids = one.fields.get(ROWID_FIELD);
    if (!ids) continue;
    for (let i = 0; i < one.count; i++) {
      if (ids.present && !ids.present[i]) continue;
      const id = ids.values[i] as number;
      if (max === null || id > max) max = id;
    }
  }
  return max;
}

/**
 * The indexes of `rows` (runs of it, each in identity order: run i is rows [starts[i],
 * starts[i + 1])) merged into identity order, keeping of each identity the row of the latest run:
 * a k-way merge, O(n log k), where a sort with a comparator costs O(n log n) and ~10x more per
 * step. Null when a run is not in identity order (sort then).
 */
export function mergeRunsByIdentity(rows: SeriesRows, starts: readonly number[]): number[] | null {
  const t = rows.times;
  const ids = rows.fields.get(ROWID_FIELD);
  const runs = starts.length - 1;
  for (let r = 0; r < runs; r++) {
    for (let i = starts[r]! + 1; i < starts[r + 1]!; i++) {
      if (t[i]! > t[i - 1]!) continue;
      if (t[i]! < t[i - 1]! || !(rowidKey(ids, i) > rowidKey(ids, i - 1))) return null;
    }
  }
  const at = starts.slice(0, runs);
  const keep: number[] = [];
  for (;;) {
    // the smallest identity at the runs' heads; on a tie, the latest run's row
    let best = -1;
    for (let r = 0; r < runs; r++) {
      const i = at[r]!;
      if (i >= starts[r + 1]!) continue;
      if (best < 0) {
        best = r;
        continue;
      }
      const j = at[best]!;
      const c = t[i]! - t[j]! || compareIds(ids, i, j);
      if (c <= 0) best = r;
    }
    if (best < 0) return keep;
    const chosen = at[best]!;
    keep.push(chosen);
    // every run's row of this identity is replaced by the chosen one: step past them all
    for (let r = 0; r < runs; r++) {
      const i = at[r]!;
      if (i < starts[r + 1]! && t[i] === t[chosen] && rowidKey(ids, i) === rowidKey(ids, chosen))
        at[r] = i + 1;
    }
  }
}

/**
 * Merging versions of a series' rows: sources concatenated in priority order (older LSNs first)
 * and reduced to one row per identity, the last write winning (rows/identity.ts). Delete markers
 * survive the merge, since they must still hide older sources; readers drop them last.
 */
import type { FieldColumn, SeriesRows } from '../types';
import { DELETED_FIELD, inIdentityOrder, latestByIdentity, liveRows, mergeRunsByIdentity } from './identity';
import { newValues, takeRows } from './take';

/**
 * Concatenates parts (in priority order) and, when they overlap, sorts keeping the last write of
 * each identity (series, time, rowid). Delete markers are kept; readers drop them after merging.
 */
export function mergeParts(tags: Readonly<Record<string, string>>, parts: readonly SeriesRows[]): SeriesRows {
  if (parts.length === 1) return parts[0]!;
  const joined = concatRows(tags, parts);
  if (inIdentityOrder(joined)) return joined;
  // each part is in identity order already (chunks, head rows): merge them rather than sort
  const starts = [0];
  for (const part of parts) starts.push(starts[starts.length - 1]! + part.count);
  const merged = mergeRunsByIdentity(joined, starts);
  return merged ? takeRows(joined, merged) : sortAndDedupe(joined);
}

/** Stable sort by (time, rowid) keeping the last row (by arrival) of each identity. */
export function sortAndDedupe(rows: SeriesRows): SeriesRows {
  return takeRows(rows, latestByIdentity(rows));
}

/** The rows without delete markers, and without the marker column: what readers see. */
export function dropMarkers(rows: SeriesRows): SeriesRows {
  const keep = liveRows(rows);
  if (!keep) return rows;
  const live = keep.length === rows.count ? rows : takeRows(rows, keep);
  const fields = new Map(live.fields);
  fields.delete(DELETED_FIELD);
  return { ...live, fields };
}

/**
 * The rows of `parts` one after another, as one SeriesRows of `tags` (new arrays). A field some
 * parts lack is absent in their rows.
 */
export function concatRows(tags: Readonly<Record<string, string>>, parts: readonly SeriesRows[]): SeriesRows {
  let count = 0;
  for (const part of parts) count += part.count;
  const times = new Float64Array(count);
  const fields = new Map<string, FieldColumn>();
  const types = new Map<string, FieldColumn['type']>();
  for (const part of parts) for (const [name, column] of part.fields) types.set(name, column.type);
  for (const [name, type] of types) fields.set(name, concatColumn(type, parts, name, count));
  let at = 0;
  for (const part of parts) {
    times.set(part.times.subarray(0, part.count), at);
    at += part.count;
  }
  return { tags, count, times, fields };
}

function concatColumn(
  type: FieldColumn['type'],
  parts: readonly SeriesRows[],
  name: string,
  count: number,
): FieldColumn {
  const values = newValues(type, count);
  let present: Uint8Array | null = null;
  let at = 0;
  for (const part of parts) {
    const column = part.fields.get(name);
    if (!column || column.present) {
      present ??= new Uint8Array(count).fill(1, 0, at);
      if (column?.present) present.set(column.present.subarray(0, part.count), at);
      else present.fill(0, at, at + part.count);
    } else if (present) {
      present.fill(1, at, at + part.count);
    }
    if (column) {
      if (Array.isArray(values)) {
        const src = column.values as string[];
        for (let i = 0; i < part.count; i++) values[at + i] = src[i]!;
      } else {
        values.set((column.values as Float64Array | Uint8Array).subarray(0, part.count), at);
      }
    }
    at += part.count;
  }
  return { type, values, present };
}

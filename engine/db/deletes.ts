/**
 * Deletes and drops. A delete is a WAL record and a tombstone with its LSN (storage/tombstones.ts):
 * it hides the rows written before it; segments it covers whole are removed at once, other rows
 * by compaction, and a tombstone that hides nothing any more is retired. DROP TABLE is a delete of
 * every row that also forgets the table.
 */
import type { ReadOptions } from '../read/scan';
import type { SegmentHandle } from '../storage/segment-set';
import type { DeleteSpec } from '../storage/tombstones';
import { appendRecord, whenDurable } from './append';
import { saveDeclarations } from './ddl';
import type { DbState } from './state';

/** Deletes rows of `table` in a time range and series. See Database.deleteRows. */
export async function deleteRows(
  s: DbState,
  table: string,
  options: ReadOptions = {},
): Promise<{ lsn: number }> {
  return recordDelete(s, {
    table,
    from: options.from ?? Number.NEGATIVE_INFINITY,
    to: options.to ?? Number.POSITIVE_INFINITY,
    tags: options.tags ?? null,
    dropTable: false,
  });
}

/** Removes a table: its rows, files and schema. See Database.dropTable. */
export async function dropTable(s: DbState, table: string): Promise<{ lsn: number }> {
  return recordDelete(s, {
    table,
    from: Number.NEGATIVE_INFINITY,
    to: Number.POSITIVE_INFINITY,
    tags: null,
    dropTable: true,
  });
}

async function recordDelete(s: DbState, spec: DeleteSpec): Promise<{ lsn: number }> {
  const wal = s.openWal();
  // Rows in the head so far were written before the delete: freeze them, so that the
  // tombstone's LSN separates every source into before and after.
  s.freezeActive();
  const { lsn, durable } = appendRecord(s, wal, { kind: 'delete', spec });
  s.changedAt.set(spec.table, lsn);
  s.tombstones.add({ ...spec, lsn });
  if (spec.dropTable) forgetTable(s, spec.table, lsn);
  await whenDurable(s, durable);
  await saveTombstones(s);
  if (s.declarationsChanged) await saveDeclarations(s);
  await dropHiddenSegments(s);
  return { lsn };
}

/** A delete record met while replaying the WAL: its tombstone (once), and the drop. */
export function replayDelete(s: DbState, spec: DeleteSpec, lsn: number): void {
  s.freezeActive();
  if (s.tombstones.add({ ...spec, lsn })) s.tombstonesChanged = true;
  if (spec.dropTable) forgetTable(s, spec.table, lsn);
}

/** Forgets a dropped table; `lsn` is the drop's: a declaration made after it stays. */
function forgetTable(s: DbState, table: string, lsn: number): void {
  const declared = s.declarations.get(table);
  const declaredSince = declared !== undefined && declared.lsn >= lsn;
  if (declared && !declaredSince) {
    s.declarations.delete(table);
    s.declarationsChanged = true;
  }
  s.catalog.tables.delete(table);
  s.resolvers.delete(table);
  s.seriesKeys.delete(table);
  // a table made again under this name numbers its rows from 1, as SQLite's does
  s.nextRowids.delete(table);
  s.newestTimes.delete(table);
  s.segmentNewestTimes.delete(table);
  if (declared && declaredSince)
    s.catalog.declare(table, declared.tags, declared.fields, declared.partitionMs, declared.sqlite ?? null);
}

/** Saves the tombstone list (after the save before it, see SaveChain). */
export function saveTombstones(s: DbState): Promise<void> {
  s.tombstonesChanged = false;
  return s.tombstoneSaves.save(s.tombstones.serialize());
}

/** Removes segments a tombstone hides whole (a table dropped, a time range deleted). */
export async function dropHiddenSegments(s: DbState): Promise<void> {
  const hidden: SegmentHandle[] = [];
  for (const handle of s.segments.all()) {
    const { table, maxLsn, minTime, maxTime } = handle.meta;
    const covering = s.tombstones
      .applying(table, {}, maxLsn, minTime, maxTime)
      .filter((t) => t.tags === null && t.from <= minTime && t.to >= maxTime);
    if (covering.length > 0) hidden.push(handle);
  }
  if (hidden.length === 0) return;
  s.segments.remove(hidden);
  for (const handle of hidden) await handle.retire();
}

/**
 * Drops tombstones that hide nothing any more: their WAL record is checkpointed (no replay can
 * bring back the rows they hide), and no segment written before them overlaps their range.
 */
export async function retireTombstones(s: DbState): Promise<void> {
  const changed = s.tombstones.retain((t) => {
    if (t.lsn > s.checkpointLsn) return true;
    for (const list of s.segments.partitionsOf(t.table).values()) {
      for (const h of list) {
        if (h.meta.maxLsn < t.lsn && h.meta.minTime <= t.to && h.meta.maxTime >= t.from) return true;
      }
    }
    return false;
  });
  if (changed || s.tombstonesChanged) await saveTombstones(s);
}

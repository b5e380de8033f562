/**
 * The port sync gets (SyncTarget in sync/port.ts), built from the database's state, and the rule
 * that keeps the WAL for it: log files are deleted only when both the checkpoint and every `sync:`
 * cursor are past them (docs/sync.md, "The change feed").
 */
import * as path from 'node:path';
import { WAL_DIR } from '../storage/layout';
import { releaseAll } from '../storage/segment-set';
import type { StoredData, SyncTarget } from '../sync/port';
import { setCursor, walRemovableUpTo } from './cursors';
import { visibleFields } from './ddl';
import { deleteRows } from './deletes';
import { readPlain } from './reads';
import type { DbState } from './state';
import { writeGroup } from './writes';

/** What sync reads and writes. */
export function syncPort(s: DbState): SyncTarget {
  return {
    dir: s.dir,
    walDir: path.join(s.dir, WAL_DIR),
    storedData: () => storedData(s),
    lastLsn: () => s.openWal().lastLsn,
    checkpointLsn: () => s.checkpointLsn,
    cursor: (name) => s.consumerCursors.get(name),
    setCursor: (name, lsn) => setCursor(s, name, lsn),
    releaseLog: () => s.openWal().removeUpTo(walRemovableUpTo(s)),
    writeDurably: async (parts) => {
      await writeGroup(s, parts);
      if (s.options.durability !== 'always') await s.openWal().sync();
    },
    fieldTypes: (table) => visibleFields(s.catalog.get(table)?.fields),
    read: (table) => readPlain(s, table),
    deleteRows: (table, options) => deleteRows(s, table, options),
  };
}

/**
 * The segments holding every row up to the checkpoint, taken in one synchronous step with it (a
 * file a flush or compaction made after the checkpoint may hold newer rows as well: they are sent
 * again by the feed, in order, and replace themselves by identity).
 */
function storedData(s: DbState): StoredData {
  const lsn = s.checkpointLsn;
  const handles = s.segments.all().filter((h) => h.meta.minLsn <= lsn);
  for (const h of handles) h.retain();
  return {
    lsn,
    files: handles.map((h) => ({
      path: h.reader.path,
      table: h.meta.table,
      minLsn: h.meta.minLsn,
      maxLsn: h.meta.maxLsn,
      rows: h.meta.rows,
    })),
    tombstones: [...s.tombstones.all],
    release: () => releaseAll(handles),
  };
}

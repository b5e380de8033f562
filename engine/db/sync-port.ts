/**
 * The port sync gets (SyncTarget in sync/port.ts), built from the database's state, and the rule
 * that keeps the WAL for it: log files are deleted only when both the checkpoint and every `sync:`
 * cursor are past them (docs/sync.md, "The change feed").
 */
import * as path from 'node:path';
import { WAL_DIR } from '../storage/layout';
import type { SyncTarget } from '../sync/port';
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

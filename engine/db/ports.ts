/**
 * The ports handed to the policies that run over the storage. Each consumer declares the port it
 * needs in its own room, below db/ (RetentionTarget in policy/retention.ts, DownsampleTarget in
 * policy/downsample.ts), so it never imports the database; this file builds one per consumer from
 * the database's state. sync/ and alarm/ get theirs here the same way: declare `SyncTarget` there,
 * add `syncPort(s): SyncTarget` here.
 */
import {
  type AlarmJournalTarget,
  JOURNAL_FIELDS,
  JOURNAL_TABLE,
  STATE_FIELDS,
  STATE_TABLE,
  STATE_TAGS,
} from '../alarm/journal';
import type { DownsampleTarget } from '../policy/downsample';
import type { PartitionInfo, RetentionTarget } from '../policy/retention';
import { lowestCursor } from './cursors';
import { createTable, tableNames, visibleFields } from './ddl';
import { deleteRows } from './deletes';
import { readPlain, scan, scanParts } from './reads';
import type { DbState } from './state';
import { diskBytes } from './stats';
import { writeGroup, writeRows } from './writes';

/** What retention reads and deletes: partitions, cursors, where unsynced rows start. */
export function retentionPort(s: DbState): RetentionTarget {
  return {
    tables: () => tableNames(s),
    partitions: (table) => partitionInfo(s, table),
    lowestCursor: () => lowestCursor(s),
    earliestWrittenAfter: (table, lsn) => earliestWrittenAfter(s, table, lsn),
    countRows: (table, from, to) => countRows(s, table, from, to),
    deleteRows: (table, options) => deleteRows(s, table, options),
    diskBytes: () => diskBytes(s),
  };
}

/** What downsampling reads and writes: the sources, the rollup tables, the rules' watermarks. */
export function downsamplePort(s: DbState): DownsampleTarget {
  return {
    tables: () => tableNames(s),
    fieldTypes: (table) => visibleFields(s.catalog.get(table)?.fields),
    lastLsn: () => s.openWal().lastLsn,
    rangesWrittenAfter: (table, lsn) => rangesWrittenAfter(s, table, lsn),
    scan: (table, options) => scan(s, table, options),
    // a recomputed bucket replaces the one written before: rollup rows have no rowids
    write: (table, readings) => writeRows(s, table, readings, 'none'),
    watermark: (key) => s.watermarks.get(key),
    saveWatermark: async (key, mark) => {
      s.watermarks.set(key, mark);
      await s.watermarkSaves.save(JSON.stringify(Object.fromEntries(s.watermarks)));
    },
  };
}

/** What the alarm journal writes and reads back on start: its two helios_ tables. */
export function alarmPort(s: DbState): AlarmJournalTarget {
  return {
    prepare: async () => {
      if (!s.catalog.get(JOURNAL_TABLE)) {
        await createTable(s, JOURNAL_TABLE, { fields: JOURNAL_FIELDS }, { ifNotExists: true });
      }
      if (!s.catalog.get(STATE_TABLE)) {
        await createTable(s, STATE_TABLE, { tags: STATE_TAGS, fields: STATE_FIELDS }, { ifNotExists: true });
      }
    },
    write: async (journal, states) => {
      await writeGroup(s, [
        { table: JOURNAL_TABLE, readings: journal, rows: 'auto' },
        { table: STATE_TABLE, readings: states, rows: 'none' },
      ]);
    },
    readStates: () => (s.catalog.get(STATE_TABLE) ? readPlain(s, STATE_TABLE) : Promise.resolve([])),
  };
}

function partitionInfo(s: DbState, table: string): PartitionInfo[] {
  return [...s.segments.partitionsOf(table).values()].map((list) => ({
    table,
    start: list[0]!.meta.partitionStart,
    end: list[0]!.meta.partitionEnd,
    bytes: list.reduce((n, h) => n + h.meta.bytes, 0),
    minTime: Math.min(...list.map((h) => h.meta.minTime)),
    maxTime: Math.max(...list.map((h) => h.meta.maxTime)),
    maxLsn: Math.max(...list.map((h) => h.meta.maxLsn)),
  }));
}

function earliestWrittenAfter(s: DbState, table: string, lsn: number): number | null {
  let earliest = Number.POSITIVE_INFINITY;
  for (const list of s.segments.partitionsOf(table).values()) {
    for (const h of list) if (h.meta.maxLsn > lsn) earliest = Math.min(earliest, h.meta.minTime);
  }
  for (const head of s.heads()) {
    for (const buffer of head.seriesOf(table)) {
      if (buffer.count > 0 && buffer.lastLsn > lsn) earliest = Math.min(earliest, buffer.minTime);
    }
  }
  return Number.isFinite(earliest) ? earliest : null;
}

/** Rows of `table` in [from, to]; whole chunks are counted from their statistics. */
async function countRows(s: DbState, table: string, from: number, to: number): Promise<number> {
  let rows = 0;
  for await (const series of scanParts(s, table, { from, to })) {
    for (const part of series.parts) rows += part.stats ? part.rows : (await part.load()).count;
  }
  return rows;
}

/** Time ranges of the sources (segment series, head series) holding rows written after `lsn`. */
function rangesWrittenAfter(s: DbState, table: string, lsn: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const list of s.segments.partitionsOf(table).values()) {
    for (const h of list) {
      if (h.meta.maxLsn <= lsn) continue;
      for (let i = 0; i < h.reader.seriesCount; i++)
        ranges.push([h.reader.seriesMinTime(i), h.reader.seriesMaxTime(i)]);
    }
  }
  for (const head of s.heads()) {
    for (const buffer of head.seriesOf(table)) {
      if (buffer.count > 0 && buffer.lastLsn > lsn) ranges.push([buffer.minTime, buffer.maxTime]);
    }
  }
  return ranges;
}

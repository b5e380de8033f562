/**
 * Where things live in a database directory:
 *
 *   LOCK                                   the engine holding the directory
 *   CHECKPOINT                             {"lsn": n}: every batch up to n is in segments
 *   CURSORS                                consumers' positions (LSNs), e.g. the sync node's
 *   TOMBSTONES                             deletes still hiding rows (storage/tombstones.ts)
 *   TABLES                                 declared tables (storage/declarations.ts)
 *   DOWNSAMPLE                             downsampling watermarks (policy/downsample.ts)
 *   wal/<first lsn>.wal                    write-ahead log files
 *   data/<table>/<partition>/<lsn range>.seg  segment files
 *
 * A partition directory is named by its start and width, e.g. `20251124T000000Z_1d`; a segment by
 * the LSN range of the flush or compaction that wrote it, e.g. `00000000000000000001-00000000000000000420.seg`.
 */
import * as path from 'node:path';
import { formatDuration } from '../util/duration';

export const LOCK_FILE = 'LOCK';
export const CHECKPOINT_FILE = 'CHECKPOINT';
/** consumers' cursors: {"sync": 1234} */
export const CURSORS_FILE = 'CURSORS';
/** downsampling rules' watermarks: {"t->t_5m": {"lsn": 9, "until": 1764000000000}} */
export const DOWNSAMPLE_FILE = 'DOWNSAMPLE';
export const WAL_DIR = 'wal';
export const DATA_DIR = 'data';

export function partitionStartOf(time: number, widthMs: number): number {
  return Math.floor(time / widthMs) * widthMs;
}

function compactUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function partitionDirName(start: number, widthMs: number): string {
  return `${compactUtc(start)}_${formatDuration(widthMs)}`;
}

export function segmentFileName(minLsn: number, maxLsn: number): string {
  return `${String(minLsn).padStart(20, '0')}-${String(maxLsn).padStart(20, '0')}.seg`;
}

export function segmentPath(
  dir: string,
  table: string,
  start: number,
  widthMs: number,
  minLsn: number,
  maxLsn: number,
): string {
  return path.join(dir, DATA_DIR, table, partitionDirName(start, widthMs), segmentFileName(minLsn, maxLsn));
}

/**
 * `verify`: every checksum of a database directory, read-only. Each segment's header, footer and
 * trailer (by opening it) and every chunk's CRC and columns (by decoding it); each WAL file's
 * header and every record's length, CRC and LSN; that the small JSON files (CHECKPOINT ...) parse. Segments quarantined earlier (`*.corrupt`) are
 * reported too: their rows are not readable. Run it on a snapshot copy (snapshot.ts) when an engine
 * holds the directory, so no compaction removes a file while it is read.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CorruptionError } from '../errors';
import { SegmentReader } from '../segment/reader';
import { TABLES_FILE, VIEWS_FILE } from '../storage/declarations';
import { CHECKPOINT_FILE, CURSORS_FILE, DATA_DIR, DOWNSAMPLE_FILE, WAL_DIR } from '../storage/layout';
import { TOMBSTONES_FILE } from '../storage/tombstones';
import { TimeSlicer } from '../util/fsutil';
import {
  decodeFileHeader,
  FILE_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  parseWalFileName,
  RECORD_HEADER_BYTES,
  readU32,
  readU64,
  recordCrc,
} from '../wal/format';

const SMALL_FILES = [
  CHECKPOINT_FILE,
  CURSORS_FILE,
  DOWNSAMPLE_FILE,
  TOMBSTONES_FILE,
  TABLES_FILE,
  VIEWS_FILE,
];

export interface VerifyProblem {
  /** path relative to the database directory */
  file: string;
  offset: number;
  reason: string;
}

export interface VerifyReport {
  /** no problem found (a torn WAL tail alone is not one: see `notes`) */
  sound: boolean;
  segments: number;
  chunks: number;
  rows: number;
  walFiles: number;
  walRecords: number;
  bytes: number;
  problems: VerifyProblem[];
  /** things that are not damage, e.g. the torn last record a crash or a live writer leaves */
  notes: VerifyProblem[];
}

/** Checks every segment and WAL file under `dir`; never writes. `onProgress`: files done of all. */
export async function verifyDirectory(
  dir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyReport> {
  const report: VerifyReport = {
    sound: true,
    segments: 0,
    chunks: 0,
    rows: 0,
    walFiles: 0,
    walRecords: 0,
    bytes: 0,
    problems: [],
    notes: [],
  };
  const segments = await filesUnder(path.join(dir, DATA_DIR), 3);
  const wal = (await filesUnder(path.join(dir, WAL_DIR), 1)).filter(
    (f) => parseWalFileName(path.basename(f)) !== undefined,
  );
  const total = segments.length + wal.length;
  const slicer = new TimeSlicer(8);
  let done = 0;
  for (const file of segments) {
    const rel = path.relative(dir, file);
    if (file.endsWith('.corrupt')) {
      report.problems.push({ file: rel, offset: 0, reason: 'quarantined when the database was opened' });
    } else if (file.endsWith('.seg')) {
      await verifySegment(file, rel, report, slicer);
    }
    onProgress?.(++done, total);
  }
  wal.sort((a, b) => parseWalFileName(path.basename(a))! - parseWalFileName(path.basename(b))!);
  for (let i = 0; i < wal.length; i++) {
    await verifyWalFile(wal[i]!, path.relative(dir, wal[i]!), i === wal.length - 1, report, slicer);
    onProgress?.(++done, total);
  }
  await verifySmallFiles(dir, report);
  report.sound = report.problems.length === 0;
  return report;
}

/** The small JSON files beside the data (hints, written whole and atomically): each must parse. */
async function verifySmallFiles(dir: string, report: VerifyReport): Promise<void> {
  for (const name of SMALL_FILES) {
    let text: string;
    try {
      text = await fsp.readFile(path.join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      JSON.parse(text);
    } catch (err) {
      report.problems.push({ file: name, offset: 0, reason: `not valid JSON (${(err as Error).message})` });
    }
  }
}

async function verifySegment(file: string, rel: string, report: VerifyReport, slicer: TimeSlicer) {
  let reader: SegmentReader;
  try {
    reader = await SegmentReader.open(file);
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    report.problems.push({ file: rel, offset: err.offset, reason: reasonOf(err) });
    return;
  }
  report.segments++;
  report.bytes += reader.meta.bytes;
  try {
    for (const [, series] of reader.eachSeries()) {
      for (const chunk of series.chunks) {
        try {
          await reader.readChunk(chunk);
          report.chunks++;
          report.rows += chunk.rows;
        } catch (err) {
          if (!(err instanceof CorruptionError)) throw err;
          report.problems.push({ file: rel, offset: err.offset, reason: reasonOf(err) });
        }
        await slicer.maybeYield();
      }
    }
  } finally {
    await reader.close();
  }
}

/** Walks a WAL file's records. An incomplete record at the very end of the log is a note. */
async function verifyWalFile(
  file: string,
  rel: string,
  isLast: boolean,
  report: VerifyReport,
  slicer: TimeSlicer,
): Promise<void> {
  const buf = new Uint8Array(await fsp.readFile(file));
  report.walFiles++;
  report.bytes += buf.length;
  const header = decodeFileHeader(buf.subarray(0, FILE_HEADER_BYTES));
  if (!header.ok) {
    (isLast && buf.length < FILE_HEADER_BYTES ? report.notes : report.problems).push({
      file: rel,
      offset: 0,
      reason: header.reason,
    });
    return;
  }
  let at = FILE_HEADER_BYTES;
  let expected = header.firstLsn;
  while (at < buf.length) {
    const torn = (reason: string): void => {
      (isLast ? report.notes : report.problems).push({ file: rel, offset: at, reason });
    };
    if (at + RECORD_HEADER_BYTES > buf.length) return torn('torn record header at the end of the log');
    const length = readU32(buf, at);
    if (length > MAX_PAYLOAD_BYTES) {
      report.problems.push({ file: rel, offset: at, reason: `record length ${length} is out of range` });
      return;
    }
    if (at + RECORD_HEADER_BYTES + length > buf.length) return torn('torn record at the end of the log');
    if (recordCrc(buf, at, length) !== readU32(buf, at + 4)) {
      report.problems.push({ file: rel, offset: at, reason: 'record checksum mismatch' });
      return;
    }
    const lsn = readU64(buf, at + 8);
    if (lsn !== expected) {
      report.problems.push({
        file: rel,
        offset: at,
        reason: `record has LSN ${lsn} where ${expected} was expected`,
      });
      return;
    }
    report.walRecords++;
    expected++;
    at += RECORD_HEADER_BYTES + length;
    await slicer.maybeYield();
  }
}

/** The error's sentence without the "in FILE at byte N." that the report shows apart. */
function reasonOf(err: CorruptionError): string {
  const tail = ` in ${err.file} at byte ${err.offset}.`;
  return err.message.endsWith(tail) ? err.message.slice(0, -tail.length) : err.message;
}

/** Files `depth` directory levels below `dir` (data/<table>/<partition>/<file>: 3). */
async function filesUnder(dir: string, depth: number): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, e.name);
    if (depth > 1 && e.isDirectory()) out.push(...(await filesUnder(full, depth - 1)));
    else if (depth === 1 && e.isFile()) out.push(full);
  }
  return out;
}

/**
 * WAL recovery: read the log directory, hand every intact record after the checkpoint to the caller,
 * and cut the log at the first record that is not intact so that what remains is a clean prefix
 * that appends can continue.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { HeliosError } from '../errors';
import {
  decodeFileHeader,
  FILE_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  parseWalFileName,
  RECORD_HEADER_BYTES,
  readU32,
  readU64,
  recordCrc,
} from './format';
import type { WalIo } from './io';

/** What a replay handed on, and where it cut the log. */
export interface WalReplayStats {
  /** records handed to `onRecord` (those with lsn > afterLsn) */
  records: number;
  /** payload bytes of those records */
  bytes: number;
  /** where the log was cut, when a torn or corrupt record (or file header) ended it */
  truncatedAt?: { file: string; offset: number; reason: string };
}

/** One WAL file on disk. `size` is kept current by the writer. */
export interface WalFile {
  readonly path: string;
  readonly firstLsn: number;
  size: number;
}

/** The last file recovery read, as it stands after any truncation. */
export interface RecoveredTail {
  readonly file: WalFile;
  /** LSN of its last intact record (firstLsn - 1 when it has none) */
  readonly lastLsn: number;
  readonly records: number;
}

export interface RecoveredLog {
  /** The WAL files left on disk, in LSN order. */
  readonly files: WalFile[];
  readonly tail: RecoveredTail | undefined;
  readonly replay: WalReplayStats;
}

export type RecordHandler = (lsn: number, payload: Uint8Array) => void;

/** Bytes read per chunk: big enough for ~100 MB/s, small enough that parsing one stays brief. */
const CHUNK_BYTES = 512 * 1024;
/** Longest synchronous stretch of parsing and `onRecord` calls before yielding to the event loop. */
const SLICE_MS = 8;
const RECORDS_BETWEEN_CLOCK_CHECKS = 32;

interface Problem {
  readonly offset: number;
  readonly reason: string;
}

interface FileScan {
  readonly lastLsn: number;
  readonly records: number;
  readonly problem: Problem | undefined;
}

/**
 * Replays `dir` (which must exist) through `onRecord` and truncates it at the first torn or corrupt
 * record. Files all of whose records are <= `afterLsn` are neither read nor checked: they only wait
 * for `removeUpTo`, and damage in them must not cost the records after the checkpoint.
 */
export async function recoverLog(
  dir: string,
  afterLsn: number,
  onRecord: RecordHandler,
  io: WalIo,
): Promise<RecoveredLog> {
  const files = await listWalFiles(dir);
  const replay: WalReplayStats = { records: 0, bytes: 0 };
  let tail: RecoveredTail | undefined;
  let expectedFirstLsn: number | undefined;
  for (let i = firstFileToRead(files, afterLsn); i < files.length; i++) {
    const file = files[i]!;
    const scan = await scanFile(file, expectedFirstLsn, afterLsn, onRecord, replay);
    if (scan.problem) {
      replay.truncatedAt = { file: file.path, offset: scan.problem.offset, reason: scan.problem.reason };
      const keepsHeader = await cutLogAt(dir, files, i, scan.problem.offset, io);
      if (keepsHeader) tail = { file, lastLsn: scan.lastLsn, records: scan.records };
      break;
    }
    tail = { file, lastLsn: scan.lastLsn, records: scan.records };
    expectedFirstLsn = scan.lastLsn + 1;
  }
  return { files, tail, replay };
}

async function listWalFiles(dir: string): Promise<WalFile[]> {
  const files: WalFile[] = [];
  for (const name of await fsp.readdir(dir)) {
    const firstLsn = parseWalFileName(name);
    if (firstLsn === undefined) continue;
    const filePath = path.join(dir, name);
    const stat = await fsp.stat(filePath);
    if (stat.isFile()) files.push({ path: filePath, firstLsn, size: stat.size });
  }
  return files.sort((a, b) => a.firstLsn - b.firstLsn);
}

/** The last file that can hold a record after `afterLsn`: the newest one starting at or before afterLsn + 1. */
function firstFileToRead(files: readonly WalFile[], afterLsn: number): number {
  let start = 0;
  for (let i = 0; i < files.length; i++) if (files[i]!.firstLsn <= afterLsn + 1) start = i;
  return start;
}

/**
 * Ends the log at `offset` of `files[index]`: deletes every later file (newest first, so a crash
 * half-way leaves the same damage for the next recovery to find), then truncates that file, or
 * deletes it when not even its header is intact. Removes the cut files from `files`.
 * Returns whether `files[index]` was kept.
 */
async function cutLogAt(
  dir: string,
  files: WalFile[],
  index: number,
  offset: number,
  io: WalIo,
): Promise<boolean> {
  for (let j = files.length - 1; j > index; j--) await fsp.unlink(files[j]!.path);
  const file = files[index]!;
  const keepsHeader = offset >= FILE_HEADER_BYTES;
  if (keepsHeader) {
    await truncateFile(file.path, offset);
    file.size = offset;
    files.length = index + 1;
  } else {
    await fsp.unlink(file.path);
    files.length = index;
  }
  await io.fsyncDir(dir);
  return keepsHeader;
}

async function truncateFile(filePath: string, length: number): Promise<void> {
  const handle = await fsp.open(filePath, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function scanFile(
  file: WalFile,
  expectedFirstLsn: number | undefined,
  afterLsn: number,
  onRecord: RecordHandler,
  replay: WalReplayStats,
): Promise<FileScan> {
  const empty = (reason: string): FileScan => ({ lastLsn: 0, records: 0, problem: { offset: 0, reason } });
  if (file.size === 0) return empty('empty file');
  if (file.size < FILE_HEADER_BYTES) return empty('file header is torn');
  const handle = await fsp.open(file.path, 'r');
  try {
    const reader = new ChunkReader(handle, file.size);
    await reader.fill(FILE_HEADER_BYTES);
    const header = decodeFileHeader(reader.buf.subarray(reader.pos, reader.pos + FILE_HEADER_BYTES));
    if (!header.ok) {
      if (header.unsupportedVersion !== undefined)
        throw unsupportedVersionError(file.path, header.unsupportedVersion);
      return empty(header.reason);
    }
    if (header.firstLsn !== file.firstLsn) {
      return empty(`file header says first LSN ${header.firstLsn} but the file name says ${file.firstLsn}`);
    }
    if (expectedFirstLsn !== undefined && header.firstLsn !== expectedFirstLsn) {
      return empty(`file starts at LSN ${header.firstLsn} where ${expectedFirstLsn} was expected`);
    }
    reader.pos += FILE_HEADER_BYTES;
    return await scanRecords(reader, header.firstLsn, afterLsn, onRecord, replay);
  } finally {
    await handle.close();
  }
}

function unsupportedVersionError(file: string, version: number): HeliosError {
  return new HeliosError(
    'HELIOS_WAL_VERSION',
    `The write-ahead log file ${file} uses format version ${version}, which this version of Helios cannot ` +
      'read. Upgrade the package to the version that wrote it; the file was left untouched.',
  );
}

/** Reads records until the file ends cleanly or a record is not intact. */
async function scanRecords(
  reader: ChunkReader,
  firstLsn: number,
  afterLsn: number,
  onRecord: RecordHandler,
  replay: WalReplayStats,
): Promise<FileScan> {
  let expected = firstLsn;
  let sinceClockCheck = 0;
  const stop = (offset: number, reason: string): FileScan => ({
    lastLsn: expected - 1,
    records: expected - firstLsn,
    problem: { offset, reason },
  });
  for (;;) {
    const at = reader.offset;
    if (at === reader.size)
      return { lastLsn: expected - 1, records: expected - firstLsn, problem: undefined };
    if (reader.available < RECORD_HEADER_BYTES && !(await reader.fill(RECORD_HEADER_BYTES))) {
      return stop(at, 'torn record header');
    }
    const length = readU32(reader.buf, reader.pos);
    if (length > MAX_PAYLOAD_BYTES) return stop(at, `record length ${length} is out of range`);
    const frameBytes = RECORD_HEADER_BYTES + length;
    if (at + frameBytes > reader.size) return stop(at, 'torn record (it runs past the end of the file)');
    if (reader.available < frameBytes && !(await reader.fill(frameBytes))) {
      return stop(at, 'torn record (the file ended while reading it)');
    }
    const buf = reader.buf;
    const p = reader.pos;
    if (recordCrc(buf, p, length) !== readU32(buf, p + 4)) return stop(at, 'record checksum mismatch');
    const lsn = readU64(buf, p + 8);
    if (lsn !== expected) return stop(at, `record has LSN ${lsn} where ${expected} was expected`);
    if (lsn > afterLsn) {
      onRecord(lsn, new Uint8Array(buf.buffer, buf.byteOffset + p + RECORD_HEADER_BYTES, length));
      replay.records++;
      replay.bytes += length;
    }
    reader.pos += frameBytes;
    expected++;
    if (++sinceClockCheck >= RECORDS_BETWEEN_CLOCK_CHECKS) {
      sinceClockCheck = 0;
      await reader.yieldIfSliceSpent();
    }
  }
}

/**
 * Sequential reads of one file into fresh buffers. A buffer is never reused, so the payload views
 * handed to `onRecord` stay valid after the callback returns.
 */
class ChunkReader {
  buf: Uint8Array = new Uint8Array(0);
  /** next unread byte in `buf` */
  pos = 0;
  /** end of the valid bytes in `buf` */
  private end = 0;
  /** file offset of `buf[0]` */
  private bufOffset = 0;
  private sliceStart = performance.now();

  constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
  ) {}

  /** File offset of `pos`. */
  get offset(): number {
    return this.bufOffset + this.pos;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** Makes at least `n` bytes available at `pos`; false when the file ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    if (this.offset + n > this.size) return false;
    const next = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, n));
    next.set(this.buf.subarray(this.pos, this.end));
    this.bufOffset += this.pos;
    this.end -= this.pos;
    this.pos = 0;
    this.buf = next;
    const want = Math.min(next.length, this.size - this.bufOffset);
    while (this.end < want) {
      const { bytesRead } = await this.handle.read(
        next,
        this.end,
        want - this.end,
        this.bufOffset + this.end,
      );
      if (bytesRead === 0) break;
      this.end += bytesRead;
    }
    this.sliceStart = performance.now();
    return this.available >= n;
  }

  async yieldIfSliceSpent(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

/**
 * The change feed: the WAL records after a cursor, read straight from the log files that sync
 * keeps past the checkpoint (docs/sync.md, "The change feed"). The WAL is the engine's one total
 * order of changes, so every write, late reading, UPDATE and DELETE of chosen rows after the cursor
 * is there exactly once, whatever flush and compaction did to the segments since.
 *
 * Records name tables, tags and series through a dictionary that starts over at a record with the
 * reset flag (wal/FORMAT.md), so a reader starts at the newest file that begins with such a record
 * and decodes forward from there, skipping what is at or before its cursor.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CorruptionError } from '../errors';
import { TimeSlicer } from '../util/fsutil';
import { decodeRecord, WalDictionaryReader, type WalEntry } from '../wal/batch';
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

/** One record of the feed. */
export interface FeedRecord {
  readonly lsn: number;
  readonly entry: WalEntry;
  /** bytes of the record in the log */
  readonly bytes: number;
}

/** A WAL file as the feed sees it. */
export interface FeedFile {
  readonly path: string;
  readonly firstLsn: number;
}

/** The bytes of each file (0 for one removed meanwhile). */
export async function fileSizes(files: readonly FeedFile[]): Promise<number[]> {
  return Promise.all(
    files.map((f) =>
      fsp.stat(f.path).then(
        (st) => st.size,
        () => 0,
      ),
    ),
  );
}

const READ_BYTES = 256 * 1024;
/** What a record before the cursor that could not be decoded is handed on as (never returned). */
const SKIPPED: WalEntry = { kind: 'group', batches: [] };
const RESET_DICTIONARY = 1;

/** The WAL files of `walDir` in LSN order. */
export async function listFeedFiles(walDir: string): Promise<FeedFile[]> {
  const files: FeedFile[] = [];
  for (const name of await fsp.readdir(walDir).catch(() => [] as string[])) {
    const firstLsn = parseWalFileName(name);
    if (firstLsn !== undefined) files.push({ path: path.join(walDir, name), firstLsn });
  }
  return files.sort((a, b) => a.firstLsn - b.firstLsn);
}

/**
 * True when the file's first record starts a new dictionary, or it has no record yet (a file is
 * created empty only at a checkpoint's rotation or at open, and the next record after either starts
 * over), so a reader may begin there.
 */
export async function startsDictionary(file: FeedFile): Promise<boolean> {
  const handle = await fsp.open(file.path, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = new Uint8Array(FILE_HEADER_BYTES + RECORD_HEADER_BYTES + 2);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead <= FILE_HEADER_BYTES) return true;
    if (bytesRead < head.length) return false;
    return (head[FILE_HEADER_BYTES + RECORD_HEADER_BYTES + 1]! & RESET_DICTIONARY) !== 0;
  } finally {
    await handle.close();
  }
}

/**
 * The file a reader of everything after `afterLsn` starts at: the newest one at or before the
 * record afterLsn + 1 that starts a dictionary (or the oldest file, when the log now starts later).
 */
export async function startFileFor(files: readonly FeedFile[], afterLsn: number): Promise<number> {
  let candidate = -1;
  for (let i = 0; i < files.length; i++) if (files[i]!.firstLsn <= afterLsn + 1) candidate = i;
  for (let i = candidate; i > 0; i--) if (await startsDictionary(files[i]!)) return i;
  return 0;
}

/**
 * Reads the WAL forward from a cursor. `seek(after)` positions it; `next(upTo)` gives the next
 * record with after < lsn <= upTo, or null when there is none yet. The log may grow while it reads
 * (appends are whole records written synchronously, so a record at or below the log's lastLsn is
 * always complete on disk).
 */
export class WalFeedReader {
  private files: FeedFile[] = [];
  private index = -1;
  private handle: fsp.FileHandle | null = null;
  private buf = new Uint8Array(0);
  private bufStart = 0;
  private bufEnd = 0;
  private offset = 0;
  private expected = 0;
  private after = 0;
  private dictionary = new WalDictionaryReader();
  private readonly slicer = new TimeSlicer(8);
  /** the LSN of the record (or the first of the file) found damaged by the last read that threw */
  damagedLsn: number | null = null;

  constructor(private readonly walDir: string) {}

  /** The LSN of the last record handed out (or the cursor seeked to). */
  get position(): number {
    return Math.max(this.after, this.expected - 1);
  }

  /**
   * Positions the reader after `afterLsn`. Returns the first LSN the log still holds after it:
   * afterLsn + 1, or more when the records in between were removed (a gap the caller reports).
   */
  async seek(afterLsn: number): Promise<number> {
    await this.closeFile();
    this.after = afterLsn;
    this.dictionary = new WalDictionaryReader();
    this.files = await listFeedFiles(this.walDir);
    if (this.files.length === 0) {
      this.index = -1;
      this.expected = afterLsn + 1;
      return afterLsn + 1;
    }
    this.index = await startFileFor(this.files, afterLsn);
    await this.openFile();
    return Math.max(afterLsn + 1, this.files[this.index]!.firstLsn);
  }

  /** The next record with lsn <= upTo past the cursor, or null. */
  async next(upTo: number): Promise<FeedRecord | null> {
    if (this.index < 0 && (await listFeedFiles(this.walDir)).length > 0) await this.seek(this.after);
    for (;;) {
      if (this.expected > upTo || this.index < 0) return null;
      const record = await this.readRecord();
      if (!record) {
        if (!(await this.advanceFile())) return null;
        continue;
      }
      await this.slicer.maybeYield();
      if (record.lsn > this.after) return record;
    }
  }

  /** Releases the open file. */
  async close(): Promise<void> {
    await this.closeFile();
    this.index = -1;
  }

  private async openFile(): Promise<void> {
    const file = this.files[this.index]!;
    this.damagedLsn = file.firstLsn;
    this.handle = await fsp.open(file.path, 'r');
    this.bufStart = 0;
    this.bufEnd = 0;
    this.offset = 0;
    if (!(await this.fill(FILE_HEADER_BYTES)))
      throw new CorruptionError(file.path, 0, 'A WAL file kept for sync has no header');
    const header = decodeFileHeader(this.buf.subarray(0, FILE_HEADER_BYTES));
    if (!header.ok || header.firstLsn !== file.firstLsn) {
      throw new CorruptionError(
        file.path,
        0,
        `A WAL file kept for sync has a bad header (${header.ok ? 'first LSN' : header.reason})`,
      );
    }
    this.offset = FILE_HEADER_BYTES;
    this.expected = file.firstLsn;
  }

  /** Moves to the next file once the current one is read to its end and a later one exists. */
  private async advanceFile(): Promise<boolean> {
    if (this.index + 1 >= this.files.length) this.files = await listFeedFiles(this.walDir);
    const at = this.files.findIndex((f) => f.firstLsn === this.expected);
    if (at < 0) return false;
    await this.closeFile();
    this.index = at;
    await this.openFile();
    return true;
  }

  private async readRecord(): Promise<FeedRecord | null> {
    const file = this.files[this.index]!;
    this.damagedLsn = this.expected;
    if (!(await this.fill(RECORD_HEADER_BYTES))) return null;
    const at = this.offset - this.bufStart;
    const length = readU32(this.buf, at);
    if (length > MAX_PAYLOAD_BYTES)
      throw new CorruptionError(file.path, this.offset, 'A WAL record kept for sync has a bad length');
    if (!(await this.fill(RECORD_HEADER_BYTES + length))) return null;
    const p = this.offset - this.bufStart;
    if (recordCrc(this.buf, p, length) !== readU32(this.buf, p + 4)) {
      throw new CorruptionError(file.path, this.offset, 'A WAL record kept for sync fails its checksum');
    }
    const lsn = readU64(this.buf, p + 8);
    if (lsn !== this.expected) {
      throw new CorruptionError(
        file.path,
        this.offset,
        `A WAL record kept for sync has LSN ${lsn} where ${this.expected} was expected`,
      );
    }
    const payload = this.buf.subarray(p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + length);
    let entry: WalEntry;
    try {
      entry = decodeRecord(payload, this.dictionary);
    } catch (err) {
      // A record at or before the cursor may name what a file before this one defined (a file cut
      // by size while a head was frozen and flushed later): it is not wanted, and a record after it
      // that starts a new dictionary follows before any wanted one (the flush after a freeze).
      if (lsn <= this.after) {
        this.offset += RECORD_HEADER_BYTES + length;
        this.expected++;
        return { lsn, entry: SKIPPED, bytes: RECORD_HEADER_BYTES + length };
      }
      throw new CorruptionError(
        file.path,
        this.offset,
        `A WAL record kept for sync does not decode (${String(err)})`,
      );
    }
    this.offset += RECORD_HEADER_BYTES + length;
    this.expected++;
    return { lsn, entry, bytes: RECORD_HEADER_BYTES + length };
  }

  /** Makes `n` bytes from `offset` available in `buf`; false when the file does not hold them yet. */
  private async fill(n: number): Promise<boolean> {
    if (this.bufEnd - this.offset >= n) return true;
    const handle = this.handle!;
    const keep = this.buf.subarray(this.offset - this.bufStart, this.bufEnd - this.bufStart);
    const next = new Uint8Array(Math.max(READ_BYTES, n));
    next.set(keep);
    this.buf = next;
    this.bufStart = this.offset;
    this.bufEnd = this.offset + keep.length;
    while (this.bufEnd - this.offset < n) {
      const room = next.length - (this.bufEnd - this.bufStart);
      const { bytesRead } = await handle.read(next, this.bufEnd - this.bufStart, room, this.bufEnd);
      if (bytesRead === 0) return false;
      this.bufEnd += bytesRead;
    }
    return true;
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await handle.close().catch(() => undefined);
  }
}

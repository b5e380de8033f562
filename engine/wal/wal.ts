/**
 * The write-ahead log: every accepted write batch is appended here, framed with its LSN and a CRC,
 * before the head applies it, so a crash loses nothing the log had taken. On open the log replays
 * what the last checkpoint did not cover and cuts itself at the first torn or corrupt record.
 * Layout and rules: FORMAT.md beside this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClosedError, HeliosError, InvalidInputError } from '../errors';
import type { Durability } from '../options';
import {
  encodeFileHeader,
  encodeRecord,
  FILE_HEADER_BYTES,
  MAX_LSN,
  MAX_PAYLOAD_BYTES,
  RECORD_HEADER_BYTES,
  walFileName,
} from './format';
import { nodeWalIo, type WalIo } from './io';
import { recoverLog, type WalFile, type WalReplayStats } from './recover';

export interface WalOptions {
  /** 'always': a record's `durable` resolves after an fsync that covers it (group commit: while one
   *  fsync runs, appends collect and the next fsync covers them all). 'batch' (default): `durable`
   *  resolves at once (the bytes are in the OS, so a process crash loses nothing) and the file is
   *  fsynced at most every batchIntervalMs when dirty. 'none': never fsync except rotate/close. */
  durability: Durability;
  /** ms between background fsyncs in 'batch' mode; default 100. 0 fsyncs on the next timer tick. */
  batchIntervalMs: number;
  /** rotate to a new file when the current one passes this size, in bytes; default 64 MiB.
   *  0 starts a new file for every record. */
  segmentBytes: number;
}

export const DEFAULT_WAL_OPTIONS: Readonly<WalOptions> = {
  durability: 'batch',
  batchIntervalMs: 100,
  segmentBytes: 64 * 1024 * 1024,
};

/**
 * A write or fsync of the log failed. `code` is 'HELIOS_DISK_FULL' when the disk is full, else
 * 'HELIOS_WAL_IO'; `cause` is the operating system's error.
 */
export class WalIoError extends HeliosError {
  constructor(code: string, message: string, cause: unknown) {
    super(code, message);
    this.name = 'WalIoError';
    this.cause = cause;
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

const noop = (): void => {};
const RESOLVED: Promise<void> = Promise.resolve();
/** The frame buffer is kept and reused up to this size; bigger records get a buffer of their own. */
const KEPT_FRAME_BUFFER_BYTES = 1024 * 1024;

function deferred(): Deferred {
  let resolve = noop;
  let reject: (err: unknown) => void = noop;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that drops a `durable` promise must not crash the process when an fsync fails.
  promise.catch(noop);
  return { promise, resolve, reject };
}

function rejected(err: unknown): Promise<void> {
  const promise = Promise.reject(err);
  promise.catch(noop);
  return promise;
}

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function writeError(file: string, err: unknown): WalIoError {
  const detail = (err as Error | undefined)?.message ?? String(err);
  if (isDiskFull(err)) {
    return new WalIoError(
      'HELIOS_DISK_FULL',
      `The disk holding the write-ahead log ${file} is full (${detail}); the write was not stored. ` +
        'Free some disk space (or shorten retention) and write again.',
      err,
    );
  }
  return new WalIoError(
    'HELIOS_WAL_IO',
    `Could not write to the write-ahead log ${file} (${detail}); the write was not stored.`,
    err,
  );
}

function syncError(dir: string, err: unknown): WalIoError {
  const detail = (err as Error | undefined)?.message ?? String(err);
  return new WalIoError(
    isDiskFull(err) ? 'HELIOS_DISK_FULL' : 'HELIOS_WAL_IO',
    `Could not fsync the write-ahead log in ${dir} (${detail}). Writes since the last good fsync may not ` +
      'be on disk, so the log takes no more writes: close the database and open it again.',
    err,
  );
}

function validateOptions(options: WalOptions): void {
  if (!['always', 'batch', 'none'].includes(options.durability)) {
    throw new InvalidInputError(
      `WAL durability must be 'always', 'batch' or 'none', not ${JSON.stringify(options.durability)}.`,
    );
  }
  for (const key of ['batchIntervalMs', 'segmentBytes'] as const) {
    const value = options[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidInputError(`WAL option ${key} must be a number >= 0, not ${value}.`);
    }
  }
}

function openFd(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}

/** Writes all of `bytes[0, length)` at `position`, looping over short writes. */
function writeFully(io: WalIo, fd: number, bytes: Uint8Array, length: number, position: number): void {
  let written = 0;
  while (written < length) {
    const n = io.writeSync(fd, bytes, written, length - written, position + written);
    if (!(n > 0)) throw new Error(`write returned ${n} bytes`);
    written += n;
  }
}

/** Creates `dir` and its missing parents, fsyncing each parent whose entries changed. */
async function ensureDirectory(dir: string, io: WalIo): Promise<void> {
  const firstCreated = await fs.promises.mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  const top = path.resolve(firstCreated);
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const parent = path.dirname(d);
    await io.fsyncDir(parent);
    if (d === top || parent === d) return;
  }
}

/** Creates a WAL file holding only its header, durably (file and directory fsynced). */
async function createWalFile(
  dir: string,
  firstLsn: number,
  io: WalIo,
): Promise<{ file: WalFile; fd: number }> {
  const file: WalFile = { path: path.join(dir, walFileName(firstLsn)), firstLsn, size: FILE_HEADER_BYTES };
  const fd = await openFd(file.path, 'wx');
  try {
    const header = encodeFileHeader(firstLsn);
    writeFully(io, fd, header, header.length, 0);
    await io.fsync(fd);
  } catch (err) {
    await io.close(fd).catch(noop);
    await fs.promises.unlink(file.path).catch(noop);
    throw writeError(file.path, err);
  }
  await io.fsyncDir(dir);
  return { file, fd };
}

type State = 'open' | 'closing' | 'closed';

/**
 * An append-only log of opaque payloads in numbered files. Appends are synchronous (one write to the
 * OS); fsyncs run in the background in rounds that cover every append made before they start.
 * Not safe for two instances on one directory: the engine's lock file guarantees a single writer.
 */
export class Wal {
  /** Test seam: the file operations of the append and sync paths. Leave as is in production. */
  io: WalIo = nodeWalIo;

  /** The current file is the last one; the others are closed and wait for `removeUpTo`. */
  private readonly files: WalFile[];
  private current: WalFile;
  private fd: number;
  private lastLsnValue: number;
  private recordsInCurrent: number;
  private totalBytes: number;
  private frame: Uint8Array = Buffer.allocUnsafeSlow(4096);
  private state: State = 'open';
  private failure: WalIoError | undefined;
  private closing: Promise<void> | undefined;
  private removing: Promise<void> = RESOLVED;

  // Sync rounds: one runs at a time; requests made meanwhile share the next one (group commit).
  /** the current file has bytes written since its last fsync started */
  private dirty = false;
  /** files were created since the directory was last fsynced */
  private dirDirty = false;
  /** files rotated out, to be fsynced and closed by the next round */
  private readonly retiring: { fd: number; file: WalFile }[] = [];
  private pending: Deferred | undefined;
  private pendingWantsData = false;
  private roundScheduled = false;
  private roundRunning = false;
  private batchTimer: NodeJS.Timeout | undefined;
  private fsyncs = 0;

  private constructor(
    private readonly dir: string,
    private readonly options: WalOptions,
    files: WalFile[],
    fd: number,
    lastLsn: number,
    recordsInCurrent: number,
  ) {
    this.files = files;
    this.current = files[files.length - 1]!;
    this.fd = fd;
    this.lastLsnValue = lastLsn;
    this.recordsInCurrent = recordsInCurrent;
    this.totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  }

  /** Opens (creating `dir` if needed), replays every intact record with lsn > afterLsn in LSN order
   *  through `onRecord`, truncates the log at the first torn or corrupt record (deleting any later
   *  files too), and returns a Wal ready to append with lastLsn = the last intact record's LSN (or
   *  afterLsn if that is higher, e.g. after all files were removed at a checkpoint). Replay reads
   *  files in chunks asynchronously (await between chunks) so it never blocks the event loop long.
   *
   *  `payload` is a view into a read buffer that is never reused: it stays valid after the callback,
   *  but copy it if you keep it long, or it pins its whole chunk (512 KiB) in memory. An exception
   *  thrown by `onRecord` rejects `open`. A file of a newer format version rejects `open` with
   *  code 'HELIOS_WAL_VERSION' and is left untouched. With no file to continue, the log starts
   *  after max(afterLsn, floorLsn). */
  static async open(
    dir: string,
    options: WalOptions,
    afterLsn: number,
    onRecord: (lsn: number, payload: Uint8Array) => void,
    floorLsn = 0,
  ): Promise<{ wal: Wal; replay: WalReplayStats }> {
    validateOptions(options);
    if (!Number.isSafeInteger(afterLsn) || afterLsn < 0) {
      throw new InvalidInputError(`afterLsn must be an integer >= 0, not ${afterLsn}.`);
    }
    await ensureDirectory(dir, nodeWalIo);
    const recovered = await recoverLog(dir, afterLsn, onRecord, nodeWalIo);
    const tail = recovered.tail;
    // an empty log continues past floorLsn (the newest LSN in segments), so no LSN is given twice
    const lastLsn = Math.max(tail?.lastLsn ?? floorLsn, afterLsn);
    const files = recovered.files;
    let fd: number;
    let records = 0;
    if (tail && tail.lastLsn === lastLsn) {
      fd = await openFd(tail.file.path, 'r+');
      records = tail.records;
    } else {
      // Nothing to continue (empty dir, or the checkpoint is past the log's end): start a file at lastLsn + 1.
      const created = await createWalFile(dir, lastLsn + 1, nodeWalIo);
      files.push(created.file);
      fd = created.fd;
    }
    const wal = new Wal(dir, { ...options }, files, fd, lastLsn, records);
    return { wal, replay: recovered.replay };
  }

  /** LSN of the last record appended (or recovered). */
  get lastLsn(): number {
    return this.lastLsnValue;
  }

  /** Bytes of all WAL files on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** How many fsyncs of WAL files (not the directory) have completed; for tests and metrics. */
  get fsyncCount(): number {
    return this.fsyncs;
  }

  /** How many WAL files are on disk, the current one included. */
  get fileCount(): number {
    return this.files.length;
  }

  /** Appends one record with LSN lastLsn+1, written to the OS synchronously (fs.writeSync) before
   *  return. Throws (and consumes no LSN, leaves the file as it was: truncate back on a short
   *  write) if the write fails, e.g. disk full (code 'HELIOS_DISK_FULL'). `durable` settles per the
   *  durability mode; it rejects if the fsync fails, after which every append throws until the log
   *  is reopened. Rotates first when the file is past segmentBytes. Throws ClosedError after close.
   *  The payload's bytes are written before return, so the caller may reuse its buffer. */
  append(payload: Uint8Array): { lsn: number; durable: Promise<void> } {
    this.assertWritable();
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new InvalidInputError(
        `A write of ${payload.length} bytes is larger than the write-ahead log takes (${MAX_PAYLOAD_BYTES} bytes). ` +
          'Split it into smaller batches.',
      );
    }
    if (this.current.size >= this.options.segmentBytes && this.recordsInCurrent > 0) this.startNewFile();
    const lsn = this.lastLsnValue + 1;
    const frameBytes = RECORD_HEADER_BYTES + payload.length;
    const frame = this.frameBuffer(frameBytes);
    encodeRecord(frame, lsn, payload);
    this.writeAtEnd(frame, frameBytes);
    this.lastLsnValue = lsn;
    this.recordsInCurrent++;
    this.current.size += frameBytes;
    this.totalBytes += frameBytes;
    this.dirty = true;
    return { lsn, durable: this.durableAfterAppend() };
  }

  /** Starts a new file now (fsyncing and closing the current one), so that everything up to the
   *  returned LSN (the last LSN in the closed files) can be dropped once checkpointed. When the
   *  current file holds no record yet it is kept, and the returned LSN is still lastLsn. */
  async rotate(): Promise<number> {
    this.assertWritable();
    const upTo = this.lastLsnValue;
    if (this.recordsInCurrent > 0) this.startNewFile();
    await this.requestRound(false);
    return upTo;
  }

  /** Deletes the files all of whose records have lsn <= `lsn` (never the current file), oldest
   *  first, then fsyncs the directory. */
  removeUpTo(lsn: number): Promise<void> {
    if (this.state === 'closed') return rejected(new ClosedError(this.closedMessage()));
    const run = this.removing.then(() => this.removeFiles(lsn));
    this.removing = run.catch(noop);
    return run;
  }

  /** fsync now (resolves when done). */
  sync(): Promise<void> {
    if (this.state === 'closed') return rejected(new ClosedError(this.closedMessage()));
    return this.requestRound(true);
  }

  /** fsync and close; appends after close throw. Rejects when the final fsync fails (the files are
   *  closed all the same). Calling it again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= this.closeFiles();
    return this.closing;
  }

  private async closeFiles(): Promise<void> {
    this.state = 'closing';
    clearTimeout(this.batchTimer);
    let error: unknown;
    await this.removing;
    try {
      await this.requestRound(true);
    } catch (err) {
      error = err;
    }
    for (const old of this.retiring.splice(0)) await this.io.close(old.fd).catch(noop);
    await this.io.close(this.fd).catch((err: unknown) => {
      error ??= err;
    });
    this.state = 'closed';
    if (error !== undefined) throw error;
  }

  private closedMessage(): string {
    return `The write-ahead log in ${this.dir} is closed; open the database again to write.`;
  }

  private assertWritable(): void {
    if (this.state !== 'open') throw new ClosedError(this.closedMessage());
    if (this.failure) throw this.failure;
  }

  private frameBuffer(bytes: number): Uint8Array {
    if (bytes <= this.frame.length) return this.frame;
    if (bytes > KEPT_FRAME_BUFFER_BYTES) return Buffer.allocUnsafeSlow(bytes);
    let size = this.frame.length * 2;
    while (size < bytes) size *= 2;
    this.frame = Buffer.allocUnsafeSlow(size);
    return this.frame;
  }

  /** Writes a frame at the end of the current file; on failure truncates back and throws. */
  private writeAtEnd(frame: Uint8Array, frameBytes: number): void {
    const at = this.current.size;
    try {
      writeFully(this.io, this.fd, frame, frameBytes, at);
    } catch (err) {
      // If even the truncate fails, the stray bytes sit past the end we track: the next append
      // overwrites them, and recovery cuts whatever a crash leaves there.
      try {
        this.io.ftruncateSync(this.fd, at);
      } catch {}
      throw writeError(this.current.path, err);
    }
  }

  private durableAfterAppend(): Promise<void> {
    switch (this.options.durability) {
      case 'always':
        return this.requestRound(true);
      case 'batch':
        if (this.batchTimer === undefined) {
          this.batchTimer = setTimeout(this.onBatchTimer, this.options.batchIntervalMs);
          this.batchTimer.unref();
        }
        return RESOLVED;
      case 'none':
        return RESOLVED;
    }
  }

  private readonly onBatchTimer = (): void => {
    this.batchTimer = undefined;
    void this.requestRound(true);
  };

  /**
   * Opens the next file (named by the next LSN) and makes it current; the old one is fsynced and
   * closed by the next sync round, which this starts. Synchronous so that `append` can call it; on
   * failure nothing changes and the error is thrown.
   */
  private startNewFile(): void {
    const firstLsn = this.lastLsnValue + 1;
    if (firstLsn > MAX_LSN) throw new InvalidInputError('The write-ahead log has run out of LSNs.');
    const file: WalFile = { path: path.join(this.dir, walFileName(firstLsn)), firstLsn, size: 0 };
    let fd: number | undefined;
    try {
      fd = fs.openSync(file.path, 'wx');
      const header = encodeFileHeader(firstLsn);
      writeFully(this.io, fd, header, header.length, 0);
    } catch (err) {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
          fs.unlinkSync(file.path);
        } catch {}
      }
      throw writeError(file.path, err);
    }
    this.retiring.push({ fd: this.fd, file: this.current });
    this.fd = fd;
    file.size = FILE_HEADER_BYTES;
    this.files.push(file);
    this.current = file;
    this.recordsInCurrent = 0;
    this.totalBytes += FILE_HEADER_BYTES;
    this.dirty = true;
    this.dirDirty = true;
    void this.requestRound(false);
  }

  private async removeFiles(lsn: number): Promise<void> {
    let removed = false;
    while (this.files.length > 1 && this.files[1]!.firstLsn - 1 <= lsn) {
      const oldest = this.files[0]!;
      // Windows cannot delete a file that is still open: let the round close it first.
      if (this.retiring.some((r) => r.file === oldest)) await this.requestRound(false);
      try {
        await fs.promises.unlink(oldest.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.files.shift();
      this.totalBytes -= oldest.size;
      removed = true;
    }
    if (removed) await this.io.fsyncDir(this.dir);
  }

  /**
   * Asks for a sync round and returns a promise for its end. A round fsyncs and closes rotated-out
   * files, fsyncs the directory if files were created, and, when `wantsData`, fsyncs the current
   * file if written to. Requests made while a round runs share the next round, so under load many
   * appends ride on one fsync. A round starts in a microtask, after the caller's synchronous work.
   */
  private requestRound(wantsData: boolean): Promise<void> {
    if (this.failure) return rejected(this.failure);
    this.pending ??= deferred();
    if (wantsData) this.pendingWantsData = true;
    if (!this.roundRunning && !this.roundScheduled) {
      this.roundScheduled = true;
      queueMicrotask(this.startRound);
    }
    return this.pending.promise;
  }

  private readonly startRound = (): void => {
    this.roundScheduled = false;
    const waiters = this.pending;
    if (this.roundRunning || !waiters) return;
    const wantsData = this.pendingWantsData;
    this.pending = undefined;
    this.pendingWantsData = false;
    this.roundRunning = true;
    void this.runRound(wantsData)
      .then(
        () => waiters.resolve(),
        (err: unknown) => waiters.reject(this.fail(err)),
      )
      .then(() => {
        this.roundRunning = false;
        if (this.pending) this.startRound();
      });
  };

  private async runRound(wantsData: boolean): Promise<void> {
    if (this.failure) throw this.failure;
    const retiring = this.retiring.splice(0);
    const syncDir = this.dirDirty;
    this.dirDirty = false;
    const syncCurrent = wantsData && this.dirty;
    if (syncCurrent) this.dirty = false;
    const fd = this.fd;
    let firstError: unknown;
    for (const old of retiring) {
      await this.countedFsync(old.fd).catch((err: unknown) => {
        firstError ??= err;
      });
      await this.io.close(old.fd).catch(noop);
    }
    if (firstError !== undefined) throw firstError;
    if (syncDir) await this.io.fsyncDir(this.dir);
    if (syncCurrent) await this.countedFsync(fd);
  }

  private async countedFsync(fd: number): Promise<void> {
    await this.io.fsync(fd);
    this.fsyncs++;
  }

  /** After a failed fsync the page cache may have dropped our writes: refuse further appends. */
  private fail(err: unknown): WalIoError {
    this.failure ??= err instanceof WalIoError ? err : syncError(this.dir, err);
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    return this.failure;
  }
}

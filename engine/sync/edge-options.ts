/**
 * What an edge is told (SyncEdgeOptions, checked and filled in by resolveEdgeOptions) and what it
 * hands out and reports (SyncBatch, SyncEdgeStatus, QuarantinedBatch). The edge itself: edge.ts.
 */
import { InvalidInputError } from '../errors';
import type { SyncBatchMeta } from './batch-format';
import { defaultCompression, type SyncCompression, syncCompressions } from './compress';

/** How an edge sends (units in the names; see the defaults). */
export interface SyncEdgeOptions {
  /** this device's name, [A-Za-z0-9._-]{1,64}; the hub keeps its rows and marks by it */
  deviceId: string;
  /** table globs (`*`, `?`) to send; default ['*']. helios_sync* tables are never sent */
  tables?: readonly string[];
  /** rows per batch at most (a single write bigger than this is one batch); default 5000 */
  maxBatchRows?: number;
  /** rows per batch of the backfill lane at most (an old backlog: bigger batches compress better); default 50000 */
  maxBackfillBatchRows?: number;
  /** bytes per batch (compressed) at most, judged from the bytes per row of the batches before; default 256 KiB */
  maxBatchBytes?: number;
  /** the general compressor; default zstd if node:zlib has it, else brotli */
  compression?: SyncCompression;
  /** the compressor's level (zstd 1-22, brotli 0-11, gzip 1-9); default a gateway-friendly one */
  compressionLevel?: number;
  /** a batch with a row older than now - this (ms) is 'historical'; an old backlog gets its own lane. Default 60000 */
  liveWindowMs?: number;
  /**
   * bytes of WAL the edge may keep for rows not yet acknowledged; past it the oldest log files go
   * (their unsent rows counted in status().lostRows, and a gap batch tells the hub). 0: no limit.
   * Default: a tenth of the file system the database is on, at least 64 MiB and at most 1 GiB
   * (defaultMaxLogBytes; docs/sync.md, "When the log reaches maxLogBytes")
   */
  maxLogBytes?: number;
  /**
   * where a new edge (one without a state file) starts: 'beginning' sends every row the database
   * holds, 'now' only what is written from then on. Default 'beginning'. An edge that has state
   * goes on where it stands
   */
  start?: SyncStart;
  /** the clock (ms since 1970); default Date.now */
  now?: () => number;
}

/** Where a new edge starts (SyncEdgeOptions.start). */
export type SyncStart = 'beginning' | 'now';

/** One batch to send: its bytes (FORMAT.md v1) and what its header says. */
export interface SyncBatch {
  readonly bytes: Uint8Array;
  readonly meta: SyncBatchMeta;
}

/** What an edge reports. Counts are lower bounds: never more than is there. */
export interface SyncEdgeStatus {
  readonly deviceId: string;
  readonly epoch: string;
  /** rows waiting: those in batches handed out and not yet acknowledged, plus those counted ahead */
  readonly backlogRows: number;
  /** bytes of the batches handed out and not yet acknowledged, plus the log bytes counted ahead */
  readonly backlogBytes: number;
  /** batches handed out and not yet acknowledged */
  readonly inFlight: number;
  readonly lastAckSeq: number;
  readonly lastAckAt: number | null;
  /** rows dropped before they were sent, ever (a gap batch told the hub): the log reached maxLogBytes, or was damaged */
  readonly lostRows: number;
  /** bytes of the log files (the WAL) as last measured, before the last batch was cut */
  readonly logBytes: number;
  /** the limit of logBytes (Infinity: none) */
  readonly maxLogBytes: number;
  readonly quarantined: number;
  /** the LSN every lane has been acknowledged up to */
  readonly ackedLsn: number;
  /** the edge's last LSN written */
  readonly lastLsn: number;
  /** damage found in the log kept for sync (a gap was sent for it), or null */
  readonly lastDamage: string | null;
}

/** A batch set aside because the hub rejected it for good. */
export interface QuarantinedBatch {
  readonly seq: number;
  readonly reason: string;
  readonly rows: number;
  readonly at: number;
}

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The options with every default filled in. */
export type ResolvedEdgeOptions = ReturnType<typeof resolveEdgeOptions>;

/**
 * Checks and fills in the options (`diskBytes`: the size of the database's file system, for the
 * default maxLogBytes); throws InvalidInputError with a sentence.
 */
export function resolveEdgeOptions(
  o: SyncEdgeOptions,
  diskBytes: number | null = null,
): Required<Omit<SyncEdgeOptions, 'compressionLevel' | 'maxLogBytes'>> & {
  compressionLevel: number | undefined;
  maxLogBytes: number;
} {
  if (!o || typeof o.deviceId !== 'string' || !DEVICE_ID.test(o.deviceId)) {
    throw new InvalidInputError(
      `A sync edge needs deviceId: 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(o?.deviceId)}).`,
    );
  }
  const compression = o.compression ?? defaultCompression();
  if (!syncCompressions().includes(compression)) {
    throw new InvalidInputError(
      `Compression "${compression}" is not available here; choose one of ${syncCompressions().join(', ')}.`,
    );
  }
  const positive = (name: string, v: number | undefined, d: number): number => {
    if (v === undefined) return d;
    if (!Number.isFinite(v) || v <= 0)
      throw new InvalidInputError(`${name} must be a positive number; got ${v}.`);
    return v;
  };
  const tables = o.tables ?? ['*'];
  if (!Array.isArray(tables) || tables.some((t) => typeof t !== 'string' || t === '')) {
    throw new InvalidInputError('tables must be a list of table names or globs such as "sensor_*".');
  }
  return {
    deviceId: o.deviceId,
    tables,
    maxBatchRows: positive('maxBatchRows', o.maxBatchRows, 5000),
    maxBackfillBatchRows: positive('maxBackfillBatchRows', o.maxBackfillBatchRows, 50_000),
    maxBatchBytes: positive('maxBatchBytes', o.maxBatchBytes, 256 * 1024),
    compression,
    compressionLevel: o.compressionLevel,
    liveWindowMs: positive('liveWindowMs', o.liveWindowMs, 60_000),
    maxLogBytes: logLimit(o.maxLogBytes, diskBytes),
    start: startOf(o.start),
    now: o.now ?? Date.now,
  };
}

/** The smallest and largest default log limits (bytes), and the share of the disk between them. */
const MIN_DEFAULT_LOG = 64 * 1024 * 1024;
const MAX_DEFAULT_LOG = 1024 * 1024 * 1024;
const DEFAULT_LOG_SHARE = 0.1;

/**
 * maxLogBytes when none is given, from the size (bytes) of the file system the database is on: a
 * tenth of it, at least 64 MiB and at most 1 GiB. An 8 GB SD card keeps about 800 MB of log: at
 * the 6.6-22 bytes a reading measured (docs/sync.md), 4-14 days of a 100-sensor gateway at one
 * reading a second each. Unknown size: 1 GiB.
 */
export function defaultMaxLogBytes(diskBytes: number | null): number {
  if (diskBytes === null || !(diskBytes > 0)) return MAX_DEFAULT_LOG;
  return Math.round(Math.min(MAX_DEFAULT_LOG, Math.max(MIN_DEFAULT_LOG, diskBytes * DEFAULT_LOG_SHARE)));
}

/** A limit in bytes: 0 or Infinity means none; unset, the default for a disk of `diskBytes`. */
function logLimit(v: number | undefined, diskBytes: number | null): number {
  if (v === undefined) return defaultMaxLogBytes(diskBytes);
  if (v === 0 || v === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isFinite(v) || v < 0)
    throw new InvalidInputError(`maxLogBytes must be a number of bytes, 0 for no limit; got ${v}.`);
  return v;
}

function startOf(start: unknown): SyncStart {
  if (start === undefined) return 'beginning';
  if (start === 'beginning' || start === 'now') return start;
  throw new InvalidInputError(
    `start must be "beginning" (send every row the database holds) or "now" (only new rows); got ${JSON.stringify(start)}.`,
  );
}

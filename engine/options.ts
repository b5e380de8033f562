import { InvalidInputError } from './errors';
import { parseDuration } from './util/duration';

/**
 * When a write is acknowledged, by how far its WAL record has got: 'always' after an fsync that
 * covers it, 'batch' once the bytes are in the operating system (fsynced in the background), 'none'
 * the same with no fsync but on rotation and close. See `EngineOptions.durability`.
 */
export type Durability = 'always' | 'batch' | 'none';

/** Per-table settings that override the database defaults. */
export interface TableOptions {
  /** Width of a time partition: ms or a duration string ('1d', '6h'). Default: the database's. */
  partitionDuration?: number | string;
}

/**
 * Options of `open()`. Every field is optional; the defaults suit a Raspberry Pi with an SD card.
 */
export interface EngineOptions {
  /**
   * When a write resolves. 'always': after fsync (nothing acknowledged is lost even on power loss).
   * 'batch' (default): once the bytes are in the operating system (a crash of Node-RED loses
   * nothing; a power cut loses at most `batchIntervalMs`). 'none': the OS decides when to write.
   */
  durability?: Durability;
  /** 'batch' mode: the longest time in ms between fsyncs of the WAL. Default 100. */
  batchIntervalMs?: number;
  /**
   * Memory budget in MiB for unflushed rows (the head). The head is flushed to segments when it
   * reaches half of this, so a flush and new writes fit together. Default 32.
   */
  memoryLimitMB?: number;
  /**
   * Flush the head when its oldest unflushed row is older than this (ms or duration string).
   * This bounds WAL replay on the next start. Default '10m'. 0 disables the age trigger.
   */
  maxHeadAge?: number | string;
  /** Default width of a table's time partitions (ms or duration string). Default '1d'. */
  partitionDuration?: number | string;
  /** Per-table overrides, by table name. */
  tables?: Readonly<Record<string, TableOptions>>;
  /**
   * MiB of recently read chunks kept in memory (compressed, as stored), so repeated queries do not
   * read the files again. Default 8. 0 keeps none.
   */
  cacheMB?: number;
  /** Rows per chunk in segment files. Default 4096. */
  chunkRows?: number;
  /** A WAL file is closed and a new one started past this size, in MiB. Default 64. */
  walSegmentMB?: number;
  /**
   * Compact a partition once it has this many small segments in a row (small: chunks under half
   * full). Default 4. 0 disables background compaction.
   */
  compactionTrigger?: number;
  /**
   * A partition that has had no new segment for this long (ms or duration string, wall clock) is
   * merged into one segment, once. Default '1h'.
   */
  coldPartitionAfter?: number | string;
}

/** The options with every default applied and every duration in milliseconds. */
export interface ResolvedOptions {
  readonly durability: Durability;
  readonly batchIntervalMs: number;
  readonly memoryLimitBytes: number;
  readonly maxHeadAgeMs: number;
  readonly partitionDurationMs: number;
  readonly tablePartitionMs: ReadonlyMap<string, number>;
  readonly chunkRows: number;
  readonly cacheBytes: number;
  readonly walSegmentBytes: number;
  readonly compactionTrigger: number;
  readonly coldPartitionMs: number;
}

const MIB = 1024 * 1024;

function positiveNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(`Option ${name} must be a positive number; got ${String(value)}.`);
  }
  return value;
}

function nonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidInputError(`Option ${name} must be a whole number, 0 or more; got ${String(value)}.`);
  }
  return value;
}

function partitionMs(value: number | string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value, name);
  if (ms < 60_000 || !Number.isInteger(ms)) {
    throw new InvalidInputError(`${name} must be a whole number of milliseconds, at least one minute.`);
  }
  return ms;
}

export function resolveOptions(options: EngineOptions = {}): ResolvedOptions {
  const durability = options.durability ?? 'batch';
  if (durability !== 'always' && durability !== 'batch' && durability !== 'none') {
    throw new InvalidInputError(
      `Option durability must be 'always', 'batch' or 'none'; got ${String(durability)}.`,
    );
  }
  const partitionDurationMs = partitionMs(options.partitionDuration, 'Option partitionDuration', 86_400_000);
  const tablePartitionMs = new Map<string, number>();
  for (const [table, t] of Object.entries(options.tables ?? {})) {
    if (t.partitionDuration !== undefined) {
      tablePartitionMs.set(table, partitionMs(t.partitionDuration, `tables.${table}.partitionDuration`, 0));
    }
  }
  return {
    durability,
    batchIntervalMs: positiveNumber(options.batchIntervalMs, 'batchIntervalMs', 100),
    memoryLimitBytes: positiveNumber(options.memoryLimitMB, 'memoryLimitMB', 32) * MIB,
    maxHeadAgeMs:
      options.maxHeadAge === undefined ? 600_000 : parseDuration(options.maxHeadAge, 'Option maxHeadAge'),
    partitionDurationMs,
    tablePartitionMs,
    chunkRows: Math.max(16, nonNegativeInteger(options.chunkRows, 'chunkRows', 4096)),
    cacheBytes: (options.cacheMB === 0 ? 0 : positiveNumber(options.cacheMB, 'cacheMB', 8)) * MIB,
    walSegmentBytes: positiveNumber(options.walSegmentMB, 'walSegmentMB', 64) * MIB,
    compactionTrigger: nonNegativeInteger(options.compactionTrigger, 'compactionTrigger', 4),
    coldPartitionMs:
      options.coldPartitionAfter === undefined
        ? 3_600_000
        : parseDuration(options.coldPartitionAfter, 'Option coldPartitionAfter'),
  };
}

/**
 * Retention: keep a table's recent rows and drop what is older than a maximum age, and keep the
 * whole database under a size limit, oldest partitions first. Whole partitions go as files (no
 * writes); a partition that straddles the cutoff is cut by a delete, so nothing newer than the
 * cutoff disappears and nothing older is returned.
 *
 * Unsynced data: consumers (the sync node) hold durable cursors (LSNs). Rows written after the
 * lowest cursor have not reached upstream; age-based retention keeps them. The size limit may
 * drop them only when the disk limit would otherwise be broken, and reports exactly what went.
 */
import { InvalidInputError } from '../errors';
import { parseDuration } from '../util/duration';

export interface RetentionPolicy {
  /** a table name or a glob: `*` any run of characters, `?` one character */
  table: string;
  /** drop rows older than this (ms or a duration string such as '7d') */
  maxAge?: number | string;
  /** keep the whole database (segments and WAL) under this many bytes */
  maxBytes?: number;
  /** keep rows not yet synced from age-based deletion; default true */
  keepUnsynced?: boolean;
  /** the clock, ms since 1970; default Date.now() */
  now?: number;
}

export interface UnsyncedRange {
  table: string;
  from: number;
  to: number;
}

export interface RetentionReport {
  tables: string[];
  partitionsDropped: number;
  rowsDropped: number;
  bytesFreed: number;
  /** per table, the time before which rows were dropped */
  cutoffs: Record<string, number>;
  /** unsynced rows the age limit kept (the cutoff was moved back to spare them) */
  keptUnsynced: UnsyncedRange[];
  /** unsynced rows the size limit dropped anyway, because the disk limit required it */
  unsyncedDropped: UnsyncedRange[];
}

/** One time partition of a table, as retention sees it. */
export interface PartitionInfo {
  readonly table: string;
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
  readonly minTime: number;
  readonly maxTime: number;
  /** the highest LSN of any row in it (its segments' ranges) */
  readonly maxLsn: number;
}

/** What retention needs from the database. */
export interface RetentionTarget {
  tables(): string[];
  partitions(table: string): PartitionInfo[];
  /** the lowest consumer cursor, or null when no consumer is registered (nothing is unsynced) */
  lowestCursor(): number | null;
  /** the earliest time of a row of `table` written after `lsn` (in segments or memory), or null */
  earliestWrittenAfter(table: string, lsn: number): number | null;
  countRows(table: string, from: number, to: number): Promise<number>;
  deleteRows(table: string, options: { from?: number; to?: number }): Promise<unknown>;
  diskBytes(): number;
}

/** A glob as a RegExp anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function emptyReport(tables: string[]): RetentionReport {
  return {
    tables,
    partitionsDropped: 0,
    rowsDropped: 0,
    bytesFreed: 0,
    cutoffs: {},
    keptUnsynced: [],
    unsyncedDropped: [],
  };
}

/** Runs one retention policy now and reports what it dropped. */
export async function runRetention(
  target: RetentionTarget,
  policy: RetentionPolicy,
): Promise<RetentionReport> {
  if (!policy || typeof policy.table !== 'string' || policy.table === '') {
    throw new InvalidInputError(
      'A retention policy needs `table`: a table name or a pattern such as "sensor_*".',
    );
  }
  if (policy.maxAge === undefined && policy.maxBytes === undefined) {
    throw new InvalidInputError('A retention policy needs maxAge (e.g. "7d"), maxBytes, or both.');
  }
  const pattern = globToRegExp(policy.table);
  const tables = target.tables().filter((t) => pattern.test(t));
  const report = emptyReport(tables);
  const keepUnsynced = policy.keepUnsynced ?? true;
  const now = policy.now ?? Date.now();
  if (policy.maxAge !== undefined) {
    const maxAge = parseDuration(policy.maxAge, 'maxAge');
    for (const table of tables) await applyMaxAge(target, table, now - maxAge, keepUnsynced, report);
  }
  if (policy.maxBytes !== undefined) {
    if (!(policy.maxBytes > 0)) throw new InvalidInputError('maxBytes must be a positive number of bytes.');
    await applyMaxBytes(target, tables, policy.maxBytes, keepUnsynced, report);
  }
  return report;
}

async function applyMaxAge(
  target: RetentionTarget,
  table: string,
  cutoff: number,
  keepUnsynced: boolean,
  report: RetentionReport,
): Promise<void> {
  let effective = cutoff;
  const cursor = target.lowestCursor();
  if (keepUnsynced && cursor !== null) {
    const earliest = target.earliestWrittenAfter(table, cursor);
    if (earliest !== null && earliest < cutoff) {
      effective = earliest;
      report.keptUnsynced.push({ table, from: earliest, to: cutoff - 1 });
    }
  }
  report.cutoffs[table] = effective;
  await dropBefore(target, table, effective, report);
}

/** Deletes the rows of `table` older than `cutoff`, counting what goes. */
async function dropBefore(
  target: RetentionTarget,
  table: string,
  cutoff: number,
  report: RetentionReport,
): Promise<void> {
  const rows = await target.countRows(table, Number.NEGATIVE_INFINITY, cutoff - 1);
  if (rows === 0) return;
  const before = target.diskBytes();
  const whole = target.partitions(table).filter((p) => p.maxTime < cutoff).length;
  await target.deleteRows(table, { to: cutoff - 1 });
  report.rowsDropped += rows;
  report.partitionsDropped += whole;
  report.bytesFreed += Math.max(0, before - target.diskBytes());
}

async function applyMaxBytes(
  target: RetentionTarget,
  tables: string[],
  maxBytes: number,
  keepUnsynced: boolean,
  report: RetentionReport,
): Promise<void> {
  const cursor = target.lowestCursor();
  const unsynced = (p: PartitionInfo) => cursor !== null && p.maxLsn > cursor;
  const oldestFirst = tables
    .flatMap((t) => target.partitions(t))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  // Synced partitions go first; unsynced ones only if the limit cannot be kept otherwise.
  const order = keepUnsynced
    ? [...oldestFirst.filter((p) => !unsynced(p)), ...oldestFirst.filter(unsynced)]
    : oldestFirst;
  for (const p of order) {
    if (target.diskBytes() <= maxBytes) return;
    const rows = await target.countRows(p.table, p.start, p.end - 1);
    const before = target.diskBytes();
    await target.deleteRows(p.table, { from: p.start, to: p.end - 1 });
    report.partitionsDropped++;
    report.rowsDropped += rows;
    report.bytesFreed += Math.max(0, before - target.diskBytes());
    if (unsynced(p)) report.unsyncedDropped.push({ table: p.table, from: p.minTime, to: p.maxTime });
  }
}

/**
 * Writes: admission (back-pressure from the flush and compaction), validating and numbering rows
 * (prepare), finding the rows a write replaces, and the commit: one WAL append, then the rows go
 * into the active head. The common write (nothing replaced) is checked, numbered and appended in
 * one synchronous step, without a promise before the append.
 */
import { seriesKey } from '../catalog/catalog';
import { TransactionConflictError } from '../errors';
import {
  applySchema,
  type BatchSeries,
  checkSchema,
  prepareBatch,
  type RowidPlan,
  type WriteBatch,
} from '../ingest/prepare-batch';
import type { Reading } from '../ingest/readings';
import { ROWID_FIELD } from '../rows/identity';
import type { WalEntry } from '../wal/batch';
import { appendRecord, whenDurable } from './append';
import { compactionDebt, startFlush } from './background';
import { scan } from './reads';
import { checkSeriesBudget } from './series-budget';
import type { DbState } from './state';
import type { GroupPart, PreparedPart, WriteResult } from './transaction';

/** Writes wait for compaction once a partition has this many times `compactionTrigger` segments. */
const COMPACTION_STALL_FACTOR = 4;

/** `rowids`: 'none' for writes that must replace by series and time (rollups). See Database.write. */
export async function writeRows(
  s: DbState,
  table: string,
  readings: readonly Reading[],
  rowids: 'auto' | 'none',
): Promise<WriteResult> {
  const waiting = admission(s);
  if (waiting) await waiting;
  // The common case in one synchronous step, without the group's arrays (one-reading writes
  // come at 100k/s): validate, number, see that nothing is replaced, append.
  const part: GroupPart = { table, readings, rows: rowids };
  const before = s.nextRowids.get(table);
  const batch = prepareOne(s, part, null);
  if (replacedInBatch(batch, s.newestOf(batch.table)) === 0) return commitOne(s, batch);
  // numbered again below, after looking for the rows it replaces
  if (before === undefined) s.nextRowids.delete(table);
  else s.nextRowids.set(table, before);
  const [result] = await commitPrepared(s, await prepareParts(s, [part], new Map()));
  return result!;
}

/** commitPrepared for one batch that replaces nothing. */
async function commitOne(s: DbState, batch: WriteBatch): Promise<WriteResult> {
  const wal = s.openWal();
  if (batch.rows === 0) return { count: 0, replaced: 0, lsn: wal.lastLsn, lastRowid: null };
  checkSeriesBudget(s, [batch]);
  const { lsn, durable } = appendRecord(s, wal, { kind: 'write', batch });
  applyBatch(s, batch, lsn);
  if (s.active.bytes >= s.flushThreshold() && !s.flushing) startFlush(s);
  await whenDurable(s, durable);
  const result: WriteResult = { count: batch.rows, replaced: 0, lsn, lastRowid: batch.maxRowid };
  if (batch.rowids) result.rowids = batch.rowids;
  return result;
}

/** Several tables' rows as one WAL record. See Database.writeGroup. */
export async function writeGroup(s: DbState, parts: readonly GroupPart[]): Promise<WriteResult[]> {
  const waiting = admission(s);
  if (waiting) await waiting;
  // Validated, numbered and appended in one synchronous step when no row can replace another:
  // no other write lands between the check against the catalog and the append.
  const reserved = new Map<string, number>();
  const batches = parts.map((part) => prepareOne(s, part, reserved));
  const fast = batches.every(
    (batch, i) => parts[i]!.rows === 'stored' || replacedInBatch(batch, s.newestOf(batch.table)) === 0,
  );
  if (fast) return commitPrepared(s, batches.map(replacingNothing));
  giveBack(s, reserved, rowidCounters(s, reserved.keys()));
  return commitPrepared(s, await prepareParts(s, parts, new Map()));
}

function replacingNothing(batch: WriteBatch): PreparedPart {
  return { batch, replaced: 0, replacing: [] };
}

/**
 * null when a write may go ahead now; else a wait for the head to empty, compaction to catch
 * up or a write looking for the rows it replaces (no promise on the common path: writes of one
 * reading come at 100k/s).
 */
function admission(s: DbState): Promise<void> | null {
  s.openWal();
  const full = s.flushing !== null && s.headBytes() >= s.options.memoryLimitBytes;
  const behind =
    s.compacting !== null && compactionDebt(s) >= COMPACTION_STALL_FACTOR * s.options.compactionTrigger;
  return full || behind || s.replaceCheck ? admitWrite(s) : null;
}

/** Waits while the head is full or compaction is far behind, and for a write looking for replaced rows. */
async function admitWrite(s: DbState): Promise<void> {
  s.openWal();
  // Back-pressure: writes that outrun the flush wait for it rather than grow memory, and writes
  // that outrun compaction wait for it rather than pile up segments (each costs memory and reads).
  while (s.flushing && s.headBytes() >= s.options.memoryLimitBytes) {
    await s.flushing.catch(() => undefined);
  }
  while (s.compacting && compactionDebt(s) >= COMPACTION_STALL_FACTOR * s.options.compactionTrigger) {
    await s.compacting.catch(() => undefined);
  }
  while (s.replaceCheck) await s.replaceCheck.catch(() => undefined);
  s.openWal();
}

/** Validates and numbers the parts' rows and counts replaced rows. See Database.prepareParts. */
export async function prepareParts(
  s: DbState,
  parts: readonly GroupPart[],
  reserved: Map<string, number>,
): Promise<PreparedPart[]> {
  const out: PreparedPart[] = [];
  for (const part of parts) {
    const batch = prepareOne(s, part, reserved);
    let replacing: number[] = [];
    if (part.rows !== 'stored' && replacedInBatch(batch, s.newestOf(batch.table)) === null) {
      // Some rows are not newer than their series' newest: look for the rows they replace, with
      // other writes held back so that none lands in between.
      const check = findReplaced(s, batch);
      s.replaceCheck = check;
      try {
        replacing = await check;
      } finally {
        s.replaceCheck = null;
      }
      // the catalog may have moved meanwhile (a CREATE or DROP): commitPrepared checks again
    }
    out.push({ batch, replaced: replacing.length, replacing });
  }
  return out;
}

function prepareOne(s: DbState, part: GroupPart, reserved: Map<string, number> | null): WriteBatch {
  const plan =
    part.rows === 'stored'
      ? { next: 0, rows: 'given' as const, alias: s.catalog.get(part.table)?.rowidAlias ?? null }
      : rowidPlan(s, part.table, part.rows);
  const batch = prepareBatch(s.catalog, s.resolvers, part.table, part.readings, plan);
  if (batch.maxRowid !== null && part.rows !== 'stored') {
    if (reserved && !reserved.has(batch.table)) {
      reserved.set(batch.table, s.nextRowids.get(batch.table) ?? 1);
    }
    s.useRowid(batch.table, batch.maxRowid);
  }
  return batch;
}

/** How a write to `table` numbers its rows; null when none gets a rowid. */
function rowidPlan(s: DbState, table: string, rows: 'auto' | 'none'): RowidPlan | null {
  const schema = s.catalog.get(table);
  const which = rows === 'none' ? 'none' : (schema?.rowids ?? 'tagless');
  if (which === 'none') return null;
  return { next: s.nextRowids.get(table) ?? 1, rows: which, alias: schema?.rowidAlias ?? null };
}

/** Hands back the rowids a rolled-back transaction reserved. See Database.giveBack. */
export function giveBack(
  s: DbState,
  reserved: ReadonlyMap<string, number>,
  taken: ReadonlyMap<string, number>,
): void {
  for (const [table, from] of reserved) {
    if (s.nextRowids.get(table) === taken.get(table)) s.nextRowids.set(table, from);
  }
}

/** Each table's next rowid now (for giveBack). */
export function rowidCounters(s: DbState, tables: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const table of tables) out.set(table, s.nextRowids.get(table) ?? 1);
  return out;
}

/** The LSN of the last write or delete that changed `table` since open (0: none). */
export function changeOf(s: DbState, table: string): number {
  return s.changedAt.get(table) ?? 0;
}

/** Appends prepared batches as one record and applies them. See Database.commitPrepared. */
export async function commitPrepared(
  s: DbState,
  prepared: readonly PreparedPart[],
  reads?: ReadonlyMap<string, number>,
): Promise<WriteResult[]> {
  const batches = prepared.map((p) => p.batch).filter((b) => b.rows > 0);
  const wal = s.openWal();
  if (reads) {
    for (const [table, seen] of reads)
      if (changeOf(s, table) !== seen) throw new TransactionConflictError(table);
  }
  if (batches.length === 0) {
    return prepared.map(() => ({ count: 0, replaced: 0, lsn: wal.lastLsn, lastRowid: null }));
  }
  for (const batch of batches) checkSchema(s.catalog, batch);
  checkSeriesBudget(s, batches);
  const entry: WalEntry =
    batches.length === 1 ? { kind: 'write', batch: batches[0]! } : { kind: 'group', batches };
  const { lsn, durable } = appendRecord(s, wal, entry);
  for (const batch of batches) applyBatch(s, batch, lsn);
  if (s.active.bytes >= s.flushThreshold() && !s.flushing) startFlush(s);
  await whenDurable(s, durable);
  return prepared.map(({ batch, replaced, replacing }) => ({
    count: batch.rows,
    replaced,
    lsn,
    lastRowid: batch.maxRowid,
    ...(batch.rowids ? { rowids: batch.rowids } : {}),
    ...(replacing.length > 0 ? { replacedAt: replacing } : {}),
  }));
}

/**
 * Puts a batch stored at `lsn` into the active head and the counters (the series keys, each
 * series' newest time, the next rowid): after an append, and for each record replayed at open.
 */
export function applyBatch(s: DbState, batch: WriteBatch, lsn: number): void {
  applySchema(s.catalog, batch);
  s.changedAt.set(batch.table, lsn);
  s.active.apply(batch, lsn);
  const keys = s.keysOf(batch.table);
  const newest = s.newestOf(batch.table);
  for (const series of batch.series) {
    keys.add(series.key);
    let max = newest.get(series.key) ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < series.count; i++) if (series.times[i]! > max) max = series.times[i]!;
    newest.set(series.key, max);
  }
  if (batch.maxRowid !== null) s.useRowid(batch.table, batch.maxRowid);
}

/**
 * The readings of `batch` (their indexes in the write) that replace a stored row or an earlier
 * reading of the batch: the slow way, reading the series where the batch's times are.
 */
async function findReplaced(s: DbState, batch: WriteBatch): Promise<number[]> {
  const replacing: number[] = [];
  const newest = s.newestOf(batch.table);
  for (const series of batch.series) {
    if (series.fields.has(ROWID_FIELD)) continue;
    // most series of a batch of plant data rise past their newest stored time: nothing to look for
    if (risesPast(series, newest.get(series.key) ?? Number.NEGATIVE_INFINITY)) continue;
    // the first reading of each time replaces a stored row there; a later one, the reading before it
    const first = new Map<number, number>();
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < series.count; i++) {
      const t = series.times[i]!;
      const index = series.indexes?.[i] ?? i;
      if (first.has(t)) replacing.push(index);
      else first.set(t, index);
      from = Math.min(from, t);
      to = Math.max(to, t);
    }
    // all past the series' newest stored time (the rule the fast path trusts): nothing stored to
    // replace, so no scan; in a batch of plant data most series are so, and a few carry late rows
    if (from > (newest.get(series.key) ?? Number.NEGATIVE_INFINITY)) continue;
    // late rows newer than anything flushed or flushing: the active head alone can hold them, and
    // it comes after every delete, so its last write of a time decides (no scan, no sort)
    if (s.onlyActiveHolds(batch.table, series.key, from)) {
      const buffer = s.active.tables.get(batch.table)?.get(series.key);
      if (!buffer) continue;
      for (const [t, live] of buffer.lastWritesAt(new Set(first.keys()), from, to)) {
        if (live) replacing.push(first.get(t)!);
      }
      continue;
    }
    for await (const rows of scan(s, batch.table, { from, to, tags: series.tags })) {
      if (seriesKey(rows.tags) !== series.key) continue;
      const ids = rows.fields.get(ROWID_FIELD);
      for (let i = 0; i < rows.count; i++) {
        const hasRowid = ids !== undefined && (!ids.present || ids.present[i] === 1);
        const index = hasRowid ? undefined : first.get(rows.times[i]!);
        if (index !== undefined) replacing.push(index);
      }
    }
  }
  return replacing.sort((a, b) => a - b);
}

/**
 * 0 when no row of `batch` can replace another: each series identified by time (no rowids) has
 * times rising within the batch and past its newest stored time. Else null: look (findReplaced).
 */
function replacedInBatch(batch: WriteBatch, newest: ReadonlyMap<string, number>): 0 | null {
  for (const series of batch.series) {
    if (series.fields.has(ROWID_FIELD)) continue;
    if (!risesPast(series, newest.get(series.key) ?? Number.NEGATIVE_INFINITY)) return null;
  }
  return 0;
}

/** True when the series' times rise strictly, from past `newest` on: none can replace a row. */
function risesPast(series: BatchSeries, newest: number): boolean {
  let last = newest;
  for (let i = 0; i < series.count; i++) {
    const t = series.times[i]!;
    if (t <= last) return false;
    last = t;
  }
  return true;
}

/**
 * Downsampling: roll a table's raw rows up into per-bucket aggregates (`5m` avg/min/max/count/last)
 * in a rollup table that SQL queries like any other. Incremental: a durable watermark per rule
 * records the LSN and the time horizon already rolled up; a run adds the buckets the horizon has
 * since passed, and recomputes older buckets that late rows (written after the watermark LSN)
 * landed in. Every bucket is recomputed whole from the raw rows and written with last write wins
 * on (series, bucket time), so re-running, or running again after a crash, is idempotent.
 */
import { InvalidInputError } from '../errors';
import type { Reading } from '../ingest/readings';
import { isHiddenName } from '../rows/identity';
import type { ColumnType, FieldColumn, SeriesRows } from '../types';
import { formatDuration, parseDuration } from '../util/duration';
import { globToRegExp } from './retention';

export type Aggregate = 'avg' | 'min' | 'max' | 'count' | 'sum' | 'first' | 'last';
const AGGREGATES: readonly Aggregate[] = ['avg', 'min', 'max', 'count', 'sum', 'first', 'last'];
/** What string and bool fields roll up to: the values themselves, not arithmetic on them. */
const NON_NUMERIC: ReadonlySet<Aggregate> = new Set(['count', 'first', 'last']);

export interface DownsampleRule {
  /** a table name or a glob (`sensor_*`) */
  source: string;
  /** bucket width: ms or a duration string such as '5m' */
  bucket: number | string;
  /** roll a bucket up once it is this old (ms or duration string, e.g. '48h'); default 0 */
  after?: number | string;
  /** per numeric field; default avg, min, max, count, last */
  aggregates?: readonly Aggregate[];
  /** rollup table name; `{table}` and `{bucket}` are replaced; default '{table}_{bucket}' */
  target?: string;
  /** the clock, ms since 1970; default Date.now() */
  now?: number;
}

export interface DownsampleReport {
  sources: string[];
  /** rollup rows written (one per series and bucket) */
  bucketsWritten: number;
  /** raw rows read */
  rowsRead: number;
  /** buckets rolled up before and recomputed because late rows landed in them */
  lateBucketsRecomputed: number;
}

/** Where a rule has got to, per source table: stored durably between runs. */
export interface Watermark {
  /** every batch up to this LSN has been considered */
  readonly lsn: number;
  /** buckets starting before this time have been rolled up */
  readonly until: number;
}

/** What downsampling needs from the database. */
export interface DownsampleTarget {
  tables(): string[];
  fieldTypes(table: string): ReadonlyMap<string, ColumnType>;
  lastLsn(): number;
  /** time ranges (per source of data) holding rows written after `lsn` */
  rangesWrittenAfter(table: string, lsn: number): Array<[number, number]>;
  scan(table: string, options: { from?: number; to?: number }): AsyncGenerator<SeriesRows>;
  write(table: string, readings: Reading[]): Promise<unknown>;
  watermark(key: string): Watermark | undefined;
  saveWatermark(key: string, mark: Watermark): Promise<void>;
}

interface CheckedRule {
  readonly bucketMs: number;
  readonly afterMs: number;
  readonly aggregates: readonly Aggregate[];
  readonly targetTemplate: string;
}

function checkRule(rule: DownsampleRule): CheckedRule {
  if (!rule || typeof rule.source !== 'string' || rule.source === '') {
    throw new InvalidInputError(
      'A downsample rule needs `source`: a table name or a pattern such as "sensor_*".',
    );
  }
  const bucketMs = parseDuration(rule.bucket, 'The downsample bucket');
  if (!(bucketMs >= 1000) || !Number.isInteger(bucketMs)) {
    throw new InvalidInputError(
      'The downsample bucket must be a whole number of ms, at least 1s (e.g. "5m").',
    );
  }
  const aggregates = [...(rule.aggregates ?? ['avg', 'min', 'max', 'count', 'last'])];
  for (const a of aggregates) {
    if (!AGGREGATES.includes(a)) {
      throw new InvalidInputError(`Unknown aggregate ${JSON.stringify(a)}; use ${AGGREGATES.join(', ')}.`);
    }
  }
  return {
    bucketMs,
    afterMs: rule.after === undefined ? 0 : parseDuration(rule.after, 'The downsample `after` age'),
    aggregates,
    targetTemplate: rule.target ?? '{table}_{bucket}',
  };
}

/** Runs one downsampling rule now. */
export async function runDownsample(
  target: DownsampleTarget,
  rule: DownsampleRule,
): Promise<DownsampleReport> {
  const checked = checkRule(rule);
  const pattern = globToRegExp(rule.source);
  const now = rule.now ?? Date.now();
  const horizon = Math.floor((now - checked.afterMs) / checked.bucketMs) * checked.bucketMs;
  const report: DownsampleReport = { sources: [], bucketsWritten: 0, rowsRead: 0, lateBucketsRecomputed: 0 };
  for (const table of target.tables()) {
    const rollup = rollupName(checked.targetTemplate, table, checked.bucketMs);
    if (!pattern.test(table) || rollup === table || isRollupOf(table, rule.source, checked)) continue;
    report.sources.push(table);
    await downsampleTable(target, table, rollup, checked, horizon, report);
  }
  return report;
}

function rollupName(template: string, table: string, bucketMs: number): string {
  return template.replaceAll('{table}', table).replaceAll('{bucket}', formatDuration(bucketMs));
}

/** A rollup table must not feed its own pattern (sensor_* would match sensor_x_5m). */
function isRollupOf(table: string, source: string, rule: CheckedRule): boolean {
  const suffix = rollupName(rule.targetTemplate, '', rule.bucketMs);
  return suffix !== '' && table.endsWith(suffix) && globToRegExp(source).test(table.slice(0, -suffix.length));
}

async function downsampleTable(
  target: DownsampleTarget,
  table: string,
  rollup: string,
  rule: CheckedRule,
  horizon: number,
  report: DownsampleReport,
): Promise<void> {
  const key = `${table}->${rollup}`;
  const startLsn = target.lastLsn();
  const mark = target.watermark(key) ?? { lsn: 0, until: Number.NEGATIVE_INFINITY };
  const ranges: Array<[number, number]> = [];
  // Late rows: buckets already rolled up that rows written since the watermark landed in.
  for (const [from, to] of target.rangesWrittenAfter(table, mark.lsn)) {
    const lo = Math.floor(from / rule.bucketMs) * rule.bucketMs;
    const hi = Math.min(to, mark.until - 1);
    if (lo <= hi) ranges.push([lo, Math.floor(hi / rule.bucketMs) * rule.bucketMs + rule.bucketMs - 1]);
  }
  const late = mergeRanges(ranges);
  for (const [from, to] of late) {
    report.lateBucketsRecomputed += await rollUp(target, table, rollup, rule, from, to, report);
  }
  // New buckets the horizon has passed.
  if (horizon > mark.until) await rollUp(target, table, rollup, rule, mark.until, horizon - 1, report);
  await target.saveWatermark(key, { lsn: startLsn, until: Math.max(mark.until, horizon) });
}

function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/**
 * Rollup rows per write: small enough that validating and encoding one write stays a few ms of
 * the event loop (a write is one synchronous step); rollups need no batch atomicity, each row
 * replaces itself on a re-run.
 */
const ROLLUP_ROWS_PER_WRITE = 2000;

/** Rolls up every series' rows in [from, to] (bucket-aligned); returns the buckets written. */
async function rollUp(
  target: DownsampleTarget,
  table: string,
  rollup: string,
  rule: CheckedRule,
  from: number,
  to: number,
  report: DownsampleReport,
): Promise<number> {
  const types = target.fieldTypes(table);
  let pending: Reading[] = [];
  let written = 0;
  for await (const series of target.scan(table, { from, to })) {
    report.rowsRead += series.count;
    for (const reading of bucketsOf(series, types, rule)) pending.push(reading);
    if (pending.length >= ROLLUP_ROWS_PER_WRITE) {
      await target.write(rollup, pending);
      written += pending.length;
      pending = [];
    }
  }
  if (pending.length > 0) {
    await target.write(rollup, pending);
    written += pending.length;
  }
  report.bucketsWritten += written;
  return written;
}

/** One rollup reading per bucket of a series' (sorted) rows. */
function bucketsOf(series: SeriesRows, types: ReadonlyMap<string, ColumnType>, rule: CheckedRule): Reading[] {
  const out: Reading[] = [];
  let start = 0;
  while (start < series.count) {
    const bucket = Math.floor(series.times[start]! / rule.bucketMs) * rule.bucketMs;
    let end = start + 1;
    while (end < series.count && series.times[end]! < bucket + rule.bucketMs) end++;
    const fields: Record<string, number | bigint | string | boolean> = {};
    for (const [name, column] of series.fields) {
      if (isHiddenName(name)) continue; // rowids are the engine's, not readings
      aggregateInto(fields, name, column, types.get(name) ?? column.type, start, end, rule.aggregates);
    }
    if (Object.keys(fields).length > 0) out.push({ time: bucket, tags: series.tags, fields });
    start = end;
  }
  return out;
}

function aggregateInto(
  out: Record<string, number | bigint | string | boolean>,
  name: string,
  column: FieldColumn,
  type: ColumnType,
  start: number,
  end: number,
  aggregates: readonly Aggregate[],
): void {
  const numeric = type === 'float' || type === 'int';
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let first = -1;
  let last = -1;
  for (let i = start; i < end; i++) {
    if (column.present && !column.present[i]) continue;
    if (first < 0) first = i;
    last = i;
    count++;
    if (numeric) {
      const v = (column.values as Float64Array)[i]!;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (count === 0) return;
  // Integers stay integers (as SQL's min/max/sum of an int column do); counts are integers.
  const asType = (v: number): number | bigint => (type === 'int' ? BigInt(v) : v);
  const valueAt = (i: number): number | bigint | string | boolean =>
    type === 'bool'
      ? (column.values as Uint8Array)[i] === 1
      : type === 'string'
        ? (column.values as string[])[i]!
        : asType((column.values as Float64Array)[i]!);
  for (const agg of aggregates) {
    if (!numeric && !NON_NUMERIC.has(agg)) continue;
    out[`${name}_${agg}`] =
      agg === 'avg'
        ? sum / count
        : agg === 'min'
          ? asType(min)
          : agg === 'max'
            ? asType(max)
            : agg === 'sum'
              ? asType(sum)
              : agg === 'count'
                ? BigInt(count)
                : agg === 'first'
                  ? valueAt(first)
                  : valueAt(last);
  }
}

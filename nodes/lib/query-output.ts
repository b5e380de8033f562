import type { QueryResult } from '../../engine/index';
import type { NodeMessage } from './red';

/** A column of a query result, as db.query returns it. */
export type ResultColumn = QueryResult['columns'][number];

export type OutputMode = 'rows' | 'each' | 'first' | 'value' | 'chart';
export const OUTPUT_MODES: readonly OutputMode[] = ['rows', 'each', 'first', 'value', 'chart'];
export type TimeFormat = 'ms' | 'iso';

export interface OutputOptions {
  mode: OutputMode;
  timeFormat: TimeFormat;
  /** chart mode: send { payload: [] } first so the chart shows only this result */
  chartClear: boolean;
}

type Row = Record<string, unknown>;

/** Is this the time column? By declared type, or by the name `time`. */
export function isTimeColumn(c: ResultColumn): boolean {
  return /^(time|timestamp|timestamptz|datetime)$/i.test(c.type) || c.name === 'time';
}

function plainValue(v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : String(v);
}

function timeValue(v: unknown, format: TimeFormat): unknown {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v;
  if (format === 'iso' && typeof ms === 'number' && Number.isFinite(ms)) return new Date(ms).toISOString();
  return ms;
}

/** Rows as plain objects keyed by column name, times in the chosen format, bigints made JSON-safe. */
export function toObjects(result: QueryResult, format: TimeFormat): Row[] {
  return objectsOf(result, format, 0, result.rows.length);
}

/** Rows `start` to `end` (exclusive) of `result` as `toObjects` makes them. */
function objectsOf(result: QueryResult, format: TimeFormat, start: number, end: number): Row[] {
  const { columns } = result;
  const isTime = columns.map(isTimeColumn);
  const out = new Array<Row>(Math.max(0, end - start));
  for (let r = start; r < end; r++) {
    const row = result.rows[r]!;
    const obj: Row = {};
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!.name;
      // rows in column order (arrays, as a caller outside the engine may hand them) are read by index
      const raw = Array.isArray(row) ? row[i] : (row as Row)[name];
      obj[name] = isTime[i] ? timeValue(raw, format) : plainValue(raw);
    }
    out[r - start] = obj;
  }
  return out;
}

function numericColumns(columns: readonly ResultColumn[], rows: readonly Row[], skip: string): string[] {
  return columns
    .filter((c) => c.name !== skip)
    .filter((c) => {
      if (/int|float|double|real|numeric|decimal|number/i.test(c.type)) return true;
      let seen = false;
      for (const r of rows) {
        const v = r[c.name];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'number') return false;
        seen = true;
      }
      return seen;
    })
    .map((c) => c.name);
}

/**
 * Chart-ready series for a FlowFuse Dashboard 2 ui-chart: one message per series, `msg.topic` the
 * series name (ui-chart's default series property) and `msg.payload` an array of { x, y } points with
 * x the time in milliseconds. Text columns name the series; each numeric column is a line. The chart
 * needs X = key `x`, Y = key `y` and an X-axis limit of 0 (docs/nodes.md; test/browser/ proves it).
 */
export function chartSeries(result: QueryResult): NodeMessage[] {
  const rows = toObjects(result, 'ms');
  const timeCol = result.columns.find(isTimeColumn)?.name ?? result.columns[0]?.name ?? '';
  const values = numericColumns(result.columns, rows, timeCol);
  const labels = result.columns.map((c) => c.name).filter((n) => n !== timeCol && !values.includes(n));
  const series = new Map<string, Array<{ x: unknown; y: unknown }>>();
  for (const row of rows) {
    const label = labels.map((n) => String(row[n] ?? '')).join(' ');
    for (const v of values) {
      const name = label === '' ? v : values.length > 1 ? `${label} ${v}` : label;
      let points = series.get(name);
      if (!points) {
        points = [];
        series.set(name, points);
      }
      points.push({ x: row[timeCol], y: row[v] ?? null });
    }
  }
  return [...series].map(([topic, payload]) => ({ topic, payload }));
}

/** What every message of a result carries: the input message's properties, columns, stats, changes. */
function baseOf(msg: NodeMessage, result: QueryResult): NodeMessage {
  const base: NodeMessage = { ...msg, columns: result.columns, stats: result.stats };
  if (result.changes) base.changes = result.changes;
  if (result.lastInsertRowid !== undefined && result.lastInsertRowid !== null) {
    base.lastInsertRowid = result.lastInsertRowid;
  }
  return base;
}

/**
 * The messages a helios-query sends for `result`, built from the input message `msg` (whose other
 * properties are kept). Every message carries msg.columns and msg.stats; a statement that wrote
 * rows also msg.changes and msg.lastInsertRowid (better-sqlite3's names, as SQLite flows expect).
 */
export function buildOutput(msg: NodeMessage, result: QueryResult, options: OutputOptions): NodeMessage[] {
  const base = baseOf(msg, result);
  switch (options.mode) {
    case 'rows':
      return [{ ...base, payload: toObjects(result, options.timeFormat) }];
    case 'first':
      return [{ ...base, payload: toObjects(result, options.timeFormat)[0] ?? null }];
    case 'value': {
      const first = toObjects(result, options.timeFormat)[0];
      const name = result.columns[0]?.name;
      return [{ ...base, payload: first && name !== undefined ? first[name] : null }];
    }
    case 'each': {
      const rows = toObjects(result, options.timeFormat);
      const id = `${msg._msgid ?? 'helios'}-rows`;
      return rows.map((row, index) => ({ ...base, payload: row, parts: { id, index, count: rows.length } }));
    }
    case 'chart': {
      const series = chartSeries(result).map((s) => ({ ...base, ...s }));
      return options.chartClear ? [{ ...base, payload: [] }, ...series] : series;
    }
  }
}

/** Messages of "one message per row" built and sent per turn of the event loop (a few ms of work). */
export const EACH_SLICE = 500;
/** Rows converted per turn of the event loop for "all rows" (about 5 ms of work). */
export const ROWS_SLICE = 10_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Sends what `buildOutput` builds, through `send` (called once per slice of messages), without
 * holding Node-RED's thread for a big result: "one message per row" goes out `EACH_SLICE` messages
 * at a time and "all rows" is converted `ROWS_SLICE` rows at a time, with a turn of the event loop
 * between slices (Node-RED delivers each slice before the next is built). Small results and the
 * other modes are sent at once. Resolves with the number of messages sent.
 */
export async function sendOutput(
  msg: NodeMessage,
  result: QueryResult,
  options: OutputOptions,
  send: (messages: NodeMessage[]) => void,
): Promise<number> {
  const n = result.rows.length;
  if (options.mode === 'each' && n > EACH_SLICE) {
    const base = baseOf(msg, result);
    const id = `${msg._msgid ?? 'helios'}-rows`;
    for (let start = 0; start < n; start += EACH_SLICE) {
      if (start > 0) await nextTurn();
      const end = Math.min(n, start + EACH_SLICE);
      const rows = objectsOf(result, options.timeFormat, start, end);
      send(rows.map((row, i) => ({ ...base, payload: row, parts: { id, index: start + i, count: n } })));
    }
    return n;
  }
  if (options.mode === 'rows' && n > ROWS_SLICE) {
    const payload: Row[] = [];
    for (let start = 0; start < n; start += ROWS_SLICE) {
      if (start > 0) await nextTurn();
      for (const row of objectsOf(result, options.timeFormat, start, Math.min(n, start + ROWS_SLICE))) {
        payload.push(row);
      }
    }
    send([{ ...baseOf(msg, result), payload }]);
    return 1;
  }
  const out = buildOutput(msg, result, options);
  if (out.length > 0) send(out);
  return out.length;
}

import type { NodeMessage } from './red';

/** A column of a query result, as db.query returns it. */
export interface ResultColumn {
  name: string;
  type: string;
}

/** db.query's result: rows are arrays (in column order) or objects keyed by column name. */
export interface QueryResult {
  columns: ResultColumn[];
  rows: ReadonlyArray<readonly unknown[] | Record<string, unknown>>;
  stats: Record<string, unknown>;
  /** rows an INSERT, UPDATE or DELETE stored, changed or removed */
  changes?: number;
  /** the rowid of the last row an INSERT stored */
  lastInsertRowid?: number | null;
}

export type OutputMode = 'rows' | 'each' | 'first' | 'value' | 'chart';
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
  const { columns } = result;
  const isTime = columns.map(isTimeColumn);
  return result.rows.map((row) => {
    const out: Row = {};
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!.name;
      const raw = Array.isArray(row) ? row[i] : (row as Row)[name];
      out[name] = isTime[i] ? timeValue(raw, format) : plainValue(raw);
    }
    return out;
  });
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

/**
 * The messages a helios-query sends for `result`, built from the input message `msg` (whose other
 * properties are kept). Every message carries msg.columns and msg.stats; a statement that wrote
 * rows also msg.changes and msg.lastInsertRowid (better-sqlite3's names, as SQLite flows expect).
 */
export function buildOutput(msg: NodeMessage, result: QueryResult, options: OutputOptions): NodeMessage[] {
  const base: NodeMessage = { ...msg, columns: result.columns, stats: result.stats };
  if (result.changes) base.changes = result.changes;
  if (result.lastInsertRowid !== undefined && result.lastInsertRowid !== null) {
    base.lastInsertRowid = result.lastInsertRowid;
  }
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

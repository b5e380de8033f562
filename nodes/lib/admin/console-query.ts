/**
 * The SQL console's queries: run with a row cap (the engine's maxRows, so a careless SELECT * is
 * refused with a sentence instead of holding the process) and the engine's time slicing; one page
 * of rows goes to the browser, plus, when the result has a time column and numbers, the series to
 * plot (at most PLOT_POINTS rows of it).
 */
import type { Database, QueryParams, QueryResult } from '../../../engine/index';
import { SqlError } from '../../../engine/index';

/** Most rows a console query may produce (the engine refuses more, saying to add LIMIT). */
export const CONSOLE_MAX_ROWS = 20_000;
/** Rows per page sent to the browser. */
export const PAGE_ROWS = 100;
/** Most rows of a result sent for the plot (every row when fewer; evenly spaced ones when more). */
export const PLOT_POINTS = 2000;
/** Most lines per numeric column in the plot (one per combination of the text columns' values). */
export const PLOT_GROUPS = 8;

export interface ConsoleRequest {
  sql: string;
  params?: QueryParams;
  /** first row of the page (0-based) */
  offset: number;
  /** the page size, at most PAGE_ROWS */
  limit: number;
}

export interface ConsoleResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  offset: number;
  total: number;
  changes: number;
  ms: number;
  /** time column name and numeric columns' values by name, or null when there is nothing to plot */
  plot: { time: string; times: number[]; series: Record<string, Array<number | null>> } | null;
}

/** A console mistake for the browser: the message and, for SQL, where (0-based offset) it points. */
export interface ConsoleError {
  message: string;
  code: string;
  offset: number | null;
  line: number | null;
  column: number | null;
}

/** Reads the request body; a sentence for what is wrong with it. */
export function consoleRequestOf(body: unknown): ConsoleRequest | string {
  if (body === null || typeof body !== 'object') return 'Send a JSON body: {"sql": "SELECT ..."}.';
  const b = body as Record<string, unknown>;
  if (typeof b.sql !== 'string' || b.sql.trim() === '') return 'The body needs "sql": the statement to run.';
  const offset = Number(b.offset ?? 0);
  const limit = Number(b.limit ?? PAGE_ROWS);
  if (!Number.isSafeInteger(offset) || offset < 0) return '"offset" must be a whole number, 0 or more.';
  if (!Number.isSafeInteger(limit) || limit < 1) return '"limit" must be a whole number, 1 or more.';
  const request: ConsoleRequest = { sql: b.sql, offset, limit: Math.min(limit, PAGE_ROWS) };
  if (Array.isArray(b.params) || (b.params !== null && typeof b.params === 'object')) {
    request.params = b.params as QueryParams;
  }
  return request;
}

export async function runConsole(db: Database, request: ConsoleRequest): Promise<ConsoleResult> {
  const result = await db.query(request.sql, request.params, { maxRows: CONSOLE_MAX_ROWS });
  return {
    columns: result.columns,
    rows: result.rows.slice(request.offset, request.offset + request.limit).map(jsonRow),
    offset: request.offset,
    total: result.rows.length,
    changes: result.changes,
    ms: result.stats.ms,
    plot: request.offset === 0 ? plotOf(result) : null,
  };
}

/** The error as the console shows it: SQL errors carry their offset, line and column. */
export function consoleErrorOf(err: unknown, sql: string): ConsoleError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const out: ConsoleError = {
    message: e.message,
    code: typeof code === 'string' ? code : 'HELIOS_ERROR',
    offset: null,
    line: null,
    column: null,
  };
  if (e instanceof SqlError && e.offset >= 0) {
    out.offset = e.offset;
    const before = sql.slice(0, e.offset).split('\n');
    out.line = before.length;
    out.column = before.at(-1)!.length + 1;
  }
  return out;
}

/**
 * The plot of a result: x the time column, one line per numeric column and, when the result has
 * text columns (tags such as sensor), per combination of their values (at most PLOT_GROUPS; more
 * are left out of the plot, not mixed into one line). Lines are aligned on the union of times,
 * with null where a line has no value.
 */
function plotOf(result: QueryResult): ConsoleResult['plot'] {
  const time = result.columns.find((c) => c.type === 'time')?.name;
  const numeric = result.columns.filter((c) => c.type === 'float' || c.type === 'int').map((c) => c.name);
  const keys = result.columns.filter((c) => c.type === 'string').map((c) => c.name);
  if (!time || numeric.length === 0 || result.rows.length === 0) return null;
  const step = Math.max(1, result.rows.length / PLOT_POINTS);
  const picked: Array<Record<string, unknown>> = [];
  for (let i = 0; i < result.rows.length && picked.length < PLOT_POINTS; i += step) {
    picked.push(result.rows[Math.floor(i)]!);
  }
  const times = [...new Set(picked.map((r) => Number(r[time])))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const series: Record<string, Array<number | null>> = {};
  for (const row of picked) {
    const group = keys.map((k) => String(row[k] ?? '')).join(' ');
    for (const name of numeric) {
      const label = group === '' ? name : `${name} ${group}`;
      let line = series[label];
      if (!line) {
        if (Object.keys(series).length >= PLOT_GROUPS * numeric.length) continue;
        line = series[label] = new Array<number | null>(times.length).fill(null);
      }
      const v = row[name];
      line[at.get(Number(row[time]))!] =
        typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;
    }
  }
  return { time, times, series };
}

/** JSON has no bigint, NaN or infinities: those become text. */
function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v)) ? String(v) : v;
  }
  return out;
}

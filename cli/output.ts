/** How the CLI prints results: aligned text tables, CSV, JSON; sizes and times for people. */
import type { QueryResult } from '../engine/index';
import { csvRow } from '../nodes/lib/transfer/csv';

export type QueryFormat = 'table' | 'csv' | 'json';
export const QUERY_FORMATS: readonly QueryFormat[] = ['table', 'csv', 'json'];

/** Longest cell shown in a text table; CSV and JSON are never cut. */
const MAX_CELL = 60;

export function formatResult(result: QueryResult, format: QueryFormat): string {
  const names = result.columns.map((c) => c.name);
  if (format === 'json') return `${JSON.stringify(result.rows, jsonValue, 2)}\n`;
  if (format === 'csv') {
    return `${[csvRow(names), ...result.rows.map((r) => csvRow(names.map((n) => cellText(r[n]))))].join('\n')}\n`;
  }
  if (names.length === 0) return result.changes > 0 ? `${result.changes} rows changed\n` : 'OK\n';
  const rows = result.rows.map((r) => names.map((n) => cellText(r[n])));
  return `${textTable(names, rows)}(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'}, ${result.stats.ms.toFixed(1)} ms)\n`;
}

/** An aligned table: numbers to the right, the rest to the left. */
export function textTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const cut = (s: string) => (s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s);
  const cells = rows.map((r) => r.map(cut));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map(
    (_h, c) => cells.length > 0 && cells.every((r) => /^-?[\d.,]+( \w+)?$|^$/.test(r[c] ?? '')),
  );
  const line = (r: readonly string[]) =>
    r
      .map((v, c) => (numeric[c] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')}\n`;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value, jsonValue);
  return String(value);
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function timeText(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? '' : new Date(ms).toISOString();
}

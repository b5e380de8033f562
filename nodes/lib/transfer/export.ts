/** `helios export`: one table's rows (a time range of it) as CSV, JSON lines or line protocol. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Database, FieldColumn } from '../../../engine/index';
import { csvRow } from './csv';
import { formatLine } from './line-protocol';

export type ExportFormat = 'csv' | 'jsonl' | 'lp';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl', 'lp'];

export interface ExportOptions {
  format: ExportFormat;
  from?: number;
  to?: number;
  /** CSV and JSON lines: times as ms since 1970 (default) or ISO-8601 text */
  time?: 'ms' | 'iso';
  onProgress?: ((rows: number) => void) | undefined;
}

export interface ExportReport {
  rows: number;
  /** line protocol only: rows with no value it can write (NaN, infinities, all fields empty) */
  skipped: number;
}

/** Bytes gathered before one write to the stream (which is then waited on when full). */
const WRITE_BYTES = 16 * 1024;
/** Longest stretch of formatting before yielding to the event loop. */
const SLICE_MS = 10;

/** Writes the rows of `table` to `out`, series by series, in time order within each. */
export async function exportTable(
  db: Database,
  table: string,
  out: Writable,
  options: ExportOptions,
): Promise<ExportReport> {
  const schema = db.schema(table);
  if (!schema)
    throw new Error(`There is no table "${table}". The tables are: ${db.tables().join(', ') || 'none'}.`);
  // fields whose names start with \u0001 are the engine's own (rowids)
  const fields = schema.fields.filter((f) => !f.name.startsWith('\u0001'));
  const report: ExportReport = { rows: 0, skipped: 0 };
  let buffer = '';
  let sliceStart = performance.now();
  const flush = async () => {
    if (buffer !== '' && !out.write(buffer)) await once(out, 'drain');
    buffer = '';
    // Node-RED shares the thread: a fast stream never waits for 'drain', so yield now and then
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  };
  if (options.format === 'csv')
    buffer += `${csvRow(['time', ...schema.tagKeys, ...fields.map((f) => f.name)])}\n`;
  const when = (ms: number) => (options.time === 'iso' ? new Date(ms).toISOString() : ms);
  const range: { from?: number; to?: number } = {};
  if (options.from !== undefined) range.from = options.from;
  if (options.to !== undefined) range.to = options.to;
  for await (const series of db.scan(table, range)) {
    const columns = fields.map((f) => series.fields.get(f.name));
    for (let r = 0; r < series.count; r++) {
      const time = series.times[r]!;
      const values = columns.map((c) => (c ? valueAt(c, r) : null));
      if (options.format === 'csv') {
        buffer += `${csvRow([when(time), ...schema.tagKeys.map((k) => series.tags[k] ?? ''), ...values])}\n`;
      } else if (options.format === 'jsonl') {
        const fieldObject: Record<string, unknown> = {};
        fields.forEach((f, i) => {
          if (values[i] !== null) fieldObject[f.name] = values[i];
        });
        buffer += `${JSON.stringify({ time: when(time), tags: series.tags, fields: fieldObject })}\n`;
      } else {
        const line = formatLine(
          table,
          time,
          series.tags,
          fields.map((f, i) => [f.name, values[i], f.type]),
        );
        if (line === null) report.skipped++;
        else buffer += `${line}\n`;
      }
      report.rows++;
      if (buffer.length >= WRITE_BYTES) {
        await flush();
        options.onProgress?.(report.rows);
      }
    }
  }
  await flush();
  return report;
}

/** The value of row `r`, or null; JSON has no NaN or infinities, so those become their names. */
function valueAt(column: FieldColumn, r: number): unknown {
  if (column.present && column.present[r] === 0) return null;
  const v = column.values[r];
  if (column.type === 'bool') return v === 1;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v ?? null;
}

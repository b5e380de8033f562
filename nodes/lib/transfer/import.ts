/**
 * `helios import`: CSV, JSON lines or InfluxDB line protocol into one table, in batches of
 * BATCH_ROWS readings (each one WAL record, stored whole or not at all).
 *
 * Types: a column the table has already keeps its type (a whole number for an int column is
 * stored as an integer). For a new table, line protocol says every type itself; in CSV a column is
 * a float when every cell is a number, a bool when every cell is true or false, else text; in
 * JSON lines the JSON type decides (numbers are floats). Tags: line protocol and JSON lines of the
 * shape {time, tags, fields} name them; for CSV and flat JSON objects, `--tags` or the table's
 * tags do (docs/cli.md).
 */
import type { Database, Reading, TableSchemaInfo } from '../../../engine/index';
import { parseCsv } from './csv';
import { type Precision, parseLine } from './line-protocol';

export type ImportFormat = 'csv' | 'jsonl' | 'lp';

export interface ImportOptions {
  format: ImportFormat;
  /** tag columns of CSV and flat JSON lines (besides the table's own) */
  tags: readonly string[];
  /** line protocol's timestamp unit */
  precision: Precision;
  onProgress?: ((rows: number) => void) | undefined;
}

export interface ImportReport {
  rows: number;
  replaced: number;
  batches: number;
}

const BATCH_ROWS = 5000;

/** Where a reading came from, for the sentence when it is refused. */
class ImportError extends Error {
  constructor(line: number, what: string) {
    super(`line ${line}: ${what}`);
    this.name = 'ImportError';
  }
}

/** Formats by file name ending: .csv, .jsonl / .ndjson / .json, .lp / .line / .txt. */
export function formatOf(file: string): ImportFormat | undefined {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl';
  if (/\.(lp|line|txt)$/i.test(file)) return 'lp';
  return undefined;
}

export async function importText(
  db: Database,
  table: string,
  text: string,
  options: ImportOptions,
): Promise<ImportReport> {
  const schema = db.schema(table);
  const readings =
    options.format === 'lp'
      ? lineProtocolReadings(text, options.precision)
      : options.format === 'jsonl'
        ? jsonReadings(text, tagSet(schema, options.tags))
        : csvReadings(text, schema, tagSet(schema, options.tags));
  const report: ImportReport = { rows: 0, replaced: 0, batches: 0 };
  let batch: Reading[] = [];
  let firstLine = 1;
  const store = async () => {
    const typed = batch.map((r) => withIntegers(r, schema));
    try {
      const result = await db.write(table, typed);
      report.replaced += result.replaced;
    } catch (err) {
      throw new Error(
        `The batch from line ${firstLine} was refused, nothing of it was stored (${report.rows} rows before ` +
          `it were): ${(err as Error).message}`,
      );
    }
    report.rows += batch.length;
    report.batches++;
    batch = [];
    options.onProgress?.(report.rows);
  };
  for (const { reading, line } of readings) {
    if (batch.length === 0) firstLine = line;
    batch.push(reading);
    if (batch.length >= BATCH_ROWS) await store();
  }
  if (batch.length > 0) await store();
  return report;
}

function tagSet(schema: TableSchemaInfo | undefined, extra: readonly string[]): Set<string> {
  return new Set([...(schema?.tagKeys ?? []), ...extra]);
}

/** Whole numbers for the table's int columns become integers (BigInt), as the engine wants them. */
function withIntegers(reading: Reading, schema: TableSchemaInfo | undefined): Reading {
  if (!schema) return reading;
  let fields: Record<string, unknown> | null = null;
  for (const f of schema.fields) {
    const v = reading.fields[f.name];
    if (f.type === 'int' && typeof v === 'number' && Number.isInteger(v)) {
      fields ??= { ...reading.fields };
      fields[f.name] = BigInt(v);
    }
  }
  return fields ? { ...reading, fields } : reading;
}

function* lineProtocolReadings(text: string, precision: Precision) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parsed = parseLine(lines[i]!.replace(/\r$/, ''), i + 1, precision);
    if (parsed) yield { reading: parsed.reading, line: i + 1 };
  }
}

function* jsonReadings(text: string, tags: ReadonlySet<string>) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new ImportError(i + 1, `not JSON (${(err as Error).message})`);
    }
    yield { reading: jsonReading(value, tags, i + 1), line: i + 1 };
  }
}

function jsonReading(value: unknown, tags: ReadonlySet<string>, line: number): Reading {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ImportError(
      line,
      'each line must be one JSON object: {"time": ..., "tags": {...}, "fields": {...}}',
    );
  }
  const o = value as Record<string, unknown>;
  if (o.time === undefined) throw new ImportError(line, 'the object has no "time"');
  if (typeof o.fields === 'object' && o.fields !== null) {
    return {
      time: o.time as number,
      tags: (o.tags ?? {}) as Record<string, string>,
      fields: o.fields as Record<string, unknown>,
    };
  }
  const readingTags: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'time') continue;
    if (tags.has(k)) readingTags[k] = String(v);
    else fields[k] = v;
  }
  return { time: o.time as number, tags: readingTags, fields };
}

type CellType = 'float' | 'bool' | 'string' | 'int';
const NUMBER = /^\s*[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|NaN|Infinity)\s*$/;

function* csvReadings(text: string, schema: TableSchemaInfo | undefined, tags: ReadonlySet<string>) {
  const rows = [...parseCsv(text)];
  const header = rows.shift();
  if (!header) return;
  const names = header.cells;
  const timeAt = names.indexOf('time');
  if (timeAt < 0) throw new ImportError(1, `the header has no "time" column (it has ${names.join(', ')})`);
  const types = names.map((name, c) => {
    const known = schema?.fields.find((f) => f.name === name)?.type;
    return known ?? inferType(rows.map((r) => r.cells[c] ?? ''));
  });
  for (const row of rows) {
    const readingTags: Record<string, string> = {};
    const fields: Record<string, unknown> = {};
    names.forEach((name, c) => {
      const cell = row.cells[c] ?? '';
      if (c === timeAt) return;
      if (tags.has(name)) {
        if (cell !== '') readingTags[name] = cell;
      } else if (cell !== '') fields[name] = cellValue(cell, types[c]!, row.line, name);
    });
    const raw = row.cells[timeAt] ?? '';
    const time = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    yield { reading: { time, tags: readingTags, fields }, line: row.line };
  }
}

function inferType(cells: readonly string[]): CellType {
  const filled = cells.filter((c) => c !== '');
  if (filled.length > 0 && filled.every((c) => NUMBER.test(c))) return 'float';
  if (filled.length > 0 && filled.every((c) => c === 'true' || c === 'false')) return 'bool';
  return 'string';
}

function cellValue(cell: string, type: CellType, line: number, column: string): unknown {
  if (type === 'string') return cell;
  if (type === 'bool') {
    if (cell === 'true' || cell === 'false') return cell === 'true';
    throw new ImportError(line, `column "${column}" holds true/false, but the cell is "${cell}"`);
  }
  if (!NUMBER.test(cell))
    throw new ImportError(line, `column "${column}" holds numbers, but the cell is "${cell}"`);
  const n = Number(cell);
  return type === 'int' && Number.isInteger(n) ? BigInt(n) : n;
}

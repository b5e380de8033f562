import { parseDuration } from '../../../engine/index';
import { isPlainObject } from '../plain-object';
import { registerCount } from './codec';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from './pdu';
import {
  BYTE_ORDERS,
  type ByteOrder,
  type MapEntry,
  type ModbusTable,
  VALUE_TYPES,
  type ValueType,
} from './types';

/**
 * The register map: rows as the editor's table saves them, as JSON, or as CSV with a header line,
 * checked into MapEntry values. Every problem is a sentence that names the row and the column, and
 * all of them are reported at once, so a map pasted from a device manual is fixed in one go.
 */

/** Columns of a row, as in the CSV header (case does not matter). */
export const COLUMNS = [
  'name',
  'unit',
  'table',
  'address',
  'type',
  'order',
  'scale',
  'offset',
  'bit',
  'length',
  'tags',
  'interval',
] as const;

export type MapRow = Partial<Record<(typeof COLUMNS)[number], unknown>>;

export class RegisterMapError extends Error {
  readonly code = 'MODBUS_BAD_MAP';
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `The register map has a problem: ${problems[0]}`
        : `The register map has ${problems.length} problems: ${problems.slice(0, 5).join(' ')}` +
            (problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''),
    );
    this.name = 'RegisterMapError';
  }
}

const TABLE_NAMES: Readonly<Record<string, ModbusTable>> = {
  coil: 'coil',
  coils: 'coil',
  '1': 'coil',
  discrete: 'discrete',
  'discrete input': 'discrete',
  'discrete inputs': 'discrete',
  '2': 'discrete',
  holding: 'holding',
  'holding register': 'holding',
  'holding registers': 'holding',
  '3': 'holding',
  input: 'input',
  'input register': 'input',
  'input registers': 'input',
  '4': 'input',
};

const TYPE_NAMES: Readonly<Record<string, ValueType>> = {
  ...Object.fromEntries(VALUE_TYPES.map((t) => [t, t])),
  boolean: 'bool',
  bit: 'bool',
  float: 'float32',
  double: 'float64',
  int: 'int16',
  uint: 'uint16',
};

/** Defaults of the optional columns. */
export const ROW_DEFAULTS = { unit: 1, table: 'holding', order: 'ABCD', scale: 1, offset: 0, interval: '1s' };

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** The checks of one row: each reads a column and returns its value, or pushes a problem. */
class RowReader {
  constructor(
    private readonly row: MapRow,
    private readonly where: string,
    private readonly problems: string[],
  ) {}

  problem(text: string): void {
    this.problems.push(`${this.where}: ${text}.`);
  }

  integer(column: keyof MapRow, min: number, max: number, fallback?: number): number {
    const raw = this.row[column];
    if (blank(raw)) {
      if (fallback !== undefined) return fallback;
      this.problem(`${column} is missing`);
      return min;
    }
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problem(`${column} must be a whole number from ${min} to ${max}, not "${String(raw)}"`);
      return min;
    }
    return n;
  }

  number(column: keyof MapRow, fallback: number): number {
    const raw = this.row[column];
    if (blank(raw)) return fallback;
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isFinite(n)) {
      this.problem(`${column} must be a number, not "${String(raw)}"`);
      return fallback;
    }
    return n;
  }

  choice<T extends string>(column: keyof MapRow, names: Readonly<Record<string, T>>, fallback: T): T {
    const raw = this.row[column];
    if (blank(raw)) return fallback;
    const found = names[String(raw).trim().toLowerCase()];
    if (found) return found;
    const offered = [...new Set(Object.values(names))].join(', ');
    this.problem(`${column} "${String(raw)}" is not one of ${offered}`);
    return fallback;
  }

  text(column: keyof MapRow): string {
    const raw = this.row[column];
    return blank(raw) ? '' : String(raw).trim();
  }

  tags(): Record<string, string> {
    const raw = this.row.tags;
    if (blank(raw)) return {};
    if (isPlainObject(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    const out: Record<string, string> = {};
    for (const pair of String(raw).split(/[;,]/)) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        this.problem(`tags must be written name=value;name=value, not "${String(raw)}"`);
        return {};
      }
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return out;
  }

  interval(): number {
    const raw = this.row.interval;
    const value = blank(raw) ? ROW_DEFAULTS.interval : typeof raw === 'number' ? raw : String(raw);
    try {
      const ms = parseDuration(value, 'interval');
      if (ms >= 10) return ms;
      this.problem(`interval must be at least 10 ms, not "${String(raw)}"`);
    } catch {
      this.problem(`interval "${String(raw)}" is not a duration (write 500ms, 1s, 1m...)`);
    }
    return 1000;
  }
}

function readRow(row: MapRow, index: number, problems: string[]): MapEntry {
  const label = blank(row.name) ? '' : ` (${String(row.name).trim()})`;
  const r = new RowReader(row, `row ${index + 1}${label}`, problems);
  const name = r.text('name');
  if (name === '') r.problem('name is missing (it becomes the field of the value)');
  else if (name === 'time' || name === 'quality')
    r.problem(`name "${name}" is taken by the readings themselves`);
  const table = r.choice('table', TABLE_NAMES, 'holding');
  const bits = table === 'coil' || table === 'discrete';
  const type = bits ? 'bool' : r.choice('type', TYPE_NAMES, 'uint16');
  if (bits && !blank(row.type) && TYPE_NAMES[String(row.type).trim().toLowerCase()] !== 'bool') {
    r.problem(`a ${table} holds one bit: its type is bool, not "${String(row.type)}"`);
  }
  const order = r.choice<ByteOrder>(
    'order',
    Object.fromEntries(BYTE_ORDERS.map((o) => [o.toLowerCase(), o])),
    'ABCD',
  );
  const length = type === 'string' ? r.integer('length', 1, MAX_READ_REGISTERS) : 1;
  const bit = type === 'bool' && !bits && !blank(row.bit) ? r.integer('bit', 0, 15) : null;
  const entry: MapEntry = {
    name,
    unitId: r.integer('unit', 0, 255, ROW_DEFAULTS.unit),
    table,
    address: r.integer('address', 0, 65535),
    type,
    order,
    length,
    bit,
    scale: r.number('scale', 1),
    offset: r.number('offset', 0),
    tags: r.tags(),
    intervalMs: r.interval(),
  };
  const span = bits ? 1 : registerCount(entry);
  if (entry.address + span > 65536) r.problem(`address ${entry.address} + ${span} registers is past 65535`);
  if (entry.scale === 0) r.problem('scale 0 would make every value 0');
  return entry;
}

/** Checks every row; throws RegisterMapError listing all problems. */
export function readRegisterMap(rows: readonly MapRow[]): MapEntry[] {
  const problems: string[] = [];
  if (!Array.isArray(rows)) throw new RegisterMapError(['it must be a list of rows.']);
  const entries = rows.map((row, i) => {
    if (isPlainObject(row)) return readRow(row as MapRow, i, problems);
    problems.push(`row ${i + 1} is not an object.`);
    return null;
  });
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    if (!e || e.name === '') return;
    const key = JSON.stringify([e.unitId, e.name, Object.entries(e.tags).sort()]);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(
        `row ${i + 1} (${e.name}): the same name, unit and tags as row ${first + 1}; give it another name.`,
      );
    } else seen.set(key, i);
  });
  if (rows.length === 0) problems.push('it has no rows: add the registers to poll.');
  if (problems.length > 0) throw new RegisterMapError(problems);
  return entries as MapEntry[];
}

/** Bits or registers one entry spans. */
export function spanOf(entry: MapEntry): number {
  return entry.table === 'coil' || entry.table === 'discrete' ? 1 : registerCount(entry);
}

/** The most a read of `table` may ask for by protocol. */
export function protocolMax(table: ModbusTable): number {
  return table === 'coil' || table === 'discrete' ? MAX_READ_BITS : MAX_READ_REGISTERS;
}

/**
 * CSV with a header line naming the columns (any order, any case; unknown columns are an error).
 * Fields may be quoted with "..." (a "" inside is one quote), so tags such as "line=1;cell=2" fit.
 */
export function parseCsv(text: string): MapRow[] {
  const lines = splitCsv(text.replace(/^\uFEFF/, '')).filter((cells) => cells.some((c) => c.trim() !== ''));
  if (lines.length === 0) throw new RegisterMapError(['the CSV is empty: the first line names the columns.']);
  const header = lines[0]!.map((h) => h.trim().toLowerCase());
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0) {
    throw new RegisterMapError([
      `the CSV header names unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')}; the columns are ${COLUMNS.join(', ')}.`,
    ]);
  }
  return lines.slice(1).map((cells) => {
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = cells[i] ?? '';
    });
    return row as MapRow;
  });
}

function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  row.push(cell);
  rows.push(row);
  return rows;
}

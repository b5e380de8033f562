/**
 * InfluxDB line protocol (v2 docs, "Line protocol"): `measurement,tag=v field=1.5,n=2i,s="x",b=t 1700000000000000000`.
 * Floats bare, integers with `i`, strings in double quotes, booleans t/true/f/false; the time an
 * integer in the chosen precision (nanoseconds unless told). Helios times are milliseconds.
 */
import type { Reading } from '../../../engine/index';

export type Precision = 'ns' | 'us' | 'ms' | 's';
export const PRECISIONS: readonly Precision[] = ['ns', 'us', 'ms', 's'];

/** Milliseconds per unit of each precision, as a divisor/multiplier of the integer timestamp. */
const MS_DIGITS: Record<Precision, number> = { ns: -6, us: -3, ms: 0, s: 3 };

const escapeName = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[\\,= ]/g, (c) => `\\${c}`);

/** One line, or null with the reason when a value cannot be written (NaN and infinities). */
export function formatLine(
  measurement: string,
  time: number,
  tags: Readonly<Record<string, string>>,
  fields: ReadonlyArray<[string, unknown, string]>,
): string | null {
  let head = escapeName(measurement);
  for (const key of Object.keys(tags).sort()) head += `,${escapeKey(key)}=${escapeKey(tags[key]!)}`;
  const parts: string[] = [];
  for (const [name, value, type] of fields) {
    if (value === null || value === undefined) continue;
    const text = formatValue(value, type);
    if (text === null) return null;
    parts.push(`${escapeKey(name)}=${text}`);
  }
  if (parts.length === 0) return null;
  return `${head} ${parts.join(',')} ${BigInt(time) * 1_000_000n}`;
}

function formatValue(value: unknown, type: string): string | null {
  if (type === 'bool') return value ? 'true' : 'false';
  if (type === 'string') return `"${String(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (type === 'int') return `${typeof value === 'bigint' ? value : Math.trunc(Number(value))}i`;
  const n = Number(value);
  return Number.isFinite(n) ? String(n) : null;
}

/** A line that is not line protocol: what is wrong and where. */
export class LineProtocolError extends Error {
  constructor(line: number, column: number, what: string) {
    super(`line ${line}, column ${column}: ${what}`);
    this.name = 'LineProtocolError';
  }
}

/** One parsed line (`measurement` and a Reading); null for blank lines and # comments. */
export function parseLine(
  text: string,
  lineNo: number,
  precision: Precision,
): { measurement: string; reading: Reading } | null {
  if (text.trim() === '' || text.trimStart().startsWith('#')) return null;
  const p = new Cursor(text, lineNo);
  const measurement = p.until(',', 'measurement');
  const tags: Record<string, string> = {};
  while (p.peek() === ',') {
    p.pos++;
    const key = p.until('=', 'tag key');
    p.expect('=');
    tags[key] = p.until(',', 'tag value');
  }
  p.expect(' ');
  const fields: Record<string, unknown> = {};
  for (;;) {
    const key = p.until('=', 'field key');
    p.expect('=');
    fields[key] = p.fieldValue();
    if (p.peek() !== ',') break;
    p.pos++;
  }
  let time: number;
  if (p.peek() === ' ') {
    p.pos++;
    time = toMs(p.rest(), precision, p);
  } else if (p.peek() === undefined) {
    throw p.fail('a timestamp is required (the import does not stamp lines with the current time)');
  } else throw p.fail('expected a space before the timestamp');
  return { measurement, reading: { time, tags, fields } };
}

function toMs(text: string, precision: Precision, p: Cursor): number {
  if (!/^-?\d+$/.test(text)) throw p.fail(`the timestamp "${text}" is not an integer`);
  const digits = MS_DIGITS[precision];
  const big = BigInt(text);
  if (digits >= 0) return Number(big * 10n ** BigInt(digits));
  const div = 10n ** BigInt(-digits);
  // floor to the millisecond, also for times before 1970
  const q = big / div;
  return Number(big < 0n && q * div !== big ? q - 1n : q);
}

class Cursor {
  pos = 0;
  constructor(
    private readonly text: string,
    private readonly lineNo: number,
  ) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  fail(what: string): LineProtocolError {
    return new LineProtocolError(this.lineNo, this.pos + 1, what);
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw this.fail(`expected "${ch}"`);
    this.pos++;
  }

  /** Unescaped text up to one of `stops` (or '=' / ',' / ' ' per the part), not empty. */
  until(stops: string, what: string): string {
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\\' && this.pos + 1 < this.text.length) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stops.includes(c) || c === ' ') break;
      out += c;
      this.pos++;
    }
    if (out === '') throw this.fail(`the ${what} is empty`);
    return out;
  }

  rest(): string {
    const out = this.text.slice(this.pos).trim();
    this.pos = this.text.length;
    return out;
  }

  fieldValue(): unknown {
    if (this.peek() === '"') return this.quoted();
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ',' && this.text[this.pos] !== ' ')
      this.pos++;
    const raw = this.text.slice(start, this.pos);
    if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
    if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
    if (/^-?\d+i$/.test(raw)) return BigInt(raw.slice(0, -1));
    if (/^\d+u$/.test(raw)) return BigInt(raw.slice(0, -1));
    const n = Number(raw);
    if (raw === '' || Number.isNaN(n)) {
      this.pos = start;
      throw this.fail(`"${raw}" is not a field value (a number, 12i, "text", true or false)`);
    }
    return n;
  }

  private quoted(): string {
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (c === '\\' && (this.text[this.pos + 1] === '"' || this.text[this.pos + 1] === '\\')) {
        out += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === '"') {
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
    throw this.fail('the string value has no closing quote');
  }
}

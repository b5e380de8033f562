/**
 * Checks of a reading's parts (its time, tag values, field values, integers in range) and the
 * error sentences that name what is wrong, in the words of the caller who wrote the reading.
 */
import { checkTagValue } from '../catalog/catalog';
import { clipText, InvalidInputError } from '../errors';
import type { ColumnType } from '../types';
import { parseIsoTime } from '../util/iso-time';
import { MAX_TIME } from './readings';

/** A value as an error sentence names it: `null`, `an array`, `number "1.5"`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return Buffer.isBuffer(v) ? 'a Buffer' : `a ${v.constructor.name}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(clipText(String(v)))}`;
}

/**
 * Milliseconds of a reading's time, or NaN when it is not a valid time: integer ms, a Date, or
 * an ISO-8601 string read as SQL reads it (util/iso-time.ts; no zone is UTC). `Date.parse` is not
 * used: it reads '0' as the year 2000, 'Sensor 7' as July 2001 and a zone-less time as local.
 */
export function readingTime(raw: unknown): number {
  let t: number;
  if (typeof raw === 'number') t = raw;
  else if (raw instanceof Date) t = raw.getTime();
  else if (typeof raw === 'string') t = parseIsoTime(raw) ?? Number.NaN;
  else return Number.NaN;
  return Number.isInteger(t) && Math.abs(t) <= MAX_TIME ? t : Number.NaN;
}

/** The error for a reading whose time `readingTime` refused; `where` names the reading. */
export function badTime(raw: unknown, where: string): InvalidInputError {
  if (typeof raw !== 'number' && typeof raw !== 'string' && !(raw instanceof Date)) {
    return new InvalidInputError(
      `${where} has no valid time: give milliseconds since 1970, a Date or an ISO-8601 string.`,
    );
  }
  if (typeof raw === 'string') {
    return new InvalidInputError(
      `${where} has time ${describeValue(raw)}, which is not an ISO-8601 time such as ` +
        "'2026-01-31T12:00:00Z' (no zone means UTC). Give a number for milliseconds since 1970.",
    );
  }
  return new InvalidInputError(
    `${where} has time ${describeValue(raw)}, which is not a whole number of milliseconds ` +
      'since 1970 (or a valid date). Round it, or convert seconds to milliseconds.',
  );
}

/**
 * Whether `s` is text that UTF-8 holds: no lone surrogate (half of a UTF-16 pair). Segments store
 * text as UTF-8, where a lone surrogate would come back as U+FFFD after a flush, so such a string
 * is refused at write instead of changed later (docs/storage.md).
 */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** The error for text with a lone surrogate; `what` names it (`field "v"`). */
export function notWellFormed(where: string, what: string): InvalidInputError {
  return new InvalidInputError(
    `${where} has ${what} with a lone surrogate (half of a UTF-16 pair, such as "\\uD800"), which ` +
      'cannot be stored as text: fix the encoding at the source, or send the bytes as hex or base64 text.',
  );
}

/** A tag's value as text (numbers and booleans are written as text); throws for other values. */
export function tagValue(table: string, key: string, raw: unknown, where: () => string): string {
  if (typeof raw === 'string') {
    checkTagValue(table, key, raw);
    if (!isWellFormed(raw)) throw notWellFormed(where(), `tag "${clipText(key)}"`);
    return raw;
  }
  if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return String(raw);
  throw new InvalidInputError(
    `${where()} has tag "${clipText(key)}" = ${describeValue(raw)}; tag values must be text.`,
  );
}

/** The column type a field value asks for, given the type the column already has (if any). */
export function fieldType(value: unknown, known: ColumnType | undefined): ColumnType | null {
  switch (typeof value) {
    case 'number':
      return known === 'int' && Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    default:
      return null;
  }
}

/** Throws when a reading gives int `field` a bigint beyond ±2^53-1, which a double cannot hold exactly. */
export function checkSafeInteger(where: string, field: string, value: bigint): void {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(-Number.MAX_SAFE_INTEGER)) {
    throw new InvalidInputError(
      `${where} has integer field "${field}" = ${value}, beyond ±2^53-1, ` +
        'the range stored exactly. Store it as text or scale it down.',
    );
  }
}

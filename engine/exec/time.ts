/**
 * Time handling: ISO-8601 text to ms, interval text to ms, time buckets, and the SQLite date and
 * time functions found in existing flows (strftime, datetime, date, julianday, unixepoch). All in
 * UTC: 'localtime' and 'utc' modifiers are accepted and change nothing.
 */
import { clipText } from '../errors';
import { SqlError } from '../sql/errors';
import { parseIsoTime } from '../util/iso-time';

const MS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/**
 * Milliseconds of an interval written as '5 minutes', '5m', '1h30m', '7d', '2 weeks', '250ms'.
 * Months and years have no fixed length and are refused with a sentence.
 */
export function parseInterval(text: string): number {
  const src = text.trim().toLowerCase();
  const part = /\s*([+-]?\d+(?:\.\d+)?)\s*([a-z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < src.length) {
    part.lastIndex = pos;
    const m = part.exec(src);
    if (!m) break;
    const unit = MS[m[2]!];
    if (unit === undefined) {
      if (/^(mon|month|months|y|yr|year|years)$/.test(m[2]!)) {
        throw new SqlError(
          `The interval '${clipText(text)}' uses months or years, which have no fixed length. Write it in days or weeks, e.g. '30 days'.`,
          'HELIOS_SQL_TYPE',
        );
      }
      throw new SqlError(
        `The interval '${clipText(text)}' has an unknown unit "${clipText(m[2] ?? '', 20)}". Use ms, s, m, h, d or w (or their names: '5 minutes').`,
        'HELIOS_SQL_TYPE',
      );
    }
    total += Number(m[1]) * unit;
    pos = part.lastIndex;
  }
  if (pos === 0 || pos < src.length) {
    throw new SqlError(
      `'${clipText(text)}' is not an interval. Write a number and a unit, e.g. '5 minutes', '5m', '1h' or '7d'.`,
      'HELIOS_SQL_TYPE',
    );
  }
  return total;
}

/** ms since the epoch of an ISO-8601 date or date-time; no zone means UTC (util/iso-time.ts). */
export const parseIso = parseIsoTime;

/** Default origin of time buckets: Monday 2000-01-03 UTC (as TimescaleDB), so weeks start on Monday. */
export const DEFAULT_BUCKET_ORIGIN = Date.UTC(2000, 0, 3);

/** The start of the `width`-ms bucket holding `t`, buckets aligned on `origin`. */
export function timeBucket(width: number, t: number, origin = DEFAULT_BUCKET_ORIGIN): number {
  return Math.floor((t - origin) / width) * width + origin;
}

// ---- SQLite date and time functions ----

const JULIAN_EPOCH_DAYS = 2440587.5;

/**
 * ms of a SQLite time value with modifiers: 'now', ISO text, a number (a Julian day number, or
 * seconds with the 'unixepoch' modifier). null when the value cannot be read (as SQLite returns NULL).
 */
export function sqliteTime(args: readonly unknown[], now: number): number | null {
  if (args.length === 0) return now;
  const [value, ...mods] = args;
  if (value === null || value === undefined) return null;
  let ms: number | null;
  const unixepoch = mods.some((m) => typeof m === 'string' && m.trim().toLowerCase() === 'unixepoch');
  if (typeof value === 'number' || typeof value === 'boolean') {
    const n = Number(value);
    ms = unixepoch ? n * 1000 : (n - JULIAN_EPOCH_DAYS) * 86_400_000;
  } else if (typeof value === 'string') {
    const v = value.trim();
    if (v.toLowerCase() === 'now') ms = now;
    else if (/^[+-]?\d+(\.\d+)?$/.test(v)) {
      const n = Number(v);
      ms = unixepoch ? n * 1000 : (n - JULIAN_EPOCH_DAYS) * 86_400_000;
    } else ms = parseIso(v) ?? null;
  } else ms = null;
  for (const mod of mods) {
    if (ms === null) return null;
    if (typeof mod !== 'string') return null;
    ms = applyModifier(ms, mod.trim().toLowerCase());
  }
  return ms;
}

function applyModifier(ms: number, mod: string): number | null {
  if (mod === 'unixepoch' || mod === 'localtime' || mod === 'utc' || mod === 'auto') return ms;
  const d = new Date(ms);
  if (mod === 'start of day') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (mod === 'start of month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (mod === 'start of year') return Date.UTC(d.getUTCFullYear(), 0, 1);
  const m = /^([+-]?\d+(?:\.\d+)?)\s+(\w+?)s?$/.exec(mod);
  if (!m) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'second':
      return ms + n * 1000;
    case 'minute':
      return ms + n * 60_000;
    case 'hour':
      return ms + n * 3_600_000;
    case 'day':
      return ms + n * 86_400_000;
    case 'month':
      return Date.UTC(
        d.getUTCFullYear(),
        d.getUTCMonth() + n,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      );
    case 'year':
      return Date.UTC(
        d.getUTCFullYear() + n,
        d.getUTCMonth(),
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      );
    default:
      return null;
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** SQLite's strftime over `ms` (UTC). Supports %Y %m %d %H %M %S %f %s %j %w %u %W %J %e %k %%. */
export function strftime(format: string, ms: number): string {
  const d = new Date(ms);
  const dayStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const yday = Math.floor((ms - dayStart) / 86_400_000);
  return format.replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case 'Y':
        return pad(d.getUTCFullYear(), 4);
      case 'm':
        return pad(d.getUTCMonth() + 1);
      case 'd':
        return pad(d.getUTCDate());
      case 'e':
        return String(d.getUTCDate()).padStart(2, ' ');
      case 'H':
        return pad(d.getUTCHours());
      case 'k':
        return String(d.getUTCHours()).padStart(2, ' ');
      case 'M':
        return pad(d.getUTCMinutes());
      case 'S':
        return pad(d.getUTCSeconds());
      case 'f':
        return `${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
      case 's':
        return String(Math.floor(ms / 1000));
      case 'j':
        return pad(yday + 1, 3);
      case 'w':
        return String(d.getUTCDay());
      case 'u':
        return String(d.getUTCDay() || 7);
      case 'W': {
        const monday = (d.getUTCDay() + 6) % 7;
        return pad(Math.floor((yday + 7 - monday) / 7));
      }
      case 'J':
        return String(ms / 86_400_000 + JULIAN_EPOCH_DAYS);
      case '%':
        return '%';
      default:
        return all;
    }
  });
}

/** ms as ISO-8601 text with milliseconds and Z. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

export function julianDay(ms: number): number {
  return ms / 86_400_000 + JULIAN_EPOCH_DAYS;
}

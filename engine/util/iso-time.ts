/**
 * ISO-8601 times as text, read one way everywhere: `write()` and SQL take the same strings to the
 * same milliseconds. A date (`2026-01-31`), or a date and time with `T` or a space
 * (`2026-01-31T12:00`, `...:05`, `...:05.123`), then an optional zone (`Z`, `+01:00`, `+0100`,
 * `+01`). No zone means UTC, as in SQL (never the machine's local time). Every part is checked:
 * month 1-12, a day the month has, hour 0-23, minutes and seconds 0-59, zone up to ±23:59.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Longest text worth matching: anything longer is not a time (and a regex over 10 MB costs). */
const MAX_ISO_LENGTH = 64;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** ms since 1970 of an ISO-8601 date or date-time (no zone: UTC); undefined when it is not one. */
export function parseIsoTime(text: string): number | undefined {
  if (text.length > MAX_ISO_LENGTH) return undefined;
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  const second = Number(m[6] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(0);
  // setUTCFullYear: Date.UTC reads years 0-99 as 1900-1999
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  let ms = d.getTime() + (m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0);
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const zh = Number(z[2]);
    const zm = Number(z[3] ?? 0);
    if (zh > 23 || zm > 59) return undefined;
    const offset = (zh * 60 + zm) * 60_000;
    ms -= z[1] === '+' ? offset : -offset;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

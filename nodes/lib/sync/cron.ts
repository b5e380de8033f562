/**
 * A small cron matcher for `sync_schedule`: five fields (minute hour day-of-month month
 * day-of-week), each `*`, a number, a range `a-b`, a list `a,b`, and steps `*\/n` or `a-b/n`.
 * Day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted a day
 * matches if either does. Times are the local time of the Node-RED process (a `TZ` variable sets it).
 */

export class CronError extends Error {
  readonly code = 'HELIOS_SYNC_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

export interface CronSchedule {
  readonly text: string;
  /** does the minute that holds `date` match? */
  matches(date: Date): boolean;
  /** the first matching minute after `from` (ms since the epoch), within ~4 years; null if none */
  next(from: number): number | null;
}

function parseNumber(text: string, spec: FieldSpec, expr: string): number {
  if (!/^\d+$/.test(text)) {
    throw new CronError(`The schedule "${expr}" has "${text}" in its ${spec.name} field; use numbers.`);
  }
  const n = Number(text);
  if (n < spec.min || n > spec.max) {
    throw new CronError(
      `The schedule "${expr}" has ${n} in its ${spec.name} field; it must be ${spec.min} to ${spec.max}.`,
    );
  }
  return n;
}

function parsePart(part: string, spec: FieldSpec, expr: string, into: Set<number>): void {
  const [range = '', stepText] = part.split('/');
  const step = stepText === undefined ? 1 : parseNumber(stepText, { ...spec, min: 1, max: 1000 }, expr);
  let from = spec.min;
  let to = spec.max;
  if (range !== '*') {
    const [a = '', b] = range.split('-');
    from = parseNumber(a, spec, expr);
    to = b === undefined ? (stepText === undefined ? from : spec.max) : parseNumber(b, spec, expr);
    if (to < from) {
      throw new CronError(
        `The schedule "${expr}" has the range ${range} backwards in its ${spec.name} field.`,
      );
    }
  }
  for (let n = from; n <= to; n += step) into.add(n);
}

function parseField(text: string, spec: FieldSpec, expr: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '')
      throw new CronError(`The schedule "${expr}" has an empty item in its ${spec.name} field.`);
    parsePart(part, spec, expr, values);
  }
  return values;
}

/** Parses a five-field cron expression; a bad one is a CronError with a sentence. */
export function parseCron(expr: string): CronSchedule {
  const text = expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(
      `The schedule "${expr}" has ${parts.length} field(s); a cron schedule has five: ` +
        'minute hour day-of-month month day-of-week, e.g. "0 2,14 * * *".',
    );
  }
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!, text)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0);
  const dayRestricted = parts[2] !== '*';
  const weekdayRestricted = parts[4] !== '*';
  const dayMatches = (d: Date): boolean => {
    const byDay = days.has(d.getDate());
    const byWeekday = weekdays.has(d.getDay());
    if (dayRestricted && weekdayRestricted) return byDay || byWeekday;
    return byDay && byWeekday;
  };
  const matches = (d: Date): boolean =>
    minutes.has(d.getMinutes()) && hours.has(d.getHours()) && months.has(d.getMonth() + 1) && dayMatches(d);
  const next = (from: number): number | null => {
    const d = new Date(from);
    d.setSeconds(0, 0);
    d.setMinutes(d.getMinutes() + 1);
    // Skip whole days and hours that cannot match, so the search stays short (well under 1 ms).
    for (let guard = 0; guard < 4 * 366 * 24 + 60; guard++) {
      if (!months.has(d.getMonth() + 1) || !dayMatches(d)) {
        d.setHours(0, 0, 0, 0);
        d.setDate(d.getDate() + 1);
        continue;
      }
      if (!hours.has(d.getHours())) {
        d.setMinutes(0, 0, 0);
        d.setHours(d.getHours() + 1);
        continue;
      }
      for (let m = d.getMinutes(); m < 60; m++) {
        if (minutes.has(m)) {
          d.setMinutes(m);
          return d.getTime();
        }
      }
      d.setMinutes(0, 0, 0);
      d.setHours(d.getHours() + 1);
    }
    return null;
  };
  return { text, matches, next };
}

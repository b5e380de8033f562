import { InvalidInputError } from '../errors';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A duration in milliseconds from a number (taken as ms) or a string such as '500ms', '5m', '1h',
 * '7d', '2w' or '1h30m'. Throws InvalidInputError naming `what` for anything else.
 */
export function parseDuration(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new InvalidInputError(`${what} must be a non-negative number of milliseconds; got ${value}.`);
  }
  const text = value.trim().toLowerCase();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) break;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = part.lastIndex;
    while (text[pos] === ' ') pos++;
  }
  if (pos === 0 || pos < text.length) {
    throw new InvalidInputError(
      `${what} "${value}" is not a duration. Write a number with a unit: ms, s, m, h, d or w (e.g. '5m', '1d').`,
    );
  }
  return total;
}

/** The shortest exact spelling of a duration ('1d', '90m', '1500ms'), for names and messages. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

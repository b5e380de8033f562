/**
 * SQL errors that point at the text: `line L, column C`, the source line and a caret, and a
 * "did you mean" hint for near-miss names.
 */
import { clipText, InvalidInputError, MAX_QUOTED } from '../errors';

/** A mistake in a SQL statement (syntax, names, types, arity). Nothing was changed. */
export class SqlError extends InvalidInputError {
  /** 0-based offset into the SQL text, or -1 when the error is not tied to a place */
  readonly offset: number;
  constructor(message: string, code = 'HELIOS_SQL', offset = -1) {
    super(message, code);
    this.name = 'SqlError';
    this.offset = offset;
  }
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** `message at line L, column C:` followed by the source line and a caret under the column. */
export function pointAt(text: string, offset: number, message: string): string {
  const at = Math.max(0, Math.min(offset, text.length));
  const { line, column } = lineColumn(text, at);
  const lineStart = at - (column - 1);
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  // at most MAX_QUOTED characters of the line, around the caret: a 1 MB line is not the message
  const from = Math.max(lineStart, Math.min(at - MAX_QUOTED / 2, lineEnd - MAX_QUOTED));
  const to = Math.min(lineEnd, from + MAX_QUOTED);
  const source = `${from > lineStart ? '...' : ''}${text.slice(from, to)}${to < lineEnd ? '...' : ''}`;
  const caret = at - from + (from > lineStart ? 3 : 0);
  const stripped = clipText(message, 3 * MAX_QUOTED).replace(/\.$/, '');
  return `${stripped} at line ${line}, column ${column}:\n  ${source}\n  ${' '.repeat(caret)}^`;
}

/** Builds a SqlError whose message points at `offset` in `text`; `hint` follows the caret. */
export function sqlErrorAt(
  text: string,
  offset: number,
  message: string,
  hint = '',
  code = 'HELIOS_SQL',
): SqlError {
  const body = pointAt(text, offset, message);
  return new SqlError(hint ? `${body}\n${hint}` : body, code, offset);
}

/** Edit distance (Levenshtein plus swaps), case-insensitive, stopping early above `limit`. */
export function editDistance(a: string, b: string, limit = 3): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (Math.abs(x.length - y.length) > limit) return limit + 1;
  // optimal string alignment: a swap of two neighbours ('valeu' for 'value') counts as one edit
  let before: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = cur;
  }
  return prev[y.length]!;
}

/** The candidate closest to `name` when it is a plausible typo (distance <= 1/3 of its length, max 2). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(2, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    if (c.toLowerCase() === name.toLowerCase()) return c;
    const d = editDistance(name, c, limit);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** ` Did you mean "x"?` when a close candidate exists, else ''. */
export function didYouMean(name: string, candidates: Iterable<string>, quote = '"'): string {
  const c = closest(name, candidates);
  return c === undefined ? '' : ` Did you mean ${quote}${c}${quote}?`;
}

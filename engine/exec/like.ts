/**
 * LIKE and GLOB without regular expressions. A backtracking regex for '%a%a%a...%b' takes time
 * exponential in the number of '%' (1.5 s over 2,000 strings of 300 'a'); here a pattern is cut at
 * its wildcards ('%' / '*') into pieces of fixed width, and each piece is found at its leftmost
 * place after the one before: with fixed-width pieces the leftmost place is always a right one, so
 * a match costs at most (text length x pattern length) steps, whatever the pattern.
 *
 * LIKE (as SQLite): '%' any run, '_' one character, ASCII letters case-insensitive.
 * GLOB (as SQLite): '*' any run, '?' one character, '[abc]', '[a-z]', '[^x]' one of a set, and
 * case-sensitive. A character is a code point: a surrogate pair is one.
 */

/** One step of a piece: a character, any one character, or one of a set. */
type Step =
  | { readonly kind: 'char'; readonly code: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'set'; readonly negated: boolean; readonly ranges: readonly number[] };

interface Matcher {
  /** the pattern starts / ends with a wildcard run */
  readonly openStart: boolean;
  readonly openEnd: boolean;
  /** the pieces between wildcard runs, in order (none empty) */
  readonly pieces: readonly (readonly Step[])[];
  readonly fold: boolean;
}

const A_UPPER = 65;
const Z_UPPER = 90;

function foldAscii(code: number): number {
  return code >= A_UPPER && code <= Z_UPPER ? code + 32 : code;
}

/** The code point at `i` of `s` and its width in UTF-16 units. */
function codeAt(s: string, i: number): number {
  return s.codePointAt(i)!;
}

function width(code: number): number {
  return code > 0xffff ? 2 : 1;
}

function compileLike(pattern: string): Matcher {
  const pieces: Step[][] = [];
  let current: Step[] = [];
  let openStart = false;
  let openEnd = false;
  for (let i = 0; i < pattern.length; ) {
    const code = codeAt(pattern, i);
    i += width(code);
    if (code === 37 /* % */) {
      if (pieces.length === 0 && current.length === 0) openStart = true;
      if (current.length) pieces.push(current);
      current = [];
      openEnd = true;
      continue;
    }
    openEnd = false;
    current.push(code === 95 /* _ */ ? { kind: 'any' } : { kind: 'char', code: foldAscii(code) });
  }
  if (current.length) pieces.push(current);
  return { openStart, openEnd, pieces, fold: true };
}

/** A GLOB set `[...]` starting at `i` (after '['): its step and the index after ']', or null. */
function globSet(pattern: string, i: number): { step: Step; next: number } | null {
  let negated = false;
  if (pattern[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: number[] = [];
  let first = true;
  while (i < pattern.length) {
    const code = codeAt(pattern, i);
    if (code === 93 /* ] */ && !first) return { step: { kind: 'set', negated, ranges }, next: i + 1 };
    first = false;
    i += width(code);
    if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      const to = codeAt(pattern, i + 1);
      ranges.push(code, to);
      i += 1 + width(to);
    } else ranges.push(code, code);
  }
  return null; // no closing ']': SQLite's GLOB then matches nothing
}

function compileGlob(pattern: string): Matcher | null {
  const pieces: Step[][] = [];
  let current: Step[] = [];
  let openStart = false;
  let openEnd = false;
  for (let i = 0; i < pattern.length; ) {
    const code = codeAt(pattern, i);
    i += width(code);
    if (code === 42 /* * */) {
      if (pieces.length === 0 && current.length === 0) openStart = true;
      if (current.length) pieces.push(current);
      current = [];
      openEnd = true;
      continue;
    }
    openEnd = false;
    if (code === 63 /* ? */) current.push({ kind: 'any' });
    else if (code === 91 /* [ */) {
      const set = globSet(pattern, i);
      if (!set) return null;
      current.push(set.step);
      i = set.next;
    } else current.push({ kind: 'char', code });
  }
  if (current.length) pieces.push(current);
  return { openStart, openEnd, pieces, fold: false };
}

function inSet(step: { negated: boolean; ranges: readonly number[] }, code: number): boolean {
  let hit = false;
  for (let r = 0; r < step.ranges.length && !hit; r += 2)
    hit = code >= step.ranges[r]! && code <= step.ranges[r + 1]!;
  return hit !== step.negated;
}

/** Where `piece` ends when it matches `text` at `at`, or -1. */
function matchAt(piece: readonly Step[], text: string, at: number, fold: boolean): number {
  let i = at;
  for (const step of piece) {
    if (i >= text.length) return -1;
    const raw = codeAt(text, i);
    i += width(raw);
    if (step.kind === 'any') continue;
    if (step.kind === 'char') {
      if ((fold ? foldAscii(raw) : raw) !== step.code) return -1;
    } else if (!inSet(step, raw)) return -1;
  }
  return i;
}

/** True when `i` starts a character (not the low half of a surrogate pair). */
function startsChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff || i === 0) return true;
  const before = text.charCodeAt(i - 1);
  return before < 0xd800 || before > 0xdbff;
}

function matches(m: Matcher, text: string): boolean {
  const { pieces, fold } = m;
  if (pieces.length === 0) return m.openStart || text.length === 0;
  let pos = 0;
  let from = 0;
  let to = pieces.length;
  if (!m.openStart) {
    const end = matchAt(pieces[0]!, text, 0, fold);
    if (end < 0) return false;
    if (pieces.length === 1 && !m.openEnd) return end === text.length;
    pos = end;
    from = 1;
  }
  const lastAnchored = !m.openEnd;
  if (lastAnchored) to--;
  for (let p = from; p < to; p++) {
    const piece = pieces[p]!;
    let found = -1;
    for (let at = pos; at < text.length; at++) {
      if (!startsChar(text, at)) continue;
      found = matchAt(piece, text, at, fold);
      if (found >= 0) break;
    }
    if (found < 0) return false;
    pos = found;
  }
  if (!lastAnchored) return true;
  // the last piece must end at the end of the text, starting at or after pos
  const last = pieces[pieces.length - 1]!;
  for (let at = text.length; at >= pos; at--) {
    if (!startsChar(text, at)) continue;
    if (matchAt(last, text, at, fold) === text.length) return true;
  }
  return false;
}

const cache = new Map<string, Matcher | null>();
const MAX_CACHED = 1000;

function compiled(pattern: string, glob: boolean): Matcher | null {
  const key = (glob ? 'g' : 'l') + pattern;
  let m = cache.get(key);
  if (m === undefined) {
    m = glob ? compileGlob(pattern) : compileLike(pattern);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, m);
  }
  return m;
}

/** `text LIKE pattern` as SQLite decides it (no ESCAPE). */
export function likeMatches(text: string, pattern: string): boolean {
  return matches(compiled(pattern, false)!, text);
}

/** `text GLOB pattern` as SQLite decides it. */
export function globMatches(text: string, pattern: string): boolean {
  const m = compiled(pattern, true);
  return m !== null && matches(m, text);
}

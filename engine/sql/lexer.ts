/**
 * SQL lexer: text to tokens. Keywords are not decided here (the parser decides by context), so a
 * word token keeps its text; quoted identifiers are marked so they never act as keywords.
 */
import { sqlErrorAt } from './errors';

export type TokenType = 'word' | 'quoted' | 'number' | 'string' | 'param' | 'op' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** the token's value: identifier text, unquoted string, number text, operator, parameter text */
  readonly text: string;
  /** upper-cased text of a word, for keyword checks */
  readonly upper: string;
  /** 0-based offset of the token in the SQL text */
  readonly pos: number;
}

const OPERATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '==',
  '||',
  '::',
  '<',
  '>',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  '.',
  ';',
];

// Character classes by char code: a regex test per character cost ~290 ms per MB of SQL.
function isWordStartCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

function isWordPartCode(c: number): boolean {
  return isWordStartCode(c) || (c >= 48 && c <= 57) || c === 36;
}

function isWordStart(c: string): boolean {
  return c !== '' && isWordStartCode(c.charCodeAt(0));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** The operator at `i` of `sql` (two characters before one), or undefined. */
function operatorAt(sql: string, i: number): string | undefined {
  const two = sql.slice(i, i + 2);
  if (two.length === 2 && TWO_CHAR_OPERATORS.has(two)) return two;
  const one = sql[i]!;
  return ONE_CHAR_OPERATORS.has(one) ? one : undefined;
}

const TWO_CHAR_OPERATORS = new Set(OPERATORS.filter((o) => o.length === 2));
const ONE_CHAR_OPERATORS = new Set(OPERATORS.filter((o) => o.length === 1));

function token(type: TokenType, text: string, pos: number): Token {
  return { type, text, upper: type === 'word' ? text.toUpperCase() : text, pos };
}

/** Splits `sql` into tokens ending with an 'eof' token. Throws a SqlError pointing at bad text. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw sqlErrorAt(sql, i, 'This comment is never closed', 'End it with */.');
      i = end + 2;
    } else if (isWordStartCode(sql.charCodeAt(i))) {
      const start = i;
      while (i < n && isWordPartCode(sql.charCodeAt(i))) i++;
      out.push(token('word', sql.slice(start, i), start));
    } else if (isDigit(c) || (c === '.' && isDigit(sql[i + 1]))) {
      i = readNumber(sql, i, out);
    } else if (c === "'") {
      i = readQuoted(sql, i, "'", 'string', out);
    } else if (c === '"' || c === '`') {
      i = readQuoted(sql, i, c, 'quoted', out);
    } else if (c === '[') {
      const end = sql.indexOf(']', i + 1);
      if (end < 0) throw sqlErrorAt(sql, i, 'This [identifier] is never closed', 'End it with ].');
      out.push(token('quoted', sql.slice(i + 1, end), i));
      i = end + 1;
    } else if (c === '?' || c === '$' || c === ':' || c === '@') {
      i = readParam(sql, i, out);
    } else {
      const op = operatorAt(sql, i);
      if (!op) throw sqlErrorAt(sql, i, `Unexpected character "${c}"`);
      out.push(token('op', op, i));
      i += op.length;
    }
  }
  out.push(token('eof', '', n));
  return out;
}

function readNumber(sql: string, i: number, out: Token[]): number {
  const start = i;
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    i += 2;
    while (/[0-9a-fA-F]/.test(sql[i] ?? '')) i++;
  } else {
    while (isDigit(sql[i])) i++;
    if (sql[i] === '.') {
      i++;
      while (isDigit(sql[i])) i++;
    }
    if (
      (sql[i] === 'e' || sql[i] === 'E') &&
      (isDigit(sql[i + 1]) || (/[+-]/.test(sql[i + 1] ?? '') && isDigit(sql[i + 2])))
    ) {
      i += 2;
      while (isDigit(sql[i])) i++;
    }
  }
  if (isWordStart(sql[i] ?? '0')) {
    throw sqlErrorAt(
      sql,
      start,
      `"${sql.slice(start, i + 1)}" is not a number`,
      'Put a space between a number and a word.',
    );
  }
  out.push(token('number', sql.slice(start, i), start));
  return i;
}

function readQuoted(sql: string, i: number, quote: string, type: TokenType, out: Token[]): number {
  const start = i;
  let text = '';
  i++;
  for (;;) {
    const end = sql.indexOf(quote, i);
    if (end < 0) {
      const what = type === 'string' ? 'string' : 'quoted name';
      throw sqlErrorAt(sql, start, `This ${what} is never closed`, `End it with ${quote}.`);
    }
    text += sql.slice(i, end);
    if (sql[end + 1] === quote) {
      text += quote;
      i = end + 2;
    } else {
      i = end + 1;
      break;
    }
  }
  out.push(token(type, text, start));
  return i;
}

function readParam(sql: string, i: number, out: Token[]): number {
  const start = i;
  const c = sql[i]!;
  i++;
  if (c === '?') {
    while (isDigit(sql[i])) i++;
  } else {
    if (c === ':' && sql[i] === ':') {
      out.push(token('op', '::', start));
      return i + 1;
    }
    if (!isWordStart(sql[i] ?? '') && !(c === '$' && isDigit(sql[i]))) {
      throw sqlErrorAt(sql, start, `A parameter name must follow "${c}"`, `Write ${c}name, e.g. ${c}sensor.`);
    }
    while (i < sql.length && isWordPartCode(sql.charCodeAt(i))) i++;
  }
  out.push(token('param', sql.slice(start, i), start));
  return i;
}

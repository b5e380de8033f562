/**
 * Parsed statements by their text. A dashboard's query node sends the same SQL every few seconds
 * with new parameters and a new now(): the text parses to the same syntax tree each time, so it is
 * parsed once (binding, which depends on the parameters, the clock and the tables, runs on every
 * call). Besides the parse itself, this keeps the parser's code out of every query, so V8 is not
 * still optimizing it hundreds of queries later. Trees are frozen: nothing may change a shared one.
 */
import type * as A from './ast';
import { parse } from './parser';

/** Distinct texts kept (least recently used goes first). */
const MAX_STATEMENTS = 256;
/** Longer texts (bulk INSERTs, generated SQL) are parsed every time, not kept. */
const MAX_TEXT_LENGTH = 16 * 1024;

const statements = new Map<string, A.Statement>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The syntax tree of `sql`, parsed once per text; throws SqlError (never cached) as `parse` does. */
export function parseCached(sql: string): A.Statement {
  const hit = statements.get(sql);
  if (hit) {
    statements.delete(sql);
    statements.set(sql, hit);
    return hit;
  }
  const stmt = parse(sql);
  if (sql.length > MAX_TEXT_LENGTH) return stmt;
  if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
  statements.set(sql, deepFreeze(stmt));
  return stmt;
}

/**
 * Parsed statements by their text. A dashboard's query node sends the same SQL every few seconds
 * with new parameters and a new now(): the text parses to the same syntax tree each time, so it is
 * parsed once (binding, which depends on the parameters, the clock and the tables, runs on every
 * call). Besides the parse itself, this keeps the parser's code out of every query, so V8 is not
 * still optimizing it hundreds of queries later. Trees are frozen: nothing may change a shared one.
 * Scripts (several statements separated by ';') are kept apart, as their arrays of trees.
 */
import type * as A from './ast';
import { parse, parseScript, parseStatements } from './parser';

/** Distinct texts kept by each cache, statements and scripts (least recently used goes first). */
const MAX_STATEMENTS = 256;
/** Longer texts (bulk INSERTs, generated SQL) are parsed every time, not kept. */
const MAX_TEXT_LENGTH = 16 * 1024;

const statements = new Map<string, A.Statement>();
const scripts = new Map<string, readonly A.Statement[]>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The syntax tree of `sql`, parsed once per text; throws SqlError (never cached) as `parse` does. */
export function parseCached(sql: string): A.Statement {
  return cached(statements, sql, parse);
}

/** The statements of a script, parsed once per text (a frozen array of frozen trees), as `parseScript`. */
export function parseScriptCached(sql: string): readonly A.Statement[] {
  return cached(scripts, sql, parseScript);
}

/**
 * One statement's tree, or a script's trees when the text holds several statements (what
 * `db.query` runs), kept as `parseCached` and `parseScriptCached` keep them: a statement costs
 * one lookup, as with `parseCached`.
 */
export function parseStatementsCached(sql: string): A.Statement | readonly A.Statement[] {
  const one = statements.get(sql);
  if (one) return bump(statements, sql, one);
  const many = scripts.get(sql);
  if (many) return bump(scripts, sql, many);
  const tree = parseStatements(sql);
  if (sql.length > MAX_TEXT_LENGTH) return tree;
  if (Array.isArray(tree)) keep(scripts, sql, tree);
  else keep(statements, sql, tree as A.Statement);
  return tree;
}

function bump<T>(kept: Map<string, T>, sql: string, hit: T): T {
  kept.delete(sql);
  kept.set(sql, hit);
  return hit;
}

function keep<T>(kept: Map<string, T>, sql: string, tree: T): void {
  if (kept.size >= MAX_STATEMENTS) kept.delete(kept.keys().next().value!);
  kept.set(sql, deepFreeze(tree));
}

/** `parseText(sql)` from `kept`, or parsed, frozen and kept unless the text is long. */
function cached<T>(kept: Map<string, T>, sql: string, parseText: (sql: string) => T): T {
  const hit = kept.get(sql);
  if (hit) return bump(kept, sql, hit);
  const tree = parseText(sql);
  if (sql.length > MAX_TEXT_LENGTH) return tree;
  keep(kept, sql, tree);
  return tree;
}

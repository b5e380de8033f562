/**
 * What a caller outside the engine may ask about SQL before running it: whether a text writes (the
 * admin API asks for the `helios.write` permission then, the CLI refuses it on a snapshot), and
 * the words the editor offers as you type.
 */
import { AGGREGATE_FUNCTIONS, GAPFILL_FUNCTIONS, SCALAR_FUNCTIONS } from '../plan/functions';
import type * as A from '../sql/ast';
import { parseStatementsCached } from '../sql/cache';
import { RESERVED } from '../sql/parser';

/** Words the parser knows that are not reserved (so not in RESERVED). */
const MORE_KEYWORDS = [
  'PRAGMA',
  'VIEW',
  'SHOW',
  'TABLES',
  'LIMIT',
  'OFFSET',
  'TAG',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'REPLACE',
  'RETURNING',
];

/**
 * True when running `sql` can change data or schema (INSERT, UPDATE, DELETE, CREATE, DROP, a
 * transaction, a script holding one); false for SELECT, SHOW, DESCRIBE, EXPLAIN. Throws SqlError
 * (with its caret) when the text does not parse.
 */
export function statementWrites(sql: string): boolean {
  const tree = parseStatementsCached(sql);
  const list: readonly A.Statement[] = Array.isArray(tree) ? tree : [tree as A.Statement];
  return list.some((s) => !READING_KINDS.has(s.kind));
}

const READING_KINDS = new Set<A.Statement['kind']>(['query', 'showTables', 'describe', 'pragma', 'explain']);

/** Keywords (upper case) and function names (lower case), sorted, for completion in the editor. */
export function sqlVocabulary(): { keywords: string[]; functions: string[] } {
  const keywords = [...new Set([...RESERVED, ...MORE_KEYWORDS])].sort();
  const functions = [
    ...new Set([...Object.keys(SCALAR_FUNCTIONS), ...Object.keys(AGGREGATE_FUNCTIONS), ...GAPFILL_FUNCTIONS]),
  ].sort();
  return { keywords, functions };
}

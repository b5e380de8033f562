/**
 * How many array parameters a statement takes: its highest positional placeholder (`?` counted in
 * order, `?N` and `$N` by number). Found once per parsed statement (parsed statements are cached
 * and frozen, so the answer is kept beside them).
 */
import type { Statement } from './ast';

const known = new WeakMap<object, number>();

export function positionalParams(stmt: Statement): number {
  let n = known.get(stmt);
  if (n === undefined) {
    n = highest(stmt);
    known.set(stmt, n);
  }
  return n;
}

function highest(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) {
    let most = 0;
    for (const item of node) most = Math.max(most, highest(item));
    return most;
  }
  const record = node as Record<string, unknown>;
  if (record.kind === 'param' && typeof record.text === 'string') {
    if (record.text === '?') return typeof record.index === 'number' ? record.index : 0;
    return /^[?$]\d+$/.test(record.text) ? Number(record.text.slice(1)) : 0;
  }
  let most = 0;
  for (const key in record) if (key !== 'pos') most = Math.max(most, highest(record[key]));
  return most;
}

import { isPlainObject } from './plain-object';
import type { NodeMessage } from './red';

/** Placeholders outside string literals, quoted names and comments: ?, ?1, $name, :name, @name. */
const PLACEHOLDER = /\?|\$[\w]|(?<![:\w]):[A-Za-z_]|@[A-Za-z_]/;
const NOT_CODE = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|--[^\n]*|\/\*[\s\S]*?\*\//g;

/** Does the SQL have parameters to bind? */
export function hasPlaceholders(sql: string): boolean {
  return PLACEHOLDER.test(sql.replace(NOT_CODE, ' '));
}

/**
 * msg.params; when it is absent and the SQL has placeholders, an array or object in msg.payload, as
 * node-red-node-sqlite users send them.
 */
export function paramsOf(msg: NodeMessage, sql: string): unknown[] | Record<string, unknown> {
  let p = msg.params;
  if (p === undefined || p === null) {
    const payload = msg.payload;
    if (!(Array.isArray(payload) || isPlainObject(payload)) || !hasPlaceholders(sql)) return [];
    p = payload;
  }
  if (typeof p === 'object') return p as unknown[] | Record<string, unknown>;
  throw new Error(`msg.params must be an array or an object of named parameters; got ${typeof p}.`);
}

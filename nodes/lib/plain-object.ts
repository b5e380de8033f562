/**
 * An object literal (or JSON): not an array, Date, Buffer, Map, Set or instance of a class. Its
 * prototype is an Object.prototype of any realm: a function node's objects come from its own
 * sandbox, whose Object.prototype is not this one.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Objects keyed by names that callers chose (tags, fields, columns): `__proto__` and
 * `constructor` are names like any other. `o[name] = v` would set the prototype for `__proto__`,
 * and `o[name]` reads Object.prototype's `constructor` for a row without that column.
 */

/** Sets `o`'s own property `key`, also when it is `__proto__`. */
export function putOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

/** `o`'s own property `key`; undefined when it has none (nothing inherited). */
export function getOwn<T>(o: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

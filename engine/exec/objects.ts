/**
 * Result rows as objects keyed by column name. Building them with `o[name] = value` costs about
 * 45 ns a row in keyed stores; a function compiled once per list of names, returning an object
 * literal, costs about 9 (node-postgres built its rows the same way). The names go into the source
 * as JSON string literals, so no name can be code. Where code generation from strings is disabled
 * (`--disallow-code-generation-from-strings`), the keyed loop is used. A column named `__proto__`
 * is an own key either way, never the object's prototype.
 */
import type { Row } from './compile';

type ObjectMaker = (row: Row) => Record<string, unknown>;

/** Makers by their list of names (as JSON: no two lists share a key). */
const makers = new Map<string, ObjectMaker>();
const MAX_MAKERS = 256;

function keyedMaker(names: readonly string[]): ObjectMaker {
  return (row) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name === '__proto__')
        Object.defineProperty(o, name, {
          value: row[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else o[name] = row[i];
    }
    return o;
  };
}

function compiledMaker(names: readonly string[]): ObjectMaker | undefined {
  // a computed key defines an own property; a literal "__proto__" key would set the prototype
  const fields = names.map((name, i) =>
    name === '__proto__' ? `["__proto__"]: row[${i}]` : `${JSON.stringify(name)}: row[${i}]`,
  );
  try {
    return new Function('row', `return { ${fields.join(', ')} };`) as ObjectMaker;
  } catch {
    return undefined;
  }
}

/** The function that turns a row with these column names into an object. */
export function objectMaker(names: readonly string[]): ObjectMaker {
  const key = JSON.stringify(names);
  let maker = makers.get(key);
  if (!maker) {
    maker = compiledMaker(names) ?? keyedMaker(names);
    if (makers.size >= MAX_MAKERS) makers.delete(makers.keys().next().value!);
    makers.set(key, maker);
  }
  return maker;
}

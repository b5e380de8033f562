/**
 * CREATE INDEX and DROP INDEX on tables declared as SQLite declares them: the index is recorded in
 * the table's declaration (so its name is known, IF [NOT] EXISTS works and DROP INDEX finds it).
 * A UNIQUE index is a UNIQUE key that INSERT honours; a plain one changes nothing, as the result
 * says: the engine reads a table by time and series and keeps no other index.
 */

import type { SqliteTable } from '../catalog/catalog';
import type { Plan, Value } from '../plan/logical';
import { SqlError } from '../sql/errors';
import type { Row } from './compile';
import { CONSTRAINT } from './constraints';
import type { Runtime } from './runtime';
import { keyOf } from './values';

async function redeclare(rt: Runtime, table: string, shape: SqliteTable): Promise<void> {
  if (!rt.target.createTable) {
    throw new SqlError('CREATE INDEX is not available with this storage.', 'HELIOS_SQL_UNSUPPORTED');
  }
  const options: { ifNotExists?: boolean; redeclare?: boolean } = { redeclare: true };
  await rt.target.createTable(table, { tags: [], fields: {}, sqlite: shape }, options);
}

/** Throws SQLite's UNIQUE error when two stored rows share values of `columns` (none NULL). */
async function checkUnique(rt: Runtime, table: string, columns: readonly string[]): Promise<void> {
  const seen = new Set<string>();
  for await (const series of rt.target.scan(table, {})) {
    const cols = columns.map((c) => series.fields.get(c));
    for (let i = 0; i < series.count; i++) {
      const values: Value[] = [];
      for (const col of cols) {
        if (!col || (col.present && !col.present[i])) break;
        values.push(
          col.type === 'bool' ? (col.values as Uint8Array)[i] === 1 : (col.values[i] as number | string),
        );
      }
      if (values.length < columns.length) continue;
      const key = keyOf(values);
      if (seen.has(key)) {
        throw new SqlError(
          `UNIQUE constraint failed: ${columns.map((c) => `${table}.${c}`).join(', ')} (two rows of "${table}" have the same values already)`,
          CONSTRAINT,
        );
      }
      seen.add(key);
    }
    await rt.slicer.maybeYield();
  }
}

export async function* createIndex(
  plan: Extract<Plan, { kind: 'createIndex' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (plan.exists) {
    yield [[`Index ${plan.index} exists already; nothing changed.`]];
    return;
  }
  if (plan.unique) await checkUnique(rt, plan.table, plan.keyColumns);
  await redeclare(rt, plan.table, plan.shape);
  const on = `${plan.table} (${plan.keyColumns.join(', ')})`;
  yield [
    [
      plan.unique
        ? `Unique index ${plan.index} recorded on ${on}: INSERT refuses a row whose ${plan.keyColumns.join(', ')} another row has.`
        : `Index ${plan.index} recorded on ${on}; it changes nothing: Helios reads ${plan.table} by time and series and keeps no other index, so queries run as before.`,
    ],
  ];
}

export async function* dropIndex(
  plan: Extract<Plan, { kind: 'dropIndex' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (plan.table === null || plan.shape === null) {
    yield [[`There is no index ${plan.index}; nothing changed.`]];
    return;
  }
  await redeclare(rt, plan.table, plan.shape);
  yield [[`Index ${plan.index} dropped from ${plan.table}.`]];
}

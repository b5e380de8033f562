/**
 * DELETE, DROP TABLE and CREATE TABLE: each is one storage call. DELETE and DROP TABLE return the
 * LSN of their tombstone (a later write is not affected by it).
 */
import type { Plan } from '../plan/logical';
import { SqlError } from '../sql/errors';
import type { Row } from './compile';
import type { Runtime } from './runtime';

export async function* deleteRows(
  plan: Extract<Plan, { kind: 'delete' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const o = plan.options;
  if (o.empty) {
    yield [[null]];
    return;
  }
  const options: { from?: number; to?: number; tags?: Record<string, string> } = {};
  if (o.from !== undefined) options.from = o.from;
  if (o.to !== undefined) options.to = o.to;
  if (o.tags && Object.keys(o.tags).length) options.tags = o.tags;
  const { lsn } = await rt.target.deleteRows(plan.table, options);
  yield [[lsn]];
}

export async function* dropTable(
  plan: Extract<Plan, { kind: 'dropTable' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (plan.missing) return;
  const { lsn } = await rt.target.dropTable(plan.table);
  yield [[lsn]];
}

export async function* createTable(
  plan: Extract<Plan, { kind: 'createTable' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (!rt.target.createTable) {
    throw new SqlError(
      'CREATE TABLE is not available with this storage: tables are created on first write.',
      'HELIOS_SQL_UNSUPPORTED',
    );
  }
  await rt.target.createTable(plan.table, plan.definition, { ifNotExists: plan.ifNotExists });
  // no result rows: an empty batch
  yield [];
}

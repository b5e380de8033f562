/**
 * DROP TABLE and CREATE TABLE: each is one storage call. DROP TABLE returns the LSN of its
 * tombstone (a later write is not affected by it). DELETE is in change.ts.
 */
import type { Plan } from '../plan/logical';
import { SqlError } from '../sql/errors';
import type { Row } from './compile';
import type { Runtime } from './runtime';

export async function* dropTable(
  plan: Extract<Plan, { kind: 'dropTable' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (plan.missing) return;
  const { lsn } = await rt.target.dropTable(plan.table);
  yield [[lsn]];
}

/** CREATE VIEW and DROP VIEW: one storage call each, no result rows. */
export async function* viewChange(
  plan: Extract<Plan, { kind: 'viewChange' }>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (!rt.target.createView || !rt.target.dropView) {
    throw new SqlError('CREATE VIEW is not available with this storage.', 'HELIOS_SQL_UNSUPPORTED');
  }
  if (plan.skip) return;
  if (plan.view) await rt.target.createView(plan.name, plan.view, { ifNotExists: plan.ifNotExists });
  else await rt.target.dropView(plan.name);
  yield [];
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

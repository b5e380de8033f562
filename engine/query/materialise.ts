/**
 * The last step of db.query: the operators' rows (arrays) become the result's objects. For a large
 * result this is the one loop whose length is the result's: it must give the event loop a turn on
 * its own, not only when the operator feeding it does (an operator that hands out rows it holds,
 * such as a sort's output, may offer a turn only when its clock says so). So it counts: after
 * every ROWS_PER_TURN rows it yields (setImmediate), and after each batch when the query's time
 * slice is used up.
 */
import type { Row } from '../exec/compile';
import { objectMaker } from '../exec/objects';
import { tooManyRows } from '../exec/runtime';
import type { TimeSlicer } from '../util/fsutil';

/**
 * Rows turned into objects between two turns of the event loop at most. About 1 ms of work here
 * (objects of a few columns), so about 20 ms on a machine 20 times slower or busier.
 */
export const ROWS_PER_TURN = 2048;

export interface MaterialiseRuntime {
  readonly slicer: TimeSlicer;
  readonly maxRows: number;
  /** throws when the query's time is up or it was cancelled */
  checkTime(): void;
}

/** Every row of `batches` as an object with the keys `names`, refusing more than `maxRows`. */
export async function materialise(
  batches: AsyncIterable<readonly Row[]>,
  names: readonly string[],
  runtime: MaterialiseRuntime,
): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  const make = objectMaker(names);
  let sinceTurn = 0;
  for await (const batch of batches) {
    runtime.checkTime();
    if (rows.length + batch.length > runtime.maxRows) throw tooManyRows(runtime.maxRows, 'result rows');
    for (let i = 0; i < batch.length; i++) {
      rows.push(make(batch[i]!));
      if (++sinceTurn >= ROWS_PER_TURN) {
        await runtime.slicer.maybeYield(true);
        sinceTurn = 0;
      }
    }
    await runtime.slicer.maybeYield();
  }
  return rows;
}

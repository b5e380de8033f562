/**
 * EXPLAIN: the plan, and what the storage would read. It runs the storage's metadata pass
 * (`scanParts` without loading anything) for every table scan in the plan, so the partition,
 * series and chunk counts are those of the data at that moment, not estimates; for an aggregate
 * that statistics can answer it says how many parts they answer and which aggregates.
 */
import { explainPlan, type Plan, planInputs } from '../plan/logical';
import { newScanCounters } from '../read/scan';
import type { Row } from './compile';
import type { Runtime } from './runtime';
import { storageScans } from './scan-fused';
import { timeMergeShape } from './scan-merge';
import { answersFromStats, type StatsShape, statsShape } from './scan-stats';
import { topNScanShape } from './scan-topn';

type ScanPlan = Extract<Plan, { kind: 'scan' }>;

const MERGE_NOTE = "merge: each series' rows come in time order; merged, not sorted";
const TOP_N_NOTE = 'top-N in the scan: a row is built only when its first key enters the heap';

export async function* explain(plan: Extract<Plan, { kind: 'explain' }>, rt: Runtime): AsyncGenerator<Row[]> {
  const notes = new Map<Plan, string[]>();
  await annotate(plan.plan, rt, notes);
  yield explainPlan(plan.plan, 0, (p) => notes.get(p) ?? []).map((line) => [line]);
}

async function annotate(p: Plan, rt: Runtime, notes: Map<Plan, string[]>): Promise<void> {
  if (p.kind === 'aggregate') {
    const shape = statsShape(p);
    if (!('scan' in shape)) notes.set(p, [`statistics: not used, ${shape.reason}`]);
    else if (!rt.useStatistics) notes.set(p, ['statistics: turned off for this query']);
    else {
      const pass = await storagePass(shape.scan, rt, shape);
      notes.set(shape.scan, pass.lines);
      const names = p.aggregates.map((a) => a.text).join(', ');
      notes.set(p, [
        `statistics: ${names || 'the groups'} from chunk statistics in ${pass.fromStats} of ${pass.parts} part${pass.parts === 1 ? '' : 's'}; the others decoded`,
      ]);
    }
  }
  if (p.kind === 'sort' && timeMergeShape(p)) notes.set(p, [MERGE_NOTE]);
  else if (p.kind === 'sort' && topNScanShape(p)) notes.set(p, [TOP_N_NOTE]);
  if (p.kind === 'scan' && !notes.has(p)) notes.set(p, (await storagePass(p, rt, undefined)).lines);
  for (const input of planInputs(p)) await annotate(input, rt, notes);
}

/** Walks the parts a scan would read, loading nothing. */
async function storagePass(
  scan: ScanPlan,
  rt: Runtime,
  shape: StatsShape | undefined,
): Promise<{ lines: string[]; parts: number; fromStats: number }> {
  const scans = storageScans(scan);
  if (scans.length === 0) return { lines: ['storage: nothing to read'], parts: 0, fromStats: 0 };
  const counters = newScanCounters();
  let parts = 0;
  let fromStats = 0;
  for (const [i, options] of scans.entries()) {
    // each scan of a tag IN list covers the same partitions: count them once
    const { partitions, partitionsSkipped } = counters;
    if (i > 0) Object.assign(counters, { partitions: 0, partitionsSkipped: 0 });
    for await (const series of rt.target.scanParts(scan.table, options, counters)) {
      parts += series.parts.length;
      if (shape) for (const part of series.parts) if (answersFromStats(shape, part)) fromStats++;
      await rt.slicer.tick();
    }
    if (i > 0) Object.assign(counters, { partitions, partitionsSkipped });
  }
  const line =
    `storage: partitions ${counters.partitions} kept, ${counters.partitionsSkipped} skipped; ` +
    `series ${counters.series}; chunks ${counters.chunksSkipped} skipped; ${parts} part${parts === 1 ? '' : 's'} to read`;
  return { lines: [line], parts, fromStats };
}

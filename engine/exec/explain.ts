/**
 * EXPLAIN: the physical plan (physical.ts), each node's lines with the name of the operator that
 * runs it in brackets at the end of its first line, and what the storage would read. It runs the
 * storage's metadata pass (`scanParts` without loading anything) for every table scan in the plan,
 * so the partition, series and chunk counts are those of the data at that moment, not estimates;
 * for an aggregate that statistics answer it says how many parts they answer and which aggregates.
 * The lines of the nodes a fused operator reads itself (its scan, filter, projection) are printed
 * under it without a name: no operator of their own runs.
 */
import { explainNode, explainPlan, type Plan, planInputs } from '../plan/logical';
import { newScanCounters } from '../read/scan';
import type { Row } from './compile';
import type { PhysicalPlan } from './physical';
import type { Runtime } from './runtime';
import { storageScans } from './scan-fused';
import { answersFromStats, type StatsShape } from './scan-stats';

type ScanPlan = Extract<Plan, { kind: 'scan' }>;
type Notes = Map<Plan, string[]>;

const MERGE_NOTE = "merge: each series' rows come in time order; merged, not sorted";
const TOP_N_NOTE = 'top-N in the scan: a row is built only when its first key enters the heap';

/** The lines of EXPLAIN for the physical plan `node` (the statement explained), one row each. */
export async function* explain(node: PhysicalPlan, rt: Runtime): AsyncGenerator<Row[]> {
  const notes: Notes = new Map();
  await annotate(node, rt, notes);
  yield printNode(node, 0, notes).map((line) => [line]);
}

/** The operator's name as EXPLAIN prints it after a node's first line. */
export function operatorTag(node: PhysicalPlan): string {
  return ` [${node.kind}]`;
}

function printNode(node: PhysicalPlan, depth: number, notes: Notes): string[] {
  const pad = '  '.repeat(depth);
  const own = explainNode(node.plan).map((l) => pad + l);
  own[0] += operatorTag(node);
  const extra = (notes.get(node.plan) ?? []).map((l) => `${pad}  ${l}`);
  return [...own, ...extra, ...printUnder(node, depth + 1, notes)];
}

/** What a node reads: the logical nodes it fuses, or its inputs' physical nodes. */
function printUnder(node: PhysicalPlan, depth: number, notes: Notes): string[] {
  if ('fused' in node) return explainPlan(node.fused, depth, (p) => notes.get(p) ?? []);
  const readsRows = node.kind === 'update' || node.kind === 'deleteByMarkers';
  return node.inputs.flatMap((input) =>
    readsRows ? printRowsRead(input, depth, notes) : printNode(input, depth, notes),
  );
}

/**
 * The rows UPDATE and DELETE read, without the projection of every column (and the rowid) over
 * them: its operator's name goes on the first line printed.
 */
function printRowsRead(node: PhysicalPlan, depth: number, notes: Notes): string[] {
  if (node.plan.kind !== 'project') return printNode(node, depth, notes);
  const lines = printUnder(node, depth, notes);
  if (lines.length) lines[0] += operatorTag(node);
  return lines;
}

async function annotate(node: PhysicalPlan, rt: Runtime, notes: Notes): Promise<void> {
  switch (node.kind) {
    case 'statsAggregate': {
      const pass = await storagePass(node.shape.scan, rt, node.shape);
      notes.set(node.shape.scan, pass.lines);
      const names = node.plan.aggregates.map((a) => a.text).join(', ');
      notes.set(node.plan, [
        `statistics: ${names || 'the groups'} from chunk statistics in ${pass.fromStats} of ${pass.parts} part${pass.parts === 1 ? '' : 's'}; the others decoded`,
      ]);
      break;
    }
    case 'hashAggregate':
    case 'fusedScanAggregate':
      notes.set(node.plan, [`statistics: ${node.statistics}`]);
      break;
    case 'timeMergeScan':
      notes.set(node.plan, [MERGE_NOTE]);
      break;
    case 'topNScan':
      notes.set(node.plan, [TOP_N_NOTE]);
      break;
  }
  for (const scan of scansRead(node))
    if (!notes.has(scan)) notes.set(scan, (await storagePass(scan, rt, undefined)).lines);
  for (const input of node.inputs) await annotate(input, rt, notes);
}

/** The table scans a node reads itself: its own, or those in the logical nodes it fuses. */
function scansRead(node: PhysicalPlan): ScanPlan[] {
  if (node.kind === 'tableScan') return [node.plan];
  if (!('fused' in node)) return [];
  const out: ScanPlan[] = [];
  const walk = (p: Plan): void => {
    if (p.kind === 'scan') out.push(p);
    else for (const input of planInputs(p)) walk(input);
  };
  walk(node.fused);
  return out;
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
      await rt.slicer.maybeYield();
    }
    if (i > 0) Object.assign(counters, { partitions, partitionsSkipped });
  }
  const line =
    `storage: partitions ${counters.partitions} kept, ${counters.partitionsSkipped} skipped; ` +
    `series ${counters.series}; chunks ${counters.chunksSkipped} skipped; ${parts} part${parts === 1 ? '' : 's'} to read`;
  return { lines: [line], parts, fromStats };
}

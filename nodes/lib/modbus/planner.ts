import { protocolMax, spanOf } from './register-map';
import type { MapEntry, ModbusTable } from './types';

/**
 * Planning: the entries of one unit, table and interval, read in as few requests as the device
 * allows. Entries are sorted by address and a read grows while the next entry still fits in
 * `maxRegisters` (or the protocol's limit, if lower) and the hole before it is at most `maxGap`
 * addresses: a hole is read over and thrown away, which is cheaper than another round trip but
 * may touch addresses a device refuses (then lower `maxGap` to 0).
 */

export interface PlanLimits {
  /** registers per read at most (the device's limit; the protocol's is 125) */
  maxRegisters: number;
  /** coils or discrete inputs per read at most (the protocol's limit is 2000) */
  maxBits: number;
  /** the largest hole of unused addresses a read spans, in registers (bits: 16 per register) */
  maxGap: number;
}

export const DEFAULT_LIMITS: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 8 };

/** One read: a range of one table of one unit, and the entries it holds. */
export interface PlannedRead {
  unitId: number;
  table: ModbusTable;
  address: number;
  count: number;
  /** entries and where each starts in the reply (0 = the first register or bit read) */
  entries: ReadonlyArray<{ entry: MapEntry; at: number }>;
}

/** The reads of one poll interval, ordered by unit, table and address. */
export interface PollGroup {
  intervalMs: number;
  reads: PlannedRead[];
}

const isBits = (table: ModbusTable) => table === 'coil' || table === 'discrete';

function maxCount(table: ModbusTable, limits: PlanLimits): number {
  const device = isBits(table) ? limits.maxBits : limits.maxRegisters;
  return Math.max(1, Math.min(device, protocolMax(table)));
}

/** Splits `entries` (all one unit, table and interval) into reads. */
function planRun(entries: MapEntry[], limits: PlanLimits): PlannedRead[] {
  const sorted = [...entries].sort((a, b) => a.address - b.address || spanOf(b) - spanOf(a));
  const first = sorted[0]!;
  const max = maxCount(first.table, limits);
  const gap = isBits(first.table) ? limits.maxGap * 16 : limits.maxGap;
  const reads: PlannedRead[] = [];
  let current: { address: number; end: number; entries: Array<{ entry: MapEntry; at: number }> } | null =
    null;
  for (const entry of sorted) {
    const end = entry.address + spanOf(entry);
    const fits =
      current !== null &&
      entry.address - current.end <= gap &&
      Math.max(current.end, end) - current.address <= max;
    if (current && fits) {
      current.end = Math.max(current.end, end);
      current.entries.push({ entry, at: entry.address - current.address });
      continue;
    }
    if (current) reads.push(finish(first, current));
    current = { address: entry.address, end, entries: [{ entry, at: 0 }] };
  }
  if (current) reads.push(finish(first, current));
  return reads;
}

function finish(
  first: MapEntry,
  run: { address: number; end: number; entries: Array<{ entry: MapEntry; at: number }> },
): PlannedRead {
  return {
    unitId: first.unitId,
    table: first.table,
    address: run.address,
    count: run.end - run.address,
    entries: run.entries,
  };
}

/**
 * The poll groups of a register map, fastest interval first. An entry longer than the device's
 * limit cannot be read at all: that is reported as an error sentence by `oversized`.
 */
export function planReads(entries: readonly MapEntry[], limits: PlanLimits): PollGroup[] {
  const runs = new Map<string, MapEntry[]>();
  for (const e of entries) {
    const key = `${e.intervalMs}|${e.unitId}|${e.table}`;
    const run = runs.get(key);
    if (run) run.push(e);
    else runs.set(key, [e]);
  }
  const groups = new Map<number, PlannedRead[]>();
  const keys = [...runs.keys()].sort((a, b) => {
    const [ia, ua, ta] = a.split('|');
    const [ib, ub, tb] = b.split('|');
    return Number(ia) - Number(ib) || Number(ua) - Number(ub) || ta!.localeCompare(tb!);
  });
  for (const key of keys) {
    const run = runs.get(key)!;
    const interval = run[0]!.intervalMs;
    const reads = groups.get(interval) ?? [];
    reads.push(...planRun(run, limits));
    groups.set(interval, reads);
  }
  return [...groups.entries()].map(([intervalMs, reads]) => ({ intervalMs, reads }));
}

/** Sentences for entries too long for one read under `limits` (a string longer than maxRegisters). */
export function oversized(entries: readonly MapEntry[], limits: PlanLimits): string[] {
  return entries
    .filter((e) => spanOf(e) > maxCount(e.table, limits))
    .map(
      (e) =>
        `${e.name} spans ${spanOf(e)} registers, more than the ${maxCount(e.table, limits)} the device reads at once.`,
    );
}

/**
 * INSERT. Into a Helios table: each input row becomes a reading (time, tags, fields), written in
 * batches. Into a table declared as SQLite declares them: every row is built whole (defaults,
 * affinity, NOT NULL, CHECK: exec/constraints.ts), checked against the UNIQUE keys and the rowids
 * already stored and earlier in the statement, then written in one write; OR IGNORE / ON CONFLICT
 * DO NOTHING skip a conflicting row, OR REPLACE deletes the row it conflicts with.
 */
import { clipText } from '../errors';
import type { StoredReading } from '../ingest/readings';
import type { Plan, SqliteInsert, SqlType, Value } from '../plan/logical';
import { SqlError } from '../sql/errors';
import { putOwn } from '../util/own';
import { compile, type Row } from './compile';
import { conformRow, keyString, type StoredKeyRow, storedKeys, uniqueFailed } from './constraints';
import type { Runtime } from './runtime';
import { parseIso } from './time';
import { numericAffinity, truth } from './values';

type InsertPlan = Extract<Plan, { kind: 'insert' }>;
type Reading = { time: number; tags?: Record<string, string>; fields: Record<string, unknown> };

const WRITE_BATCH = 5000;

/** INSERT into a Helios table: each input row becomes a reading, written in batches. */
export async function* insertReadings(
  plan: InsertPlan,
  input: AsyncIterable<Row[]>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  let count = 0;
  let lsn = 0;
  let pending: Reading[] = [];
  const flush = async (): Promise<void> => {
    if (!pending.length) return;
    const res = await rt.target.write(plan.table, pending);
    count += res.count;
    lsn = res.lsn;
    rt.changes += res.count;
    if (res.lastRowid !== undefined && res.lastRowid !== null) rt.lastInsertRowid = res.lastRowid;
    pending = [];
  };
  for await (const batch of input) {
    for (const row of batch) {
      pending.push(toReading(plan.targets, row, rt.ctx.now));
      if (pending.length >= WRITE_BATCH) await flush();
    }
  }
  await flush();
  yield [[count, lsn]];
}

/** ms of a value given for `time`: ms, or ISO text. */
function timeOf(v: Value): number {
  const ms =
    typeof v === 'string' ? (parseIso(v) ?? Number(numericAffinity(v))) : v === null ? Number.NaN : Number(v);
  if (!Number.isFinite(ms)) {
    throw new SqlError(
      `INSERT got ${v === null ? 'NULL' : `'${clipText(String(v))}'`} for time. Give ms since 1970 or an ISO-8601 time such as '2026-01-31T12:00:00Z' (or leave time out to use now).`,
      'HELIOS_SQL_TYPE',
    );
  }
  return ms;
}

function toReading(targets: InsertPlan['targets'], row: Row, now: number): Reading {
  let time = now;
  const tags: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  let hasTags = false;
  targets.forEach((t, i) => {
    const v = row[i]!;
    if (t.role === 'time') time = timeOf(v);
    else if (t.role === 'tag') {
      if (v !== null) {
        putOwn(tags, t.name, String(typeof v === 'boolean' ? (v ? 1 : 0) : v));
        hasTags = true;
      }
    } else if (v !== null) putOwn(fields, t.name, v);
  });
  return hasTags ? { time, tags, fields } : { time, fields };
}

// ---- tables declared as SQLite declares them ----

/** Statements checking keys and writing into one table of one target run one at a time. */
const tableLocks = new WeakMap<object, Map<string, Promise<void>>>();

async function withTableLock<T>(rt: Runtime, table: string, fn: () => Promise<T>): Promise<T> {
  let locks = tableLocks.get(rt.target);
  if (!locks) {
    locks = new Map();
    tableLocks.set(rt.target, locks);
  }
  const before = locks.get(table) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const chained = before.then(() => mine);
  locks.set(table, chained);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(table) === chained) locks.delete(table);
  }
}

/** INSERT into a table declared as SQLite declares them: rows in its layout, checked against its rules. */
export async function* insertSqlite(
  plan: InsertPlan,
  s: SqliteInsert,
  input: AsyncIterable<Row[]>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  const rules = s.rules;
  const rows = await buildRows(plan, s, input, rt);
  let lsn: number | null = null;
  const keep = await withTableLock(rt, rules.table, async () => {
    const resolved = await resolveConflicts(s, rows, rt);
    // New rows, DO UPDATE's changed rows and OR REPLACE's markers are one WAL record: outside a
    // transaction, a transaction of their own when there is more than the new rows.
    const changes = resolved.updates.length > 0 || resolved.markers.length > 0;
    const own = changes && !rt.target.inTransaction && rt.target.begin ? rt.target.begin() : null;
    const target = own ? own.target() : rt.target;
    try {
      const written = await writeInsert(s, resolved, target, rt);
      if (written !== null) lsn = written;
      if (own) lsn = await own.commit();
    } catch (err) {
      own?.rollback();
      throw err;
    }
    return [...resolved.keep, ...resolved.updates];
  });
  if (!s.returning) {
    yield [[keep.length, lsn]];
    return;
  }
  const exprs = s.returning.map((e) => compile(e, rt.ctx));
  const out = keep.map((row) => exprs.map((f) => f(row)));
  for (let i = 0; i < out.length; i += 1024) yield out.slice(i, i + 1024);
}

/** Writes an INSERT's resolved rows through `target`; the LSN of the new rows' write, if any. */
async function writeInsert(
  s: SqliteInsert,
  resolved: Awaited<ReturnType<typeof resolveConflicts>>,
  target: Runtime['target'],
  rt: Runtime,
): Promise<number | null> {
  const rules = s.rules;
  let lsn: number | null = null;
  let ids: Float64Array | undefined;
  if (resolved.keep.length) {
    const res = await target.write(rules.table, resolved.keep.map(readingOf(s)));
    ids = res.rowids;
    lsn = res.lsn;
    rt.changes += resolved.keep.length;
    const last = ids?.[resolved.keep.length - 1];
    if (last !== undefined && !Number.isNaN(last)) rt.lastInsertRowid = last;
    else if (res.lastRowid !== undefined && res.lastRowid !== null) rt.lastInsertRowid = res.lastRowid;
  }
  const written = new Set<string>();
  resolved.keep.forEach((row, i) => {
    const id = ids?.[i];
    if (id !== undefined && !Number.isNaN(id)) {
      row[rules.rowid] = id;
      if (rules.alias >= 0) row[rules.alias] = id;
    }
    written.add(`${row[0]}:${row[rules.rowid]}`);
  });
  // DO UPDATE's changed rows: new versions of the rows they were, by identity
  if (resolved.updates.length) {
    if (!target.writeStored) {
      throw new SqlError(
        'ON CONFLICT ... DO UPDATE is not available with this storage.',
        'HELIOS_SQL_UNSUPPORTED',
      );
    }
    await target.writeStored(
      rules.table,
      resolved.updates.map((row) => ({ ...readingOf(s)(row), rowid: row[rules.rowid] as number | null })),
    );
    rt.changes += resolved.updates.length;
  }
  // A row written at the identity (time, rowid) of one it replaces has replaced it already.
  const markers = resolved.markers.filter((m) => !written.has(`${m.time}:${m.rowid}`));
  if (markers.length) {
    if (!target.writeStored) {
      throw new SqlError('INSERT OR REPLACE is not available with this storage.', 'HELIOS_SQL_UNSUPPORTED');
    }
    await target.writeStored(rules.table, markers);
  }
  return lsn;
}

/** The statement's rows in the table's layout, defaults filled in and checked (conformRow). */
async function buildRows(
  plan: InsertPlan,
  s: SqliteInsert,
  input: AsyncIterable<Row[]>,
  rt: Runtime,
): Promise<Row[]> {
  const rules = s.rules;
  const width = rules.rowid + 1;
  const given = new Set(s.slots);
  const defaults = rules.defaults.map((d, i) => (d && !given.has(i + 1) ? compile(d, rt.ctx) : null));
  const types: Array<SqlType | undefined> = new Array(width);
  rules.defaults.forEach((d, i) => {
    if (d) types[i + 1] = d.type;
  });
  // VALUES' column types are unified over its rows: each value there has its own type
  if (plan.input.kind !== 'values') {
    plan.input.columns.forEach((c, i) => {
      types[s.slots[i]!] = c.type;
    });
  }
  const rows: Row[] = [];
  for await (const batch of input) {
    for (const values of batch) {
      const row: Row = new Array(width).fill(null);
      row[0] = rt.ctx.now;
      defaults.forEach((d, i) => {
        if (d) row[i + 1] = d([]);
      });
      s.slots.forEach((p, i) => {
        row[p] = values[i]!;
      });
      row[0] = timeOf(row[0]!);
      conformRow(rules, row, rt.ctx, types);
      if (rules.time) row[0] = timeFromColumn(row[rules.time.position]!, rules.time.unitMs, row[0]);
      if (rules.alias >= 0) {
        if (given.has(rules.rowid) && row[rules.rowid] !== null) row[rules.alias] = row[rules.rowid]!;
        row[rules.rowid] = row[rules.alias]!;
      }
      rows.push(row);
      rt.checkRows(rows.length, 'rows of one INSERT');
    }
  }
  return rows;
}

/** A row's time from its time column (WITH time_column): NULL leaves the insert time. */
function timeFromColumn(v: Value, unitMs: number, insertTime: Value): number {
  if (v === null) return insertTime as number;
  const ms = Math.floor(Number(v) * unitMs);
  if (typeof v !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 2 ** 50) {
    throw new SqlError(
      `The time column holds ${typeof v === 'string' ? `'${clipText(v)}'` : String(v)}, which is not a time: give a number of ${unitMs === 1000 ? 'seconds' : 'milliseconds'} since 1970.`,
      'HELIOS_SQL_TYPE',
    );
  }
  return ms;
}

/** A row as the reading `write` takes: its declared columns as fields (the alias gives the rowid). */
function readingOf(s: SqliteInsert): (row: Row) => Reading {
  return (row) => {
    const fields: Record<string, unknown> = {};
    s.rules.columns.forEach((c, i) => {
      const v = row[i + 1]!;
      if (v !== null) putOwn(fields, c.name, v);
    });
    return { time: row[0] as number, fields };
  };
}

/**
 * The rows to store and the delete markers of the rows OR REPLACE removes. Keys are the UNIQUE
 * keys and, for rows given one, the rowid; NULL in a key never conflicts (as in SQLite).
 */
async function resolveConflicts(
  s: SqliteInsert,
  rows: readonly Row[],
  rt: Runtime,
): Promise<{ keep: Row[]; markers: StoredReading[]; updates: Row[] }> {
  const rules = s.rules;
  const keys = [...rules.keys.map((k) => k.positions), [rules.rowid]];
  const upsert = s.upsert ? new Upsert(s.upsert, keys, rt) : null;
  const current = [...rows];
  const wanted = keys.map(() => new Set<string>());
  const rowKeys = rows.map((row) =>
    keys.map((key, k) => {
      const str = keyString(row, key);
      if (str !== null) wanted[k]!.add(str);
      return str;
    }),
  );
  const stored = await storedKeys(rules, keys, wanted, rt, rows, upsert !== null);
  const seen = keys.map(() => new Map<string, number>());
  const dropped = new Set<number>();
  const markers = new Map<string, StoredReading>();
  const removeStored = (hit: StoredKeyRow): void => {
    markers.set(`${hit.time}:${hit.rowid}`, { time: hit.time, fields: {}, rowid: hit.rowid, deleted: true });
    hit.keys.forEach((str, k) => {
      if (str !== null && stored[k]!.get(str) === hit) stored[k]!.delete(str);
    });
  };
  rows.forEach((_, r) => {
    const mine = rowKeys[r]!;
    const conflicts: number[] = [];
    mine.forEach((str, k) => {
      if (str !== null && (stored[k]!.has(str) || seen[k]!.has(str))) conflicts.push(k);
    });
    const k = upsert ? upsert.keyOf(conflicts) : -1;
    if (upsert && k >= 0) {
      // DO UPDATE: the row it conflicts with changes instead (an earlier row of the statement too)
      const str = mine[k]!;
      const hit = stored[k]!.get(str);
      const earlier = seen[k]!.get(str);
      const base = hit ? (upsert.changed.get(hit) ?? hit.values!) : current[earlier!]!;
      const next = upsert.apply(base, current[r]!, rules);
      if (next && hit) upsert.changed.set(hit, next);
      else if (next) current[earlier!] = next;
      dropped.add(r);
      return;
    }
    if (conflicts.length) {
      const ignored =
        s.conflict === 'ignore' ||
        (s.ignoreKey !== null && conflicts.every((k) => sameKey(keys[k]!, s.ignoreKey!)));
      if (ignored) {
        dropped.add(r);
        return;
      }
      if (s.conflict === 'abort') {
        const named =
          conflicts.find((k) => s.ignoreKey === null || !sameKey(keys[k]!, s.ignoreKey)) ?? conflicts[0]!;
        throw uniqueFailed(rules, keys[named]!);
      }
      for (const k of conflicts) {
        const str = mine[k]!;
        const hit = stored[k]!.get(str);
        if (hit) removeStored(hit);
        const earlier = seen[k]!.get(str);
        if (earlier !== undefined) {
          dropped.add(earlier);
          rowKeys[earlier]!.forEach((e, j) => {
            if (e !== null && seen[j]!.get(e) === earlier) seen[j]!.delete(e);
          });
        }
      }
    }
    mine.forEach((str, k) => {
      if (str !== null) seen[k]!.set(str, r);
    });
  });
  return {
    keep: current.filter((_, r) => !dropped.has(r)),
    markers: [...markers.values()],
    updates: upsert ? [...upsert.changed.values()] : [],
  };
}

/** ON CONFLICT (key) DO UPDATE of one statement: the rows it changed, by the stored row. */
class Upsert {
  /** which of the keys checked is the conflict target */
  readonly index: number;
  readonly changed = new Map<StoredKeyRow, Row>();
  private readonly set: ReadonlyArray<{ position: number; eval: (row: Row) => Value }>;
  private readonly where: ((row: Row) => Value) | null;

  constructor(
    u: NonNullable<SqliteInsert['upsert']>,
    keys: ReadonlyArray<readonly number[]>,
    private readonly rt: Runtime,
  ) {
    const target = u.key;
    this.index = target === null ? -1 : keys.findIndex((k) => sameKey(k, target));
    this.set = u.set.map((a) => ({ position: a.position, eval: compile(a.expr, rt.ctx) }));
    this.where = u.where ? compile(u.where, rt.ctx) : null;
  }

  /** The key of a conflict DO UPDATE handles (the target, or without one the first), or -1. */
  keyOf(conflicts: readonly number[]): number {
    if (this.index < 0) return conflicts[0] ?? -1;
    return conflicts.includes(this.index) ? this.index : -1;
  }

  /** The existing row changed by SET (checked as any row), or null when WHERE turns it down. */
  apply(existing: readonly Value[], proposed: readonly Value[], rules: SqliteInsert['rules']): Row | null {
    const both = [...existing, ...proposed];
    if (this.where && truth(this.where(both)) !== true) return null;
    const next = [...existing];
    for (const a of this.set) next[a.position] = a.eval(both);
    conformRow(rules, next, this.rt.ctx);
    return next;
  }
}

function sameKey(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((p) => b.includes(p));
}

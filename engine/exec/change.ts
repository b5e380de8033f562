/**
 * UPDATE and DELETE of the rows a WHERE selects (docs/sql.md, "Changing rows"). Both read the
 * matching rows through the plan under them (a scan with the WHERE pushed down, the hidden rowid
 * last), then write every change at once with one `writeStored` call: new versions of the rows
 * (UPDATE) or delete markers (DELETE), each carrying the identity of the row it replaces, so the
 * merge by identity does the rest and no partition is rewritten. One call is one WAL record: the
 * statement is stored whole or not at all. A DELETE whose WHERE is only time ranges and tag
 * equalities is a tombstone instead (outside transactions, without RETURNING).
 *
 * Statements that read rows and then write them run one at a time per storage, so two of them
 * (an UPDATE and a DELETE of the same rows) cannot interleave between the read and the write.
 */
import { TypeConflictError } from '../errors';
import type { StoredReading } from '../ingest/readings';
import type { Plan, TableRules, Value } from '../plan/logical';
import { ROWID_FIELD } from '../rows/identity';
import { SqlError } from '../sql/errors';
import { putOwn } from '../util/own';
import { compile, type Row } from './compile';
import { conformRow, keyString, storedKeys, uniqueFailed } from './constraints';
import type { ExecTarget, Runtime } from './runtime';
import type { ScriptTransaction } from './target';

type UpdatePlan = Extract<Plan, { kind: 'update' }>;
type DeletePlan = Extract<Plan, { kind: 'delete' }>;

/** The read-then-write statement running on each storage (the next one waits for it). */
const running = new WeakMap<object, Promise<void>>();

/** Runs `fn` when no other UPDATE or DELETE runs on `target`. */
async function exclusive<T>(target: ExecTarget, fn: () => Promise<T>): Promise<T> {
  const before = running.get(target);
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const queued = before ? before.then(() => mine) : mine;
  running.set(target, queued);
  try {
    if (before) await before;
    return await fn();
  } finally {
    release();
    if (running.get(target) === queued) running.delete(target);
  }
}

/** Rows handed to the storage at a time when a statement changes many (see ChangeWriter). */
const SLICE_ROWS = 1024;

/**
 * Writes a statement's new versions or markers as one WAL record. Up to SLICE_ROWS rows are one
 * `writeStored` call; more are validated slice by slice into a transaction of their own (giving
 * the event loop a turn between slices) and committed at the end, still one record: then only
 * the commit's encoding is one synchronous step. Inside a transaction every row is written at the
 * end (its writes are kept until its commit anyway, and the scan reads the transaction's rows).
 */
class ChangeWriter {
  private pending: StoredReading[] = [];
  private tx: ScriptTransaction | null = null;
  rows = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly table: string,
  ) {}

  async add(reading: StoredReading): Promise<void> {
    this.pending.push(reading);
    this.rows++;
    const t = this.rt.target;
    if (this.pending.length < SLICE_ROWS || t.inTransaction || !t.begin) return;
    this.tx ??= t.begin();
    await this.tx.target().writeStored!(this.table, this.pending);
    this.pending = [];
    await this.rt.slicer.maybeYield();
  }

  /** Stores what was added; the write's LSN (0: nothing written). */
  async finish(): Promise<number> {
    const tx = this.tx;
    if (tx) {
      if (this.pending.length) await tx.target().writeStored!(this.table, this.pending);
      this.tx = null;
      return (await tx.commit()) ?? 0;
    }
    if (this.pending.length === 0) return 0;
    return (await this.rt.target.writeStored!(this.table, this.pending)).lsn;
  }

  /** Forgets what was added (the statement failed). */
  abort(): void {
    this.tx?.rollback();
    this.tx = null;
    this.pending = [];
  }
}

/** Where a row's parts are in the input's rows: time first, the rowid last. */
interface RowShape {
  readonly tags: ReadonlyArray<{ readonly name: string; readonly index: number }>;
  readonly fields: ReadonlyArray<{ readonly name: string; readonly index: number; readonly type: string }>;
  readonly rowid: number;
}

function shapeOf(input: Plan): RowShape {
  const tags: Array<{ name: string; index: number }> = [];
  const fields: Array<{ name: string; index: number; type: string }> = [];
  let rowid = -1;
  input.columns.forEach((c, index) => {
    if (c.name === ROWID_FIELD) rowid = index;
    else if (c.role === 'tag') tags.push({ name: c.name, index });
    else if (c.role === 'field') fields.push({ name: c.name, index, type: c.type });
  });
  return { tags, fields, rowid };
}

function tagsOf(row: Row, shape: RowShape): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of shape.tags) {
    const v = row[t.index];
    if (v !== null && v !== undefined) putOwn(tags, t.name, String(v));
  }
  return tags;
}

function rowidOf(row: Row, shape: RowShape): number | null {
  const v = shape.rowid < 0 ? null : row[shape.rowid];
  return typeof v === 'number' ? v : null;
}

function noStorage(what: string): SqlError {
  return new SqlError(
    `${what} is not available with this storage: it cannot write rows again by their identity.`,
    'HELIOS_SQL_UNSUPPORTED',
  );
}

/** The same value (NaN equals NaN), so an assignment that changes nothing writes nothing. */
function same(a: Value | undefined, b: Value | undefined): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/**
 * UPDATE: every matching row's new version, built from the old row with the assignments
 * evaluated against the old values, written together. Changes counts every matching row, as
 * SQLite counts them; a row the assignments leave as it was is counted and not written again.
 */
export async function* update(
  plan: UpdatePlan,
  input: AsyncIterable<Row[]>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (!rt.target.writeStored) throw noStorage('UPDATE');
  const shape = shapeOf(plan.input);
  const assign = plan.assignments.map((a) => ({ index: a.index, value: compile(a.expr, rt.ctx) }));
  const returning = plan.returning?.map((e) => compile(e, rt.ctx));
  const out: Row[] = [];
  const rules = plan.rules;
  const types = plan.input.columns.map((c) => c.type);
  for (const a of plan.assignments) types[a.index] = a.expr.type;
  const keys = rules ? new KeyCheck(rules, plan.assignments) : null;
  const { matched, lsn } = await exclusive(rt.target, async () => {
    const writer = new ChangeWriter(rt, plan.table);
    let matched = 0;
    try {
      for await (const batch of input) {
        for (const row of batch) {
          matched++;
          rt.checkRows(matched, 'rows an UPDATE changes');
          const next = row.slice();
          for (const a of assign) next[a.index] = a.value(row);
          if (rules) conformRow(rules, next, rt.ctx, types);
          if (returning) out.push(returning.map((r) => r(next)));
          if (assign.every((a) => same(next[a.index], row[a.index]))) continue;
          keys?.add(next);
          await writer.add(newVersion(plan.table, next, shape, matched, !rules));
        }
      }
      await keys?.check(rt);
      return { matched, lsn: await writer.finish() };
    } catch (err) {
      writer.abort();
      throw err;
    }
  });
  rt.changes += matched;
  if (returning) {
    for (let i = 0; i < out.length; i += 1024) yield out.slice(i, i + 1024);
    return;
  }
  yield [[matched, lsn]];
}

/** A value of another type than its column's is refused, as INSERT refuses it. */
function checkType(table: string, f: RowShape['fields'][number], v: Value, n: number): void {
  const given =
    typeof v === 'string'
      ? 'string'
      : typeof v === 'boolean'
        ? 'bool'
        : f.type === 'int' && !Number.isInteger(v)
          ? 'float'
          : f.type === 'float' || f.type === 'int'
            ? f.type
            : Number.isInteger(v)
              ? 'int'
              : 'float';
  if (f.type !== given && FIELD_TYPES.has(f.type))
    throw new TypeConflictError(table, f.name, f.type, given, ` by UPDATE (row ${n} it changes)`);
}

const FIELD_TYPES = new Set(['int', 'float', 'bool', 'string']);

/** The whole new row as a StoredReading: every field it has (the write replaces the row). */
function newVersion(table: string, row: Row, shape: RowShape, n: number, typed: boolean): StoredReading {
  const fields: Record<string, unknown> = {};
  let any = false;
  for (const f of shape.fields) {
    const v = row[f.index];
    if (v === null || v === undefined) continue;
    if (typed) checkType(table, f, v, n);
    putOwn(fields, f.name, v);
    any = true;
  }
  if (!any) {
    throw new SqlError(
      `UPDATE would leave row ${n} of "${table}" without any value: a row keeps at least one ` +
        'non-NULL column. DELETE the row instead, or set another column in the same UPDATE.',
      'HELIOS_SQL_UNSUPPORTED',
    );
  }
  return { time: row[0] as number, tags: tagsOf(row, shape), fields, rowid: rowidOf(row, shape) };
}

/**
 * The UNIQUE keys an UPDATE's assignments touch: no two changed rows may end with the same key,
 * nor a changed row with the key of a stored row it does not change (NULLs never conflict).
 */
class KeyCheck {
  private readonly keys: Array<readonly number[]>;
  private readonly seen: Array<Set<string>>;
  private readonly changed = new Set<number>();

  constructor(
    private readonly rules: TableRules,
    assignments: ReadonlyArray<{ readonly index: number }>,
  ) {
    const assigned = new Set(assignments.map((a) => a.index));
    this.keys = rules.keys.map((k) => k.positions).filter((p) => p.some((i) => assigned.has(i)));
    this.seen = this.keys.map(() => new Set<string>());
  }

  add(row: Row): void {
    if (this.keys.length === 0) return;
    const id = row[this.rules.rowid];
    if (typeof id === 'number') this.changed.add(id);
    this.keys.forEach((key, k) => {
      const s = keyString(row, key);
      if (s === null) return;
      if (this.seen[k]!.has(s)) throw uniqueFailed(this.rules, key);
      this.seen[k]!.add(s);
    });
  }

  async check(rt: Runtime): Promise<void> {
    if (this.seen.every((s) => s.size === 0)) return;
    const stored = await storedKeys(this.rules, this.keys, this.seen, rt);
    stored.forEach((found, k) => {
      for (const row of found.values()) {
        if (row.rowid === null || !this.changed.has(row.rowid)) throw uniqueFailed(this.rules, this.keys[k]!);
      }
    });
  }
}

// DELETE. A tombstone when the WHERE is time ranges and tag equalities only, outside a
// transaction and without RETURNING (its rows are counted first, from chunk statistics where
// whole chunks go); otherwise the matching rows are read and a delete marker written for each,
// all in one write (physical.ts chooses). Result: the LSN of the delete (0 when nothing was
// written), or RETURNING's rows.

/** DELETE by a tombstone of the plan's time range and tag equalities (none when they contradict each other). */
export async function* deleteByTombstone(plan: DeletePlan, rt: Runtime): AsyncGenerator<Row[]> {
  if (plan.options.empty && !plan.returning) {
    yield [[null]];
    return;
  }
  const { lsn, count } = await exclusive(rt.target, () => tombstone(plan, rt));
  rt.changes += count;
  yield [[lsn]];
}

/** DELETE of the rows `input` gives (the plan's input run), one delete marker each, in one write. */
export async function* deleteByMarkers(
  plan: DeletePlan & { readonly input: Plan },
  rows: AsyncIterable<Row[]>,
  rt: Runtime,
): AsyncGenerator<Row[]> {
  if (!rt.target.writeStored) throw noStorage('DELETE of rows chosen by this WHERE');
  const shape = shapeOf(plan.input);
  const returning = plan.returning?.map((e) => compile(e, rt.ctx));
  const out: Row[] = [];
  const { count, lsn } = await exclusive(rt.target, async () => {
    const writer = new ChangeWriter(rt, plan.table);
    try {
      for await (const batch of rows) {
        for (const row of batch) {
          rt.checkRows(writer.rows + 1, 'rows a DELETE removes');
          if (returning) out.push(returning.map((r) => r(row)));
          await writer.add({
            time: row[0] as number,
            tags: tagsOf(row, shape),
            fields: {},
            rowid: rowidOf(row, shape),
            deleted: true,
          });
        }
      }
      return { count: writer.rows, lsn: await writer.finish() };
    } catch (err) {
      writer.abort();
      throw err;
    }
  });
  rt.changes += count;
  if (returning) {
    for (let i = 0; i < out.length; i += 1024) yield out.slice(i, i + 1024);
    return;
  }
  yield [[lsn]];
}

/** The tombstone of a time range and tag equalities, and the rows it hides, counted just before. */
async function tombstone(plan: DeletePlan, rt: Runtime): Promise<{ lsn: number; count: number }> {
  const o = plan.options;
  const options: { from?: number; to?: number; tags?: Record<string, string> } = {};
  if (o.from !== undefined) options.from = o.from;
  if (o.to !== undefined) options.to = o.to;
  if (o.tags && Object.keys(o.tags).length) options.tags = o.tags;
  let count = 0;
  for await (const series of rt.target.scanParts(plan.table, options, rt.scanCounters)) {
    for (const part of series.parts) count += part.stats ? part.rows : (await part.load([])).count;
    await rt.slicer.maybeYield();
  }
  const { lsn } = await rt.target.deleteRows(plan.table, options);
  return { lsn, count };
}

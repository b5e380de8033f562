/**
 * Batch preparation: a write's readings, validated against the catalog (without changing it) and
 * grouped by series into the WriteBatch that one WAL record holds and the head applies. The
 * reading types, the series resolver, the checks of one reading and the column builders live
 * beside this file; what other rooms import from ingest/ is exported here.
 */
import {
  checkColumnName,
  checkTableName,
  roleConflict,
  seriesKey,
  type TableCatalog,
} from '../catalog/catalog';
import { clipText, InvalidInputError, TypeConflictError } from '../errors';
import { DELETED_FIELD, ROWID_FIELD } from '../rows/identity';
import type { ColumnType, FieldColumn } from '../types';
import { getOwn, putOwn } from '../util/own';
import { BatchColumn, markerColumn, rowidColumn } from './batch-columns';
import type { Reading, StoredReading } from './readings';
import { type KnownSeries, type SeriesGroup, SeriesResolver } from './series-resolver';
import {
  badTime,
  checkSafeInteger,
  describeValue,
  fieldType,
  isWellFormed,
  notWellFormed,
  readingTime,
  tagValue,
} from './validate';

/** One series' rows of a batch, in arrival order (not sorted, may repeat times). */
export interface BatchSeries {
  readonly key: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly count: number;
  readonly times: Float64Array;
  readonly fields: Map<string, FieldColumn>;
  /** each row's index among the readings of the write (absent for batches replayed from the WAL) */
  readonly indexes?: readonly number[];
}

/** A validated write: what one WAL record holds and what the head applies. */
export interface WriteBatch {
  readonly table: string;
  /** tag keys and field types this batch uses (a subset of, or new to, the table's schema) */
  readonly tagKeys: readonly string[];
  readonly fieldTypes: ReadonlyMap<string, ColumnType>;
  readonly series: readonly BatchSeries[];
  readonly rows: number;
  /** the largest rowid the batch gives a row, or null when no row has one */
  readonly maxRowid: number | null;
  /** each reading's rowid in the order given (NaN: none); absent when no row has one or after replay */
  readonly rowids?: Float64Array;
}

/**
 * Which rows of a batch the engine numbers (docs/storage.md, "Row identity"). A row with a rowid
 * is a row of its own even at a time its series already has; one without is identified by its
 * series and time, and replaces the row of that series and time.
 */
export interface RowidPlan {
  /** the table's next unused rowid: the first row numbered gets it */
  readonly next: number;
  /**
   * 'all': every row (a declared rowid table); 'tagless': rows of the series without tags;
   * 'given': the rows are StoredReadings that carry their rowids (none is numbered)
   */
  readonly rows: 'all' | 'tagless' | 'given';
  /** the declared INTEGER PRIMARY KEY column: its given values are the rows' ids, and it shows them */
  readonly alias: string | null;
}

/** An array or typed array (a Buffer): its indexes would become columns named "0", "1", ... */
function isListLike(v: object): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

/** Numbers batches, so that a series can tell whether its cached group is this batch's. */
let batchCounter = 0;

class BatchBuilder {
  private readonly byCanonicalKey = new Map<string, SeriesGroup>();
  private readonly batch = ++batchCounter;
  readonly fieldTypes = new Map<string, ColumnType>();
  readonly tagKeys = new Set<string>();
  /** each field's values by reading index, kept as the readings are checked */
  private readonly columns = new Map<string, BatchColumn>();
  /** some rows are delete markers (StoredReadings) */
  private hasMarkers = false;
  private readonly noTags: Readonly<Record<string, string>> = {};

  constructor(
    private readonly table: string,
    private readonly catalog: TableCatalog,
    private readonly resolver: SeriesResolver,
    private readonly readings: readonly Reading[],
    private readonly rowids: RowidPlan | null,
  ) {}

  where(i: number): () => string {
    return () => `Reading ${i + 1} of ${this.readings.length} for table "${this.table}"`;
  }

  addRow(i: number, reading: Reading): void {
    if (reading === null || typeof reading !== 'object') {
      throw new InvalidInputError(
        `${this.where(i)()} is ${describeValue(reading)}, not { time, tags, fields }.`,
      );
    }
    const time = readingTime(reading.time);
    if (Number.isNaN(time)) throw badTime(reading.time, this.where(i)());
    const group = this.groupOf(i, reading.tags);
    group.rows.push(i);
    group.times.push(time);
    if ((reading as StoredReading).deleted === true) this.hasMarkers = true;
    else this.checkFields(i, reading.fields);
  }

  private groupOf(i: number, tags: Reading['tags']): SeriesGroup {
    if (tags !== undefined && tags !== null && (typeof tags !== 'object' || isListLike(tags))) {
      throw new InvalidInputError(
        `${this.where(i)()} has tags that are ${describeValue(tags)}, not an object of tag values such as { "sensor": "T1" }.`,
      );
    }
    const node = this.resolver.find(tags ?? this.noTags);
    let series = node.series;
    if (!series) {
      series = this.newSeries(i, tags ?? this.noTags);
      this.resolver.remember(node, series);
    }
    if (series.batch !== this.batch || !series.group) {
      series.batch = this.batch;
      series.group = this.groupFor(series);
    }
    return series.group;
  }

  /** This batch's group of a series (two property orders of one series share it). */
  private groupFor(series: KnownSeries): SeriesGroup {
    let group = this.byCanonicalKey.get(series.key);
    if (!group) {
      for (const k in series.tags) {
        if (!this.tagKeys.has(k)) {
          this.checkRole(k);
          this.tagKeys.add(k);
        }
      }
      group = { key: series.key, tags: series.tags, rows: [], times: [] };
      this.byCanonicalKey.set(series.key, group);
    }
    return group;
  }

  private newSeries(i: number, rawTags: NonNullable<Reading['tags']>): KnownSeries {
    const tags: Record<string, string> = {};
    for (const k of Object.keys(rawTags)) {
      const v = rawTags[k as keyof typeof rawTags];
      if (v === undefined || v === null || v === '') continue; // an empty tag is no tag
      checkColumnName(this.table, k, 'tag');
      putOwn(tags, k, tagValue(this.table, k, v, this.where(i)));
    }
    return { key: seriesKey(tags), tags, batch: 0, group: null };
  }

  private checkRole(key: string): void {
    if (this.fieldTypes.has(key) || this.catalog.get(this.table)?.fields.has(key)) {
      throw roleConflict(this.table, key, 'a field', 'a tag');
    }
  }

  private checkNewField(name: string): void {
    checkColumnName(this.table, name, 'field');
    if (this.tagKeys.has(name) || this.catalog.get(this.table)?.hasTag(name)) {
      throw roleConflict(this.table, name, 'a tag', 'a field');
    }
  }

  private checkFields(i: number, fields: Reading['fields']): void {
    if (fields === null || typeof fields !== 'object') {
      throw new InvalidInputError(`${this.where(i)()} has no fields object: give at least one field value.`);
    }
    if (isListLike(fields)) {
      throw new InvalidInputError(
        `${this.where(i)()} has fields that are ${describeValue(fields)}, not an object of field values such as { "temperature": 21.5 }.`,
      );
    }
    let any = false;
    let given = false;
    for (const name in fields) {
      const value = fields[name];
      if (value === undefined) continue;
      // an explicit null is a value given: the row is kept, with NULL there (as SQLite keeps it)
      given = true;
      if (value === null) continue;
      const inBatch = this.fieldTypes.get(name);
      const known = inBatch ?? this.catalog.get(this.table)?.fields.get(name);
      const type = fieldType(value, known);
      if (type === null) {
        throw new InvalidInputError(
          `${this.where(i)()} has field "${clipText(name)}" = ${describeValue(value)}; ` +
            'field values must be numbers, booleans or text.',
        );
      }
      if (type === 'string' && !isWellFormed(value as string)) {
        throw notWellFormed(this.where(i)(), `field "${clipText(name)}"`);
      }
      if (known === undefined) {
        this.checkNewField(name);
        this.fieldTypes.set(name, type);
      } else if (known !== type) {
        throw new TypeConflictError(this.table, name, known, type, ` in reading ${i + 1}`);
      } else if (inBatch === undefined) {
        this.fieldTypes.set(name, type);
      }
      if (typeof value === 'bigint') checkSafeInteger(this.where(i)(), name, value);
      this.columnOf(name, type).set(i, value);
      any = true;
    }
    // a row of a table that numbers every row is a row by its rowid, even without values
    if (!any && !given && this.rowids?.rows !== 'all') {
      throw new InvalidInputError(
        `${this.where(i)()} has no field values; give at least one (null for a value that is missing).`,
      );
    }
  }

  private columnOf(name: string, type: ColumnType): BatchColumn {
    let column = this.columns.get(name);
    if (!column) {
      column = new BatchColumn(type, this.readings.length);
      this.columns.set(name, column);
    }
    return column;
  }

  /**
   * The batch, series by series. Times and number columns are views into one array per batch (per
   * column), not an array per series: an array of more than 64 bytes lives outside V8's heap and
   * costs about a microsecond to allocate, which per series was tens of nanoseconds a reading.
   */
  build(): WriteBatch {
    const total = this.readings.length;
    const ids = this.rowids ? this.numberRows(this.rowids) : null;
    if (ids && this.rowids?.alias) this.fieldTypes.set(this.rowids.alias, 'int');
    if (this.hasMarkers) this.fieldTypes.set(DELETED_FIELD, 'bool');
    const times = new Float64Array(total);
    const numbers = new Map<string, Float64Array>();
    for (const [name, type] of this.fieldTypes) {
      if (type === 'float' || type === 'int') numbers.set(name, new Float64Array(total));
    }
    const series: BatchSeries[] = [];
    let at = 0;
    for (const group of this.byCanonicalKey.values()) {
      series.push(this.buildSeries(group, at, times, numbers, ids?.values ?? null));
      at += group.rows.length;
    }
    return {
      table: this.table,
      tagKeys: [...this.tagKeys],
      fieldTypes: this.fieldTypes,
      series,
      rows: total,
      maxRowid: ids?.max ?? null,
      ...(ids ? { rowids: ids.values } : {}),
    };
  }

  /**
   * The rowid of each reading that gets one (NaN for the others), in reading order: a value given
   * in the alias column, else the next unused id. Adds the rowid field to the batch's types.
   */
  private numberRows(plan: RowidPlan): { values: Float64Array; max: number } | null {
    const values = new Float64Array(this.readings.length).fill(Number.NaN);
    let numbered = false;
    for (const group of this.byCanonicalKey.values()) {
      if (plan.rows === 'tagless' && group.key !== '') continue;
      for (const row of group.rows) {
        values[row] = plan.rows === 'given' ? this.storedRowid(row) : this.givenRowid(row, plan.alias);
        if (!Number.isNaN(values[row]!)) numbered = true;
      }
    }
    if (!numbered) return null;
    let next = plan.next;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === Number.POSITIVE_INFINITY) values[i] = next++;
      if (values[i]! > max) max = values[i]!; // NaN (no rowid) is never larger
    }
    this.fieldTypes.set(ROWID_FIELD, 'int');
    return { values, max };
  }

  /** The rowid a StoredReading carries (NaN for none). */
  private storedRowid(row: number): number {
    const id = (this.readings[row] as StoredReading).rowid;
    if (id === null || id === undefined) return Number.NaN;
    if (!Number.isSafeInteger(id)) throw new InvalidInputError(`${this.where(row)()} has rowid ${id}.`);
    return id;
  }

  /** The id reading `row` gives in the alias column, or +Infinity to number it. */
  private givenRowid(row: number, alias: string | null): number {
    const given = alias === null ? undefined : getOwn(this.readings[row]!.fields, alias);
    if (given === undefined || given === null) return Number.POSITIVE_INFINITY;
    const id = typeof given === 'bigint' ? Number(given) : given;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      throw new InvalidInputError(
        `${this.where(row)()} has ${describeValue(given)} in "${alias}", the table's INTEGER PRIMARY KEY: ` +
          'give a whole number within ±2^53-1, or leave it out and the engine numbers the row.',
      );
    }
    return id;
  }

  /** One series, its times and number columns at rows `at`.. of the batch-wide arrays. */
  private buildSeries(
    group: SeriesGroup,
    at: number,
    allTimes: Float64Array,
    numbers: ReadonlyMap<string, Float64Array>,
    ids: Float64Array | null,
  ): BatchSeries {
    const n = group.rows.length;
    const times = allTimes.subarray(at, at + n);
    times.set(group.times);
    const fields = new Map<string, FieldColumn>();
    const own = ids ? rowidColumn(ids, group.rows) : null;
    for (const name of this.fieldTypes.keys()) {
      if (name === ROWID_FIELD || (own && name === this.rowids?.alias)) {
        if (own) fields.set(name, own);
        continue;
      }
      if (name === DELETED_FIELD) {
        fields.set(name, markerColumn(this.readings as readonly StoredReading[], group.rows));
        continue;
      }
      const into = numbers.get(name)?.subarray(at, at + n) ?? null;
      const column = this.columns.get(name)?.gather(group.rows, into);
      if (column) fields.set(name, column);
    }
    return { key: group.key, tags: group.tags, count: n, times, fields, indexes: group.rows };
  }
}

/**
 * Validates `readings` for `table` against the catalog (without changing it) and groups them by
 * series. Throws InvalidInputError / TypeConflictError naming the reading and the problem; then
 * nothing of the batch is stored.
 */
export function prepareBatch(
  catalog: TableCatalog,
  resolvers: Map<string, SeriesResolver>,
  table: unknown,
  readings: unknown,
  rowids: RowidPlan | null = null,
): WriteBatch {
  const name = checkTableName(table);
  if (!Array.isArray(readings)) {
    throw new InvalidInputError(
      `write("${name}", readings) needs an array of readings { time, tags, fields }.`,
    );
  }
  let resolver = resolvers.get(name);
  if (!resolver) {
    resolver = new SeriesResolver();
    resolvers.set(name, resolver);
  }
  const builder = new BatchBuilder(name, catalog, resolver, readings as Reading[], rowids);
  for (let i = 0; i < readings.length; i++) builder.addRow(i, readings[i] as Reading);
  return builder.build();
}

/**
 * Checks a batch prepared earlier (in a transaction) against the catalog as it is now: a column
 * another write has since given another type or role refuses the commit, naming it.
 */
export function checkSchema(catalog: TableCatalog, batch: WriteBatch): void {
  const table = catalog.get(batch.table);
  if (!table) return;
  for (const key of batch.tagKeys) {
    if (table.fields.has(key)) throw roleConflict(batch.table, key, 'a field', 'a tag');
  }
  for (const [name, type] of batch.fieldTypes) {
    if (table.hasTag(name)) throw roleConflict(batch.table, name, 'a tag', 'a field');
    const known = table.fields.get(name);
    if (known !== undefined && known !== type) throw new TypeConflictError(batch.table, name, known, type);
  }
}

/** Adds the batch's tag keys and fields to the catalog (after its WAL record is written). */
export function applySchema(catalog: TableCatalog, batch: WriteBatch): void {
  const table = catalog.ensure(batch.table);
  for (const key of batch.tagKeys) table.addTag(key);
  for (const [name, type] of batch.fieldTypes) table.addField(name, type);
}

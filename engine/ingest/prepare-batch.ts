import {
  type Catalog,
  checkColumnName,
  checkTableName,
  checkTagValue,
  roleConflict,
  seriesKey,
} from '../catalog/catalog';
import { InvalidInputError, TypeConflictError } from '../errors';
import { DELETED_FIELD, ROWID_FIELD } from '../rows/identity';
import type { ColumnType, FieldColumn } from '../types';

/** A reading as callers pass it to `write`. */
export interface Reading {
  /** Milliseconds since the epoch (integer), a Date, or an ISO-8601 string. */
  time: number | Date | string;
  tags?: Readonly<Record<string, string | number | boolean>>;
  /** numbers, bigints (integers), booleans or text; null or undefined for no value (checked at run time) */
  fields: Readonly<Record<string, unknown>>;
}

/**
 * A row written again with the identity it has (UPDATE's new version of a row, DELETE's marker):
 * the engine's own writes, not a caller's.
 */
export interface StoredReading extends Reading {
  /** the row's rowid; null for a row identified by its series and time */
  readonly rowid: number | null;
  /** a delete marker: the row of this identity is gone (it has no fields) */
  readonly deleted?: boolean;
}

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

/** Timestamps are bounded so that codec arithmetic (deltas of deltas) stays exact in doubles. */
export const MAX_TIME = 2 ** 50;

/** A series as the resolver knows it: tags validated once, canonical key computed once. */
interface KnownSeries {
  readonly key: string;
  readonly tags: Readonly<Record<string, string>>;
  /** the batch that last used this series, and its group there */
  batch: number;
  group: Group | null;
}

interface TrieNode {
  readonly next: Map<string, Map<unknown, TrieNode>>;
  series: KnownSeries | null;
}

/** Most distinct (series, property order) paths one table's resolver remembers before starting over. */
const RESOLVER_CAPACITY = 100_000;
let batchCounter = 0;

/** Tags objects made by `shareTags`: frozen copies, so the same object always names the same series. */
const sharedTags = new WeakSet<object>();

/**
 * A frozen copy of `tags` for a caller that passes one object per series again and again
 * (helios-store keeps one per topic): the engine then knows its series by identity instead of
 * walking its properties for every reading.
 */
export function shareTags<T extends Readonly<Record<string, string | number | boolean>>>(
  tags: T,
): Readonly<T> {
  const copy = Object.freeze({ ...tags });
  sharedTags.add(copy);
  return copy;
}

/**
 * Finds a reading's series from its tags object through a trie of (key, value) steps in the
 * object's own property order: a few Map lookups and no string building per reading. Kept across
 * batches (one per table), so tags are validated and keyed once per series, not once per write.
 * Tags objects from `shareTags` are also remembered by identity.
 */
export class SeriesResolver {
  private root: TrieNode = { next: new Map(), series: null };
  private byObject = new WeakMap<object, TrieNode>();
  private size = 0;

  /** The trie node of `tags`; its series is null when this path was never resolved. */
  find(tags: Readonly<Record<string, unknown>>): TrieNode {
    // A miss is cheap: an object never used as a key has no identity hash to look up.
    let node = this.byObject.get(tags);
    if (node) return node;
    node = this.walk(tags);
    if (sharedTags.has(tags)) this.byObject.set(tags, node);
    return node;
  }

  private walk(tags: Readonly<Record<string, unknown>>): TrieNode {
    let node = this.root;
    for (const k in tags) {
      let byValue = node.next.get(k);
      if (!byValue) {
        byValue = new Map();
        node.next.set(k, byValue);
      }
      const v = tags[k];
      let child = byValue.get(v);
      if (!child) {
        child = { next: new Map(), series: null };
        byValue.set(v, child);
      }
      node = child;
    }
    return node;
  }

  remember(node: TrieNode, series: KnownSeries): void {
    if (++this.size > RESOLVER_CAPACITY) {
      // high cardinality: forget, stay bounded
      this.root = { next: new Map(), series: null };
      this.byObject = new WeakMap();
      this.size = 0;
    }
    node.series = series;
  }
}

interface Group {
  key: string;
  tags: Readonly<Record<string, string>>;
  /** the batch indexes of this series' readings, and their times */
  rows: number[];
  times: number[];
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(String(v))}`;
}

/** Milliseconds of a reading's time, or NaN when it is not a valid time. */
function readingTime(raw: unknown): number {
  let t: number;
  if (typeof raw === 'number') t = raw;
  else if (raw instanceof Date) t = raw.getTime();
  else if (typeof raw === 'string') t = Date.parse(raw);
  else return Number.NaN;
  return Number.isInteger(t) && Math.abs(t) <= MAX_TIME ? t : Number.NaN;
}

function badTime(raw: unknown, where: string): InvalidInputError {
  if (typeof raw !== 'number' && typeof raw !== 'string' && !(raw instanceof Date)) {
    return new InvalidInputError(
      `${where} has no valid time: give milliseconds since 1970, a Date or an ISO-8601 string.`,
    );
  }
  return new InvalidInputError(
    `${where} has time ${describeValue(raw)}, which is not a whole number of milliseconds ` +
      'since 1970 (or a valid date). Round it, or convert seconds to milliseconds.',
  );
}

function tagValue(table: string, key: string, raw: unknown, where: () => string): string {
  if (typeof raw === 'string') {
    checkTagValue(table, key, raw);
    return raw;
  }
  if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return String(raw);
  throw new InvalidInputError(
    `${where()} has tag "${key}" = ${describeValue(raw)}; tag values must be text.`,
  );
}

/** The column type a field value asks for, given the type the column already has (if any). */
function fieldType(value: unknown, known: ColumnType | undefined): ColumnType | null {
  switch (typeof value) {
    case 'number':
      return known === 'int' && Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    default:
      return null;
  }
}

class BatchBuilder {
  private readonly byCanonicalKey = new Map<string, Group>();
  private readonly batch = ++batchCounter;
  readonly fieldTypes = new Map<string, ColumnType>();
  readonly tagKeys = new Set<string>();
  /** some rows are delete markers (StoredReadings) */
  private hasMarkers = false;
  private readonly noTags: Readonly<Record<string, string>> = {};

  constructor(
    private readonly table: string,
    private readonly catalog: Catalog,
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

  private groupOf(i: number, tags: Reading['tags']): Group {
    if (tags !== undefined && tags !== null && typeof tags !== 'object') {
      throw new InvalidInputError(`${this.where(i)()} has tags that are not an object.`);
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
  private groupFor(series: KnownSeries): Group {
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
      const v = rawTags[k];
      if (v === undefined || v === null || v === '') continue; // an empty tag is no tag
      checkColumnName(this.table, k, 'tag');
      tags[k] = tagValue(this.table, k, v, this.where(i));
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
    let any = false;
    for (const name in fields) {
      const value = fields[name];
      if (value === null || value === undefined) continue;
      const inBatch = this.fieldTypes.get(name);
      const known = inBatch ?? this.catalog.get(this.table)?.fields.get(name);
      const type = fieldType(value, known);
      if (type === null) {
        throw new InvalidInputError(
          `${this.where(i)()} has field "${name}" = ${describeValue(value)}; ` +
            'field values must be numbers, booleans or text.',
        );
      }
      if (known === undefined) {
        this.checkNewField(name);
        this.fieldTypes.set(name, type);
      } else if (known !== type) {
        throw new TypeConflictError(this.table, name, known, type, ` in reading ${i + 1}`);
      } else if (inBatch === undefined) {
        this.fieldTypes.set(name, type);
      }
      any = true;
    }
    // a row of a table that numbers every row is a row by its rowid, even without values
    if (!any && this.rowids?.rows !== 'all') {
      throw new InvalidInputError(`${this.where(i)()} has no field values; give at least one.`);
    }
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
    const given = alias === null ? undefined : this.readings[row]!.fields[alias];
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
    group: Group,
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
    for (const [name, type] of this.fieldTypes) {
      if (name === ROWID_FIELD || (own && name === this.rowids?.alias)) {
        if (own) fields.set(name, own);
        continue;
      }
      if (name === DELETED_FIELD) {
        fields.set(name, markerColumn(this.readings as readonly StoredReading[], group.rows));
        continue;
      }
      const batchColumn = numbers.get(name);
      const column = batchColumn
        ? numberColumn(type, this.readings, group.rows, name, batchColumn.subarray(at, at + n))
        : otherColumn(type, this.readings, group.rows, name);
      if (column) fields.set(name, column);
    }
    return { key: group.key, tags: group.tags, count: n, times, fields, indexes: group.rows };
  }
}

/** The rowids of the readings at `rows` (NaN: none); null when none of them has one. */
function rowidColumn(ids: Float64Array, rows: readonly number[]): FieldColumn | null {
  const n = rows.length;
  const values = new Float64Array(n);
  let present: Uint8Array | null = null;
  let seen = 0;
  for (let j = 0; j < n; j++) {
    const id = ids[rows[j]!]!;
    if (Number.isNaN(id)) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
    } else {
      values[j] = id;
      seen++;
    }
  }
  return seen === 0 ? null : { type: 'int', values, present };
}

/** The delete marks of the readings at `rows`: 1 for a marker, absent for a row. */
function markerColumn(readings: readonly StoredReading[], rows: readonly number[]): FieldColumn {
  const n = rows.length;
  const values = new Uint8Array(n);
  const present = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    if (readings[rows[j]!]!.deleted === true) values[j] = present[j] = 1;
  }
  return { type: 'bool', values, present };
}

/** The bool or string column of field `name` for the readings at `rows`; null when none has one. */
function otherColumn(
  type: ColumnType,
  readings: readonly Reading[],
  rows: readonly number[],
  name: string,
): FieldColumn | null {
  const n = rows.length;
  const values: Uint8Array | string[] = type === 'string' ? new Array<string>(n).fill('') : new Uint8Array(n);
  let present: Uint8Array | null = null;
  let seen = 0;
  for (let j = 0; j < n; j++) {
    const v = readings[rows[j]!]!.fields[name];
    if (v === null || v === undefined) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
      continue;
    }
    seen++;
    if (type === 'bool') (values as Uint8Array)[j] = v ? 1 : 0;
    else (values as string[])[j] = v as string;
  }
  return seen === 0 ? null : { type, values, present };
}

/** The number column of field `name` for the readings at `rows`, into `values`; null when none has one. */
function numberColumn(
  type: ColumnType,
  readings: readonly Reading[],
  rows: readonly number[],
  name: string,
  values: Float64Array,
): FieldColumn | null {
  const n = rows.length;
  let present: Uint8Array | null = null;
  let seen = 0;
  for (let j = 0; j < n; j++) {
    const v = readings[rows[j]!]!.fields[name];
    if (v === null || v === undefined) {
      present ??= new Uint8Array(n).fill(1);
      present[j] = 0;
      continue;
    }
    seen++;
    values[j] = Number(v);
  }
  return seen === 0 ? null : { type, values, present };
}

/**
 * Validates `readings` for `table` against the catalog (without changing it) and groups them by
 * series. Throws InvalidInputError / TypeConflictError naming the reading and the problem; then
 * nothing of the batch is stored.
 */
export function prepareBatch(
  catalog: Catalog,
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
  for (const [field, type] of builder.fieldTypes) {
    if (type === 'int') checkSafeIntegers(name, field, readings as Reading[]);
  }
  return builder.build();
}

function checkSafeIntegers(table: string, field: string, readings: readonly Reading[]): void {
  for (let i = 0; i < readings.length; i++) {
    const v = readings[i]!.fields[field];
    if (
      typeof v === 'bigint' &&
      (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(-Number.MAX_SAFE_INTEGER))
    ) {
      throw new InvalidInputError(
        `Reading ${i + 1} for table "${table}" has integer field "${field}" = ${v}, beyond ±2^53-1, ` +
          'the range stored exactly. Store it as text or scale it down.',
      );
    }
  }
}

/**
 * Checks a batch prepared earlier (in a transaction) against the catalog as it is now: a column
 * another write has since given another type or role refuses the commit, naming it.
 */
export function checkSchema(catalog: Catalog, batch: WriteBatch): void {
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
export function applySchema(catalog: Catalog, batch: WriteBatch): void {
  const table = catalog.ensure(batch.table);
  for (const key of batch.tagKeys) table.addTag(key);
  for (const [name, type] of batch.fieldTypes) table.addField(name, type);
}

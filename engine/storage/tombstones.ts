/**
 * Deletes as tombstones. `DELETE ... WHERE time range AND tags` (and DROP TABLE, and retention
 * cutting a partition that straddles its cutoff) records a tombstone with the LSN of its WAL
 * record. A tombstone hides the matching rows of every source written before it (a segment or
 * frozen head whose last LSN is lower); sources written after it are untouched, so data written
 * again after a delete is seen. Compaction removes hidden rows for good, and a tombstone that
 * hides nothing any more is retired. Whole partitions a delete covers are simply removed.
 *
 * The list is kept in `TOMBSTONES` (JSON, replaced atomically) and in the WAL, so a delete
 * acknowledged before a crash is still in force after it.
 */
import * as path from 'node:path';
import { tagsMatch } from '../catalog/catalog';
import { takeRows } from '../rows/take';
import type { SeriesRows } from '../types';
import { isJsonObject, readSmallJson } from './small-file';

export const TOMBSTONES_FILE = 'TOMBSTONES';

/** What a delete removes: rows of `table` with from <= time <= to whose tags equal `tags`. */
export interface DeleteSpec {
  readonly table: string;
  readonly from: number;
  readonly to: number;
  /** null: every series */
  readonly tags: Readonly<Record<string, string>> | null;
  /** DROP TABLE: the table's schema goes too */
  readonly dropTable: boolean;
}

export interface Tombstone extends DeleteSpec {
  readonly lsn: number;
}

/** A tombstone as JSON: open ends (±Infinity) are null. */
export type TombstoneJson = Omit<Tombstone, 'from' | 'to'> & { from: number | null; to: number | null };

/** JSON cannot hold ±Infinity: open ends are stored as null. */
export function tombstoneToJson(t: Tombstone): TombstoneJson {
  return { ...t, from: Number.isFinite(t.from) ? t.from : null, to: Number.isFinite(t.to) ? t.to : null };
}

export function tombstoneFromJson(raw: TombstoneJson): Tombstone {
  return {
    ...raw,
    from: raw.from ?? Number.NEGATIVE_INFINITY,
    to: raw.to ?? Number.POSITIVE_INFINITY,
  };
}

export class Tombstones {
  private list: Tombstone[] = [];

  static async load(dir: string): Promise<Tombstones> {
    const store = new Tombstones();
    const raw = await readSmallJson(
      path.join(dir, TOMBSTONES_FILE),
      (v) => Array.isArray(v) && v.every(isJsonObject),
      'a list of deletes',
      'it lists the deletes not yet applied to every file, so without it deleted rows would come back. ' +
        'Restore it from a backup of this folder; the database is left as it is.',
    );
    if (raw) store.list = (raw as unknown[]).map((t) => tombstoneFromJson(t as TombstoneJson));
    return store;
  }

  /** The list as the text of `TOMBSTONES` (which `load` reads back). */
  serialize(): string {
    return JSON.stringify(this.list.map(tombstoneToJson));
  }

  get all(): readonly Tombstone[] {
    return this.list;
  }

  /** Adds a tombstone; false if one with its LSN is there already (a WAL replay). */
  add(t: Tombstone): boolean {
    if (this.list.some((x) => x.lsn === t.lsn)) return false;
    this.list.push(t);
    return true;
  }

  /** Keeps only the tombstones `stillNeeded` says yes to; true if any went. */
  retain(stillNeeded: (t: Tombstone) => boolean): boolean {
    const before = this.list.length;
    this.list = this.list.filter(stillNeeded);
    return this.list.length !== before;
  }

  /**
   * The tombstones that hide rows of one source: a series of `table` with `tags`, holding
   * [minTime, maxTime], written up to LSN `sourceMaxLsn`.
   */
  applying(
    table: string,
    tags: Readonly<Record<string, string>>,
    sourceMaxLsn: number,
    minTime: number,
    maxTime: number,
  ): Tombstone[] {
    if (this.list.length === 0) return [];
    return this.list.filter(
      (t) =>
        t.table === table &&
        t.lsn > sourceMaxLsn &&
        t.from <= maxTime &&
        t.to >= minTime &&
        tagsMatch(tags, t.tags),
    );
  }

  /**
   * `rows` (one series of `table`, from a source written up to LSN `sourceMaxLsn`) without the
   * rows a tombstone hides, at any time: what flush and compaction write to a new segment.
   */
  hide(table: string, rows: SeriesRows, sourceMaxLsn: number): SeriesRows {
    return hideDeleted(
      rows,
      this.applying(table, rows.tags, sourceMaxLsn, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY),
    );
  }
}

/** True when the tombstones hide every row of [minTime, maxTime]. */
export function coversRange(tombstones: readonly Tombstone[], minTime: number, maxTime: number): boolean {
  return tombstones.some((t) => t.from <= minTime && t.to >= maxTime);
}

/** `rows` without those the tombstones hide (a new SeriesRows; `rows` is not changed). */
export function hideDeleted(rows: SeriesRows, tombstones: readonly Tombstone[]): SeriesRows {
  if (tombstones.length === 0) return rows;
  const keep: number[] = [];
  for (let i = 0; i < rows.count; i++) {
    const t = rows.times[i]!;
    if (!tombstones.some((d) => t >= d.from && t <= d.to)) keep.push(i);
  }
  return keep.length === rows.count ? rows : takeRows(rows, keep);
}

import type { WriteBatch } from '../ingest/prepare-batch';
import { SeriesBuffer } from './series-buffer';
import { HeadSpace, SlabPool } from './slabs';

/**
 * The in-memory part of the database: rows written since the last flush, per table and series.
 * The engine keeps one active head taking writes and, while a flush runs, one frozen head being
 * written out; readers see both. A flushed head is retired: once no reader holds it, its slabs go
 * to the pool for the heads after it.
 */
export class Head {
  readonly tables = new Map<string, Map<string, SeriesBuffer>>();
  rows = 0;
  minLsn = 0;
  maxLsn = 0;
  /** wall-clock ms of the first write into this head, for the age-based flush */
  firstWriteAt = 0;
  private readonly space: HeadSpace;
  /** scans holding this head (see retain) */
  private readers = 0;
  private retired = false;

  /** @param pool the slabs shared with the database's other heads */
  constructor(pool: SlabPool = new SlabPool()) {
    this.space = new HeadSpace(pool);
  }

  /** bytes held by the series' arrays (their capacity, not just the rows in use) */
  get bytes(): number {
    return this.space.bytes;
  }

  apply(batch: WriteBatch, lsn: number): void {
    let table = this.tables.get(batch.table);
    if (!table) {
      table = new Map();
      this.tables.set(batch.table, table);
    }
    for (const series of batch.series) {
      let buffer = table.get(series.key);
      if (!buffer) {
        buffer = new SeriesBuffer(series.key, series.tags, this.space);
        table.set(series.key, buffer);
      }
      buffer.append(series);
      buffer.lastLsn = lsn;
    }
    if (this.rows === 0) {
      this.firstWriteAt = Date.now();
      this.minLsn = lsn;
    }
    this.maxLsn = lsn;
    this.rows += batch.rows;
  }

  seriesOf(table: string): Iterable<SeriesBuffer> {
    return this.tables.get(table)?.values() ?? [];
  }

  get isEmpty(): boolean {
    return this.rows === 0;
  }

  /** A scan takes the head: its memory is not reused until the scan releases it. */
  retain(): void {
    this.readers++;
  }

  release(): void {
    this.readers--;
    if (this.readers === 0 && this.retired) this.space.recycle();
  }

  /** The head is flushed and left the database's lists: reuse its memory once no scan holds it. */
  retire(): void {
    this.retired = true;
    if (this.readers === 0) this.space.recycle();
  }
}

/** Releases the heads a scan retained. */
export function releaseHeads(heads: readonly Head[]): void {
  for (const head of heads) head.release();
}

import type { WriteBatch } from '../ingest';
import { SeriesBuffer } from './series-buffer';

/**
 * The in-memory part of the database: rows written since the last flush, per table and series.
 * The engine keeps one active head taking writes and, while a flush runs, one frozen head being
 * written out; readers see both.
 */
export class Head {
  readonly tables = new Map<string, Map<string, SeriesBuffer>>();
  rows = 0;
  /** bytes held by the series' arrays (their capacity, not just the rows in use) */
  bytes = 0;
  minLsn = 0;
  maxLsn = 0;
  /** wall-clock ms of the first write into this head, for the age-based flush */
  firstWriteAt = 0;

  apply(batch: WriteBatch, lsn: number): void {
    let table = this.tables.get(batch.table);
    if (!table) {
      table = new Map();
      this.tables.set(batch.table, table);
    }
    for (const series of batch.series) {
      let buffer = table.get(series.key);
      if (!buffer) {
        buffer = new SeriesBuffer(series.key, series.tags);
        table.set(series.key, buffer);
        this.bytes += buffer.bytes();
      }
      const before = buffer.bytes();
      buffer.append(series);
      buffer.lastLsn = lsn;
      this.bytes += buffer.bytes() - before;
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
}

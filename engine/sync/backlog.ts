/**
 * The edge's backlog estimate: a reader of its own counts, ahead of the batches, the rows the
 * lanes will send, in buckets of LSNs, so that status() can say how many rows wait without reading
 * the log itself. A bucket counts only once it lies wholly after a lane's last batch, so the
 * estimate never says more than is there.
 */
import { batchesOf, type TableFilter } from './collect';
import { WalFeedReader } from './wal-feed';

const BUCKET_LSNS = 1024;

/** Where a lane's batches have been handed out up to, and (backfill) where its range ends. */
export interface LanePositions {
  readonly journal: number;
  readonly live: number;
  readonly backfill: { readonly issued: number; readonly end: number } | null;
}

/** Counts the rows waiting in the log ahead of an edge's batches (see the file's comment). */
export class BacklogCounter {
  /** per bucket (index = floor(lsn / BUCKET_LSNS)): journal rows, main rows */
  private readonly journal = new Map<number, number>();
  private readonly main = new Map<number, number>();
  private reader: WalFeedReader | null = null;
  private position = -1;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly walDir: string,
    private readonly isJournal: TableFilter,
    private readonly isMain: TableFilter,
  ) {}

  /** Counts on from where it stopped (from `from` the first time) to `upTo`, in the background. */
  refresh(from: number, upTo: number): void {
    if (this.running || this.stopped) return;
    this.running = this.advance(from, upTo)
      .catch(() => this.reset())
      .finally(() => {
        this.running = null;
      });
  }

  /** Rows counted wholly after each lane's position. */
  rowsAfter(p: LanePositions): number {
    let rows = 0;
    // bucket b holds LSNs max(1, b * BUCKET_LSNS) .. (b + 1) * BUCKET_LSNS - 1
    const after = (b: number, lsn: number) => Math.max(1, b * BUCKET_LSNS) > lsn;
    for (const [b, n] of this.journal) if (after(b, p.journal)) rows += n;
    for (const [b, n] of this.main) {
      const end = (b + 1) * BUCKET_LSNS - 1;
      const inBackfill = p.backfill !== null && after(b, p.backfill.issued) && end <= p.backfill.end;
      if (inBackfill || after(b, p.live)) rows += n;
    }
    return rows;
  }

  /** Forgets the buckets wholly at or before `lsn` (every lane is past them). */
  forgetUpTo(lsn: number): void {
    const last = Math.floor((lsn + 1) / BUCKET_LSNS) - 1;
    for (const map of [this.journal, this.main]) for (const b of map.keys()) if (b <= last) map.delete(b);
  }

  /** Stops counting and releases the file it reads. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await this.reader?.close();
  }

  private async advance(from: number, upTo: number): Promise<void> {
    if (!this.reader || this.position < from) {
      await this.reset();
      this.reader = new WalFeedReader(this.walDir);
      await this.reader.seek(from);
      this.position = from;
    }
    for (
      let record = await this.reader.next(upTo);
      record && !this.stopped;
      record = await this.reader.next(upTo)
    ) {
      const bucket = Math.floor(record.lsn / BUCKET_LSNS);
      for (const batch of batchesOf(record)) {
        const map = this.isJournal(batch.table) ? this.journal : this.isMain(batch.table) ? this.main : null;
        if (map) map.set(bucket, (map.get(bucket) ?? 0) + batch.rows);
      }
      this.position = record.lsn;
    }
  }

  private async reset(): Promise<void> {
    await this.reader?.close();
    this.reader = null;
    this.position = -1;
    this.journal.clear();
    this.main.clear();
  }
}

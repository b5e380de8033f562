import { writeFileAtomic } from './fsutil';

/**
 * The saves of one small file that is replaced whole (tombstones, cursors, downsample watermarks,
 * the checkpoint): each save waits for the one before it to end, failed or not, so two never write
 * the file at once and the last one called is the last one on disk.
 */
export class SaveChain {
  private last: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Replaces the file with `body` atomically (see writeFileAtomic); resolves once it is durable. */
  save(body: string): Promise<void> {
    const next = this.last.then(() => writeFileAtomic(this.file, body));
    this.last = next.catch(() => undefined);
    return next;
  }
}

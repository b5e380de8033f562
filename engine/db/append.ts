import { encodeBatch, encodeDelete, encodeGroup, type WalEntry } from '../wal/batch';
import type { Wal } from '../wal/wal';
import type { DbState } from './state';
import { storageError } from './storage-error';

/**
 * Appends one record (a write, a group of writes, a delete) to the WAL. Resolves `durable` under
 * the durability mode; a failed encode or append throws the storage error and stores nothing.
 */
export function appendRecord(s: DbState, wal: Wal, entry: WalEntry): { lsn: number; durable: Promise<void> } {
  try {
    const payload =
      entry.kind === 'write'
        ? encodeBatch(entry.batch, s.walDictionary)
        : entry.kind === 'group'
          ? encodeGroup(entry.batches, s.walDictionary)
          : encodeDelete(entry.spec, s.walDictionary);
    const appended = wal.append(payload);
    const batches = entry.kind === 'write' ? [entry.batch] : entry.kind === 'group' ? entry.batches : [];
    const now = Date.now();
    for (const batch of batches) {
      s.work.readingsWritten += batch.rows;
      s.lastWriteAt.set(batch.table, now);
    }
    return appended;
  } catch (err) {
    // The dictionary counted names of a record that was not written: start a new one.
    s.walDictionary.reset();
    throw storageError(err, s.dir);
  }
}

/** `durable` of an appended record, its failure turned into the storage error (no extra await). */
export function whenDurable(s: DbState, durable: Promise<void>): Promise<void> {
  return durable.catch((err) => {
    throw storageError(err, s.dir);
  });
}

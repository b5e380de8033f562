/**
 * Consumer cursors: how far each consumer (the sync node) has taken the data, by LSN, kept in
 * `CURSORS` and saved whole on each change. Retention keeps what comes after the lowest one.
 */
import { InvalidInputError } from '../errors';
import type { DbState } from './state';

/** Records a consumer's cursor, durable on resolve. See Database.setCursor. */
export async function setCursor(s: DbState, name: string, lsn: number): Promise<void> {
  const wal = s.openWal();
  if (typeof name !== 'string' || name === '') throw new InvalidInputError('A cursor needs a name.');
  if (!Number.isInteger(lsn) || lsn < 0 || lsn > wal.lastLsn) {
    throw new InvalidInputError(`Cursor "${name}" must be an LSN between 0 and ${wal.lastLsn}; got ${lsn}.`);
  }
  s.consumerCursors.set(name, lsn);
  await saveCursors(s);
}

/** Forgets a consumer's cursor. See Database.removeCursor. */
export async function removeCursor(s: DbState, name: string): Promise<void> {
  s.openWal();
  if (s.consumerCursors.delete(name)) await saveCursors(s);
}

/** The consumers' cursors by name. */
export function cursorsByName(s: DbState): Record<string, number> {
  return Object.fromEntries(s.consumerCursors);
}

/** The lowest consumer cursor, or null when no consumer is registered. */
export function lowestCursor(s: DbState): number | null {
  return s.consumerCursors.size === 0 ? null : Math.min(...s.consumerCursors.values());
}

function saveCursors(s: DbState): Promise<void> {
  return s.cursorSaves.save(JSON.stringify(Object.fromEntries(s.consumerCursors)));
}

/** Cursors whose name starts with this keep the WAL after them (one per sync edge, docs/sync.md). */
export const SYNC_CURSOR_PREFIX = 'sync:';

/** The LSN up to which WAL files may be deleted: the checkpoint, or a sync cursor below it. */
export function walRemovableUpTo(s: DbState): number {
  let upTo = s.checkpointLsn;
  for (const [name, lsn] of s.consumerCursors)
    if (name.startsWith(SYNC_CURSOR_PREFIX) && lsn < upTo) upTo = lsn;
  return upTo;
}

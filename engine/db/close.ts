import { closingFlush } from './background';
import type { DbState } from './state';

/**
 * Flushes what is in memory, stops background work, closes files and releases the lock. See
 * Database.close. A second call, or one while closing, does nothing.
 */
export async function closeState(s: DbState): Promise<void> {
  if (s.closed || s.closing) return;
  s.closing = true;
  if (s.timer) clearInterval(s.timer);
  try {
    await s.compacting?.catch(() => undefined);
    await s.flushing?.catch(() => undefined);
    if (!s.active.isEmpty || s.frozen.length > 0) await closingFlush(s);
  } finally {
    s.closed = true;
    await s.wal?.close().catch(() => undefined);
    for (const handle of s.segments.all()) await handle.reader.close().catch(() => undefined);
    s.lock.release();
  }
}

import type { Database } from '../../engine/index';
import { isInputError } from './errors';
import { byTable, type InvalidItem, type Normalised, type TableReading } from './readings';

/** What helios-store puts in msg.stored. */
export interface StoredInfo {
  /** readings stored: every one is kept, those that replaced an earlier reading included */
  count: number;
  /**
   * of `count`, readings that replaced one stored before them: the same series (tags) and time,
   * a reading sent again (docs/storage.md, "Row identity")
   */
  replaced: number;
  /** the table written (the first one, if the message held several) */
  table: string;
  /** the LSN of the last batch written */
  lsn: number;
  /** per table, when the message held readings for more than one */
  tables?: Record<string, TableStored>;
  /** readings left out under the "store the valid ones" policy */
  invalid?: InvalidItem[];
}

export interface TableStored {
  count: number;
  replaced: number;
  lsn: number;
}

export type InvalidPolicy = 'reject' | 'skip';

/** A message that cannot be stored as sent: names the reading(s) and the problem. */
export class InvalidReadingError extends Error {
  readonly code = 'HELIOS_INVALID_INPUT';
  readonly invalid: InvalidItem[];
  constructor(invalid: InvalidItem[]) {
    const first = invalid[0]?.message ?? 'The message holds no readings.';
    super(invalid.length > 1 ? `${first} (and ${invalid.length - 1} more invalid readings)` : first);
    this.name = 'InvalidReadingError';
    this.invalid = invalid;
  }
}

/**
 * The engine names a reading by its place in the batch ("Reading 3 of 10 for table ..."); say where
 * it is in the message instead.
 */
export function locateInMessage(message: string, items: readonly TableReading[], isArray: boolean): string {
  const name = (n: string) => {
    const item = items[Number(n) - 1];
    return item ? (isArray ? `msg.payload[${item.index}]` : 'msg.payload') : null;
  };
  return message
    .replace(/^Reading (\d+) of \d+ (for table "[^"]*")/, (whole, n: string, rest: string) => {
      const where = name(n);
      return where ? `${where} ${rest}` : whole;
    })
    .replace(/ in reading (\d+)([.:,])/, (whole, n: string, end: string) => {
      const where = name(n);
      return where ? ` in ${where}${end}` : whole;
    });
}

function inputError(err: Error, items: readonly TableReading[], isArray: boolean): InvalidItem {
  return { index: items[0]?.index ?? -1, message: locateInMessage(err.message, items, isArray) };
}

/** Writes `items` as one batch; if the engine rejects it, splits it to store every valid reading. */
async function writeSkipping(
  db: Database,
  table: string,
  items: readonly TableReading[],
  isArray: boolean,
  invalid: InvalidItem[],
): Promise<TableStored> {
  try {
    return stored(
      await db.write(
        table,
        items.map((i) => i.reading),
      ),
    );
  } catch (err) {
    if (!isInputError(err)) throw err;
    if (items.length === 1) {
      invalid.push(inputError(err, items, isArray));
      return { count: 0, replaced: 0, lsn: 0 };
    }
    const mid = items.length >> 1;
    const a = await writeSkipping(db, table, items.slice(0, mid), isArray, invalid);
    const b = await writeSkipping(db, table, items.slice(mid), isArray, invalid);
    return { count: a.count + b.count, replaced: a.replaced + b.replaced, lsn: Math.max(a.lsn, b.lsn) };
  }
}

function stored(r: { count: number; replaced: number; lsn: number }): TableStored {
  return { count: r.count, replaced: r.replaced, lsn: r.lsn };
}

async function writeAll(
  db: Database,
  table: string,
  items: readonly TableReading[],
  isArray: boolean,
): Promise<TableStored> {
  try {
    return stored(
      await db.write(
        table,
        items.map((i) => i.reading),
      ),
    );
  } catch (err) {
    if (isInputError(err)) throw new InvalidReadingError([inputError(err, items, isArray)]);
    throw err;
  }
}

/**
 * Stores a normalised message: one batch (one WAL record) per table, resolved once durable.
 * 'reject': any invalid reading rejects the message (nothing of that table's batch is stored).
 * 'skip': valid readings are stored, invalid ones listed in `invalid`; nothing valid is an error.
 */
export async function storeReadings(
  db: Database,
  input: Normalised,
  policy: InvalidPolicy,
): Promise<StoredInfo> {
  if (policy === 'reject' && input.invalid.length > 0) throw new InvalidReadingError(input.invalid);
  const invalid = [...input.invalid];
  const tables: Record<string, TableStored> = {};
  let count = 0;
  let replaced = 0;
  let lsn = 0;
  for (const [table, items] of byTable(input.readings)) {
    const r =
      policy === 'skip'
        ? await writeSkipping(db, table, items, input.isArray, invalid)
        : await writeAll(db, table, items, input.isArray);
    tables[table] = r;
    count += r.count;
    replaced += r.replaced;
    lsn = Math.max(lsn, r.lsn);
  }
  if (count === 0) throw new InvalidReadingError(invalid);
  const names = Object.keys(tables);
  const info: StoredInfo = { count, replaced, table: names[0]!, lsn };
  if (names.length > 1) info.tables = tables;
  if (invalid.length > 0) info.invalid = invalid.sort((a, b) => a.index - b.index);
  return info;
}

/** The span (ms) the status line's rate is averaged over: a sensor every few seconds reads steadily. */
export const RATE_WINDOW_MS = 30_000;

/** Counts stored readings and messages in flight for the status line. */
export class StoreMeter {
  total = 0;
  /** of `total`, readings that replaced an earlier one (same series and time) */
  replaced = 0;
  pending = 0;
  private windowStart: number;
  private windowCount = 0;
  /** closed windows of the last RATE_WINDOW_MS: when each ended, its readings, its length */
  private readonly ends: number[] = [];
  private readonly counts: number[] = [];
  private readonly spans: number[] = [];

  constructor(now = Date.now()) {
    this.windowStart = now;
  }

  stored(count: number, replaced = 0): void {
    this.total += count;
    this.replaced += replaced;
    this.windowCount += count;
  }

  /**
   * Readings per second over the last RATE_WINDOW_MS (30 s; since the start, if that is shorter),
   * closing the current window. Called on a timer (about every second), and on status changes.
   */
  sampleRate(now = Date.now()): number {
    const span = now - this.windowStart;
    if (span > 0) {
      this.ends.push(now);
      this.counts.push(this.windowCount);
      this.spans.push(span);
      this.windowStart = now;
      this.windowCount = 0;
    }
    let drop = 0;
    while (drop < this.ends.length && this.ends[drop]! <= now - RATE_WINDOW_MS) drop++;
    if (drop > 0) {
      this.ends.splice(0, drop);
      this.counts.splice(0, drop);
      this.spans.splice(0, drop);
    }
    let count = 0;
    let ms = 0;
    for (let i = 0; i < this.counts.length; i++) {
      count += this.counts[i]!;
      ms += this.spans[i]!;
    }
    return ms > 0 ? (count * 1000) / ms : 0;
  }
}

/**
 * What callers hand to `write`: readings. The engine's own writes (UPDATE's new versions, DELETE's
 * markers) are readings that carry the identity of the row they replace.
 */

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

/** Timestamps are bounded so that codec arithmetic (deltas of deltas) stays exact in doubles. */
export const MAX_TIME = 2 ** 50;

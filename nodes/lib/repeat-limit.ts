/**
 * Repeated identical errors, reported once a window instead of every time: a database that cannot
 * open (a missing TOML file, a locked folder) fails every message the same way, and a flow that
 * stores a reading a second would fill the log with one sentence. The first occurrence is reported
 * at once; the same text again within `windowMs` is only counted, and the next report after the
 * window says how many were left out.
 */
export class RepeatLimiter {
  private lastText: string | null = null;
  private reportedAt = 0;
  private suppressed = 0;

  constructor(private readonly windowMs = 60_000) {}

  /**
   * The text to report now for `text`, with a count of the repeats left out since the last report;
   * null when this is a repeat inside the window (counted, not reported).
   */
  admit(text: string, now = Date.now()): string | null {
    if (text === this.lastText && now - this.reportedAt < this.windowMs) {
      this.suppressed++;
      return null;
    }
    const repeats = text === this.lastText ? this.suppressed : 0;
    this.lastText = text;
    this.reportedAt = now;
    this.suppressed = 0;
    return repeats > 0 ? `${text} (the same error ${repeats} more times since it was last reported)` : text;
  }

  /** Repeats counted since the last report. */
  get pending(): number {
    return this.suppressed;
  }

  /** Forgets the last error (the trouble is over: the next error is reported at once). */
  reset(): void {
    this.lastText = null;
    this.suppressed = 0;
  }
}

/**
 * For a user node (helios-store, helios-query): the error to give `done(err)` for a message that
 * failed with `err`, or null to drop the message without a report. Only the database's own failure
 * to open (`state` is that error) is limited: it is not about the message, and every message gets it.
 * Errors about a message (an invalid reading, a SQL mistake) are always reported.
 */
export function reportable(
  limiter: RepeatLimiter,
  state: { kind: string; error?: Error },
  err: Error,
): Error | null {
  if (state.kind !== 'error' || state.error?.message !== err.message) return err;
  const text = limiter.admit(err.message);
  if (text === null) return null;
  if (text === err.message) return err;
  return Object.assign(new Error(text), { code: (err as { code?: unknown }).code });
}

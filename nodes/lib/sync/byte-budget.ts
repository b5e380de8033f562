/**
 * `max_bytes_per_sec` for the backfill: a token bucket of one second's bytes. `delayFor(n)` takes
 * n bytes and says how long to wait before sending them; a batch larger than the bucket is let
 * through after its own share of time (the bucket goes below zero and refills), so the average holds.
 */
export class ByteBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly bytesPerSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = bytesPerSec;
    this.at = now();
  }

  delayFor(bytes: number): number {
    if (this.bytesPerSec <= 0) return 0;
    const t = this.now();
    this.tokens = Math.min(this.bytesPerSec, this.tokens + ((t - this.at) * this.bytesPerSec) / 1000);
    this.at = t;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.bytesPerSec);
  }
}

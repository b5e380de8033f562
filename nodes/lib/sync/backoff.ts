/**
 * Exponential backoff with full jitter (the AWS architecture blog's "full jitter": a random wait
 * between 0 and min(cap, base * 2^attempt)), so a fleet that lost its hub at the same moment does
 * not come back at the same moment. `random` is injectable for tests.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** failures in a row since the last success */
  get failures(): number {
    return this.attempt;
  }

  /** records a failure and returns how long to wait before the next try (ms) */
  fail(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(this.baseMs / 2, Math.floor(this.random() * ceiling));
  }

  succeed(): void {
    this.attempt = 0;
  }
}

/**
 * Exponential backoff with jitter: `firstMs`, doubling to `maxMs`, each delay moved by up to ±20%
 * so that many links that failed together (a switch reboot) do not retry in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt (ms), and one attempt more. */
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

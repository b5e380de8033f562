/** Rows and bytes acknowledged over the last `windowMs`, for the status line's rate and ETA. */
export class SendMeter {
  private readonly samples: { at: number; rows: number; bytes: number }[] = [];
  totalRows = 0;
  totalBytes = 0;
  batches = 0;

  constructor(
    private readonly windowMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(rows: number, bytes: number): void {
    this.samples.push({ at: this.now(), rows, bytes });
    this.totalRows += rows;
    this.totalBytes += bytes;
    this.batches++;
    this.trim();
  }

  /** acknowledged rows per second over the window (0 when nothing was) */
  rowsPerSec(): number {
    this.trim();
    const first = this.samples[0];
    if (!first) return 0;
    const span = Math.max(1000, this.now() - first.at);
    let rows = 0;
    for (const s of this.samples) rows += s.rows;
    return (rows * 1000) / span;
  }

  private trim(): void {
    const oldest = this.now() - this.windowMs;
    while (this.samples.length > 0 && this.samples[0]!.at < oldest) this.samples.shift();
  }
}

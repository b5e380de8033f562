import type { CronSchedule } from './cron';

/** setTimeout's longest delay; a cron slot further away is reached in steps */
const MAX_TIMER_MS = 2_147_000_000;

/**
 * When the edge sends by itself: every `intervalSecs`, and at each minute the cron schedule names.
 * Each tick calls `kick`, which sends what is waiting (if the conditions hold) until the backlog is
 * empty. msg.sync and a reconnect kick too, outside the scheduler.
 */
export class SendScheduler {
  private interval: NodeJS.Timeout | null = null;
  private cronTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalSecs: number,
    private readonly schedule: CronSchedule | null,
    private readonly kick: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.intervalSecs > 0) this.interval = setInterval(this.kick, this.intervalSecs * 1000);
    this.armCron();
  }

  /** the next cron slot (ms since the epoch), or null without a schedule */
  nextSlot(): number | null {
    return this.schedule ? this.schedule.next(this.now()) : null;
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    if (this.cronTimer) clearTimeout(this.cronTimer);
    this.interval = null;
    this.cronTimer = null;
  }

  private armCron(): void {
    const slot = this.nextSlot();
    if (slot === null) return;
    const wait = slot - this.now();
    this.cronTimer = setTimeout(
      () => {
        if (this.now() >= slot - 5) this.kick();
        this.armCron();
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
  }
}

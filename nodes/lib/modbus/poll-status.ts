import type { NodeStatus } from '../red';
import { brief, rate, status } from '../status';
import type { Bus } from './bus';
import type { LinkState } from './link';

/** The window the rate and the failures of the status line are counted over, ms. */
const WINDOW_MS = 10_000;

interface Sample {
  at: number;
  answers: number;
  failures: number;
}

/**
 * The status line of a helios-modbus node, worked out once a second over the last 10 s (so that a
 * group polled every 10 s does not blink between a rate and 0): the answer rate, units offline,
 * failed reads; yellow while connecting, red when reads were made and none was answered.
 */
export class PollStatus {
  private samples: Sample[] = [];
  private shown = '';
  /** the last read failure's message, for the red line */
  lastError: string | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly failures: () => number,
    private readonly show: (s: NodeStatus) => void,
  ) {
    this.sample(performance.now());
  }

  private sample(now: number): { seconds: number; answers: number; failed: number } {
    const current = { at: now, answers: this.bus.counters.answers, failures: this.failures() };
    this.samples.push(current);
    // Keep one sample at or before the window's start as the baseline.
    while (this.samples.length > 2 && this.samples[1]!.at <= now - WINDOW_MS) this.samples.shift();
    const base = this.samples[0]!;
    return {
      seconds: Math.max(0.001, (now - base.at) / 1000),
      answers: current.answers - base.answers,
      failed: current.failures - base.failures,
    };
  }

  /** Works out the line for now; sends it only when it changed. */
  refresh(link: LinkState): void {
    const line = this.line(link);
    const key = JSON.stringify(line);
    if (key !== this.shown) {
      this.shown = key;
      this.show(line);
    }
  }

  /** Shows `s` until the next refresh (a failed write), which then sends its line again. */
  flash(s: NodeStatus): void {
    this.show(s);
    this.shown = '';
  }

  private line(link: LinkState): NodeStatus {
    const { seconds, answers, failed } = this.sample(performance.now());
    if (link.kind === 'connecting') return status.busy('connecting');
    if (link.kind === 'disconnected')
      return status.busy(`connecting (retry in ${Math.ceil(link.retryInMs / 1000)} s)`);
    if (link.kind === 'closed') return status.idle('closed');
    const offline = [...this.bus.units()].filter(([, h]) => h === 'offline').map(([u]) => u);
    if (answers === 0 && failed > 0)
      return status.failed(brief(`no answers: ${this.lastError ?? 'read failed'}`));
    const parts = [`${rate(answers / seconds)} reads/s`];
    if (offline.length > 0) parts.push(`unit${offline.length > 1 ? 's' : ''} ${offline.join(', ')} offline`);
    if (failed > 0) parts.push(`${failed} failed`);
    return offline.length > 0 || failed > 0 ? status.busy(parts.join(' · ')) : status.ok(parts[0]!);
  }
}

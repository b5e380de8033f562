import type { NodeStatus } from '../red';
import { brief, rate, status } from '../status';
import type { Bus } from './bus';
import type { LinkState } from './link';

/**
 * The status line of a helios-modbus node, worked out once a second: the answer rate over the
 * last seconds, units offline, failed reads; yellow while connecting, red when nothing answers.
 */
export class PollStatus {
  private lastAt = performance.now();
  private lastAnswers = 0;
  private lastFailures = 0;
  private shown = '';
  /** the last read failure's message, for the red line */
  lastError: string | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly failures: () => number,
    private readonly show: (s: NodeStatus) => void,
  ) {}

  /** Works out the line for now; sends it only when it changed. */
  refresh(link: LinkState): void {
    const line = this.line(link);
    const key = JSON.stringify(line);
    if (key !== this.shown) {
      this.shown = key;
      this.show(line);
    }
  }

  private line(link: LinkState): NodeStatus {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    const answers = this.bus.counters.answers - this.lastAnswers;
    const failed = this.failures() - this.lastFailures;
    this.lastAt = now;
    this.lastAnswers = this.bus.counters.answers;
    this.lastFailures = this.failures();
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

/**
 * `sync_conditions`: names that must all hold for the edge to send. Flows set them with a message
 * whose topic is the name and whose payload is true or false (`"true"`, `"false"`, 1 and 0 too).
 * A condition no message has set yet does not hold: an edge told to send only while `parked` waits
 * until it hears that it is.
 */
export class SyncConditions {
  private readonly values = new Map<string, boolean>();

  constructor(readonly names: readonly string[]) {}

  /** is `topic` one of the conditions? */
  has(topic: unknown): topic is string {
    return typeof topic === 'string' && this.names.includes(topic);
  }

  /** sets condition `name` from a message payload; a payload that is not a truth value is an error */
  set(name: string, payload: unknown): void {
    this.values.set(name, truth(payload, name));
  }

  /** every condition holds (true when there are none) */
  hold(): boolean {
    return this.names.every((n) => this.values.get(n) === true);
  }

  /** the names that do not hold now, for the status line */
  waitingFor(): string[] {
    return this.names.filter((n) => this.values.get(n) !== true);
  }
}

function truth(payload: unknown, name: string): boolean {
  if (typeof payload === 'boolean') return payload;
  if (payload === 1 || payload === 'true' || payload === '1' || payload === 'on') return true;
  if (payload === 0 || payload === 'false' || payload === '0' || payload === 'off') return false;
  throw new Error(
    `The sync condition "${name}" needs a payload of true or false; got ${JSON.stringify(payload)}.`,
  );
}

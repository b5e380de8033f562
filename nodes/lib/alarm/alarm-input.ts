/**
 * What a message to helios-alarm asks for: readings to evaluate, an operator's action, or a new
 * rule set. Bad messages get a sentence saying what to send instead.
 */
import type { AlarmReading, AlarmTarget, ConditionKind, OperatorAction, Who } from '../../../engine/index';
import { parseDuration } from '../../../engine/index';
import type { NodeMessage } from '../red';

export type AlarmInput =
  | { readonly kind: 'readings'; readonly readings: AlarmReading[] }
  | {
      readonly kind: 'action';
      readonly target: AlarmTarget;
      readonly action: OperatorAction;
      readonly who: Who;
    }
  | { readonly kind: 'rules'; readonly mode: 'replace' | 'patch'; readonly rules: unknown }
  | { readonly kind: 'state' };

const ACTIONS: Readonly<Record<string, OperatorAction['action'] | 'shelve' | 'state'>> = {
  ack: 'ack',
  acknowledge: 'ack',
  shelve: 'shelve',
  unshelve: 'unshelve',
  suppress: 'suppress',
  unsuppress: 'unsuppress',
  out_of_service: 'out_of_service',
  disable: 'out_of_service',
  in_service: 'in_service',
  enable: 'in_service',
  state: 'state',
};
const KINDS: readonly ConditionKind[] = ['level', 'roc', 'deviation', 'stale', 'quality', 'discrete'];

/** An input error: the message's fault, said as a sentence. */
export class AlarmInputError extends Error {
  readonly code = 'HELIOS_BAD_ALARM_MESSAGE';
}

/** Reads `msg`: `table` is the node's default table for readings ('' none), `now` the clock. */
export function readAlarmInput(msg: NodeMessage, table: string, now: number): AlarmInput {
  if (msg.rules !== undefined) return { kind: 'rules', mode: 'replace', rules: msg.rules };
  if (msg.patch !== undefined) return { kind: 'rules', mode: 'patch', rules: msg.patch };
  if (msg.action !== undefined) return readAction(msg, now);
  return { kind: 'readings', readings: readReadings(msg, table, now) };
}

function readAction(msg: NodeMessage, now: number): AlarmInput {
  const name = typeof msg.action === 'string' ? ACTIONS[msg.action.toLowerCase()] : undefined;
  if (!name) {
    throw new AlarmInputError(
      `msg.action ${JSON.stringify(msg.action)} is not an alarm action; use ack, shelve, unshelve, suppress, ` +
        'unsuppress, out_of_service, in_service or state.',
    );
  }
  if (name === 'state') return { kind: 'state' };
  const rule = optionalText(msg.rule, 'msg.rule');
  const source = optionalText(msg.source, 'msg.source') ?? optionalText(msg.topic, 'msg.topic');
  if (rule === undefined && source === undefined) {
    throw new AlarmInputError(
      `Say which alarms to ${msg.action}: set msg.rule (a rule id) and/or msg.source (a source such as PT-101); ` +
        'globs work, "*" is every alarm.',
    );
  }
  const kind = msg.kind === undefined ? undefined : (msg.kind as ConditionKind);
  if (kind !== undefined && !KINDS.includes(kind)) {
    throw new AlarmInputError(
      `msg.kind ${JSON.stringify(msg.kind)} is not a condition kind; use ${KINDS.join(', ')}.`,
    );
  }
  const target: AlarmTarget = {
    ...(rule ? { rule } : {}),
    ...(source ? { source } : {}),
    ...(kind ? { kind } : {}),
  };
  const who: Who = {
    operator: optionalText(msg.operator, 'msg.operator') ?? null,
    comment: optionalText(msg.comment, 'msg.comment') ?? null,
  };
  return { kind: 'action', target, action: shelveOr(name, msg, now), who };
}

function shelveOr(name: OperatorAction['action'], msg: NodeMessage, now: number): OperatorAction {
  if (name !== 'shelve') return { action: name } as OperatorAction;
  if (msg.oneShot === true) return { action: 'shelve', untilMs: null, oneShot: true };
  const d = msg.duration;
  if (typeof d !== 'number' && typeof d !== 'string') {
    throw new AlarmInputError(
      'A shelve needs msg.duration (such as "30m"; shelving is always for a time) or msg.oneShot = true ' +
        '(until the alarm returns to normal).',
    );
  }
  try {
    return { action: 'shelve', untilMs: now + parseDuration(d, 'msg.duration'), oneShot: false };
  } catch (err) {
    throw new AlarmInputError((err as Error).message);
  }
}

/**
 * Readings: `msg.topic` names the source and `msg.payload` is its value (a number, true/false or
 * a text) or an object of fields; or `msg.payload` is a list of `{ source, value | fields, time }`.
 */
function readReadings(msg: NodeMessage, table: string, now: number): AlarmReading[] {
  const tableOf = typeof msg.table === 'string' ? msg.table : table || null;
  const p = msg.payload;
  if (Array.isArray(p)) return p.map((item, i) => listItem(item, i, tableOf, now));
  const source = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : null;
  if (!source) {
    throw new AlarmInputError(
      'A reading needs its source in msg.topic (such as "PT-101"), or send msg.payload as a list of ' +
        '{ source, value } objects. To act on an alarm, set msg.action.',
    );
  }
  return [{ table: tableOf, source, time: timeOf(msg.time, now), fields: fieldsOf(p, 'msg.payload') }];
}

function listItem(item: unknown, i: number, table: string | null, now: number): AlarmReading {
  if (item === null || typeof item !== 'object') {
    throw new AlarmInputError(
      `msg.payload[${i}] is not an object; send { source, value } or { source, fields }.`,
    );
  }
  const o = item as Record<string, unknown>;
  const source = o.source ?? o.topic;
  if (typeof source !== 'string' || source === '') {
    throw new AlarmInputError(`msg.payload[${i}] has no "source" (the tag or topic, such as "PT-101").`);
  }
  const fields = o.fields !== undefined ? fieldsOf(o.fields, `msg.payload[${i}].fields`) : { value: o.value };
  return { table: typeof o.table === 'string' ? o.table : table, source, time: timeOf(o.time, now), fields };
}

function fieldsOf(p: unknown, what: string): Record<string, unknown> {
  if (p !== null && typeof p === 'object' && !Array.isArray(p)) return p as Record<string, unknown>;
  if (typeof p === 'number' || typeof p === 'boolean' || typeof p === 'string') return { value: p };
  throw new AlarmInputError(`${what} must be a value (a number, true/false, a text) or an object of fields.`);
}

function timeOf(t: unknown, now: number): number {
  if (typeof t === 'number' && Number.isFinite(t)) return t;
  if (t instanceof Date && Number.isFinite(t.getTime())) return t.getTime();
  if (t === undefined || t === null) return now;
  // an ISO-8601 time with its zone, never a guess at a local time
  if (typeof t === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)$/.test(t)) return Date.parse(t);
  throw new AlarmInputError(
    `The time ${JSON.stringify(t)} is not one: send milliseconds since 1970, a Date or ISO-8601 with a zone ` +
      '("2026-01-05T10:00:00Z"), or no time (the time it arrives).',
  );
}

function optionalText(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new AlarmInputError(`${what} must be a text; got ${JSON.stringify(v)}.`);
}

import type { Reading } from '../../../engine/index';
import { bitAt, decodeRegisters, registerCount } from './codec';
import type { PlannedRead } from './planner';
import type { MapEntry, ModbusValue } from './types';

/**
 * A poll's replies to readings: one reading per unit and tag set, with a field per entry and a
 * quality field that says whether every value of it was read ('good') or why some were not.
 */

/** The value of each entry of `read` from its reply's data. */
export function decodeRead(
  read: PlannedRead,
  data: Uint16Array | Uint8Array,
): Array<[MapEntry, ModbusValue]> {
  return read.entries.map(({ entry, at }) => {
    if (data instanceof Uint8Array) return [entry, bitAt(data, at)];
    return [entry, decodeRegisters(data.subarray(at, at + registerCount(entry)), entry)];
  });
}

/** Why a read failed, as the quality field says it. */
export function qualityOf(err: Error): string {
  switch ((err as { code?: string }).code) {
    case 'MODBUS_TIMEOUT':
      return 'timeout';
    case 'MODBUS_UNIT_OFFLINE':
      return 'unit offline';
    case 'MODBUS_EXCEPTION':
      return `exception ${(err as { exception?: number }).exception}`;
    case 'MODBUS_BAD_REPLY':
      return 'bad reply';
    case 'MODBUS_NOT_CONNECTED':
    case 'MODBUS_CONNECTION_LOST':
      return 'disconnected';
    default:
      return 'error';
  }
}

export type ReadOutcome =
  | { read: PlannedRead; ok: true; data: Uint16Array | Uint8Array; time: number }
  | { read: PlannedRead; ok: false; error: Error; time: number };

export interface ReadingOptions {
  /** tags every reading gets (the device's), below the entries' own */
  tags: Readonly<Record<string, string>>;
  /** the quality field's name; '' for none */
  qualityField: string;
}

/** An entry's tags in its readings and the key of that tag set, worked out once per entry. */
interface Series {
  key: string;
  tags: Record<string, string>;
}

/**
 * A function from a poll's outcomes to its readings: a reading per unit and tag set, stamped with
 * its first reply's time. The tags of each entry and their key are worked out on first use and kept
 * (a poll of 1,000 registers would otherwise sort and stringify 500 tag sets every time).
 */
export function readingBuilder(options: ReadingOptions): (outcomes: readonly ReadOutcome[]) => Reading[] {
  const series = new WeakMap<MapEntry, Series>();
  const seriesOf = (entry: MapEntry): Series => {
    let s = series.get(entry);
    if (!s) {
      const tags = { ...options.tags, unit: String(entry.unitId), ...entry.tags };
      s = { key: JSON.stringify(Object.entries(tags).sort()), tags };
      series.set(entry, s);
    }
    return s;
  };
  return (outcomes) => {
    const byKey = new Map<
      string,
      { time: number; tags: Record<string, string>; fields: Record<string, unknown> }
    >();
    const quality = new Map<string, string>();
    for (const outcome of outcomes) {
      const values: Array<[MapEntry, ModbusValue | null]> = outcome.ok
        ? decodeRead(outcome.read, outcome.data)
        : outcome.read.entries.map(({ entry }) => [entry, null]);
      for (const [entry, value] of values) {
        const { key, tags } = seriesOf(entry);
        let reading = byKey.get(key);
        if (!reading) byKey.set(key, (reading = { time: outcome.time, tags, fields: {} }));
        if (value !== null) reading.fields[entry.name] = value;
        if (!outcome.ok && !quality.has(key)) quality.set(key, qualityOf(outcome.error));
      }
    }
    const out: Reading[] = [];
    for (const [key, reading] of byKey) {
      if (options.qualityField) reading.fields[options.qualityField] = quality.get(key) ?? 'good';
      if (Object.keys(reading.fields).length > 0) out.push(reading);
    }
    return out;
  };
}

/** The readings of one poll (readingBuilder, without keeping anything between polls). */
export function pollReadings(outcomes: readonly ReadOutcome[], options: ReadingOptions): Reading[] {
  return readingBuilder(options)(outcomes);
}

import { isPlainObject } from '../plain-object';
import type { DeviceSettings } from './device';
import { oversized, type PollGroup, planReads } from './planner';
import { type MapRow, parseCsv, RegisterMapError, readRegisterMap } from './register-map';
import type { MapEntry } from './types';

/** The helios-modbus node's saved configuration. */
export interface ModbusPollConfig {
  id: string;
  name?: string;
  device?: string;
  /** the register map: rows as the editor's table saves them, or JSON or CSV text */
  map?: unknown;
  /** 'message': readings out in the shape helios-store takes; 'db': written into a helios-db */
  output?: 'message' | 'db';
  db?: string;
  /** the table readings go to (the `measurement` of each, or the table written) */
  table?: string;
  /** the field that says whether a reading's values were read; '' for none */
  qualityField?: string;
  /** the tag that names the device in every reading; '' for none */
  deviceTag?: string;
  version?: number;
}

export interface PollPlan {
  entries: MapEntry[];
  groups: PollGroup[];
  table: string;
  output: 'message' | 'db';
  qualityField: string;
  /** tags every reading gets */
  tags: Record<string, string>;
}

/** The map as rows: an array (the editor's table), or JSON or CSV text (flows written by hand). */
export function mapRows(map: unknown): MapRow[] {
  if (Array.isArray(map)) return map as MapRow[];
  if (typeof map !== 'string' || map.trim() === '') {
    throw new RegisterMapError(['it has no rows: add the registers to poll.']);
  }
  const text = map.trim();
  if (text.startsWith('[')) {
    try {
      const rows = JSON.parse(text) as unknown;
      if (Array.isArray(rows) && rows.every(isPlainObject)) return rows as MapRow[];
    } catch (err) {
      throw new RegisterMapError([`its JSON does not parse (${(err as Error).message}).`]);
    }
    throw new RegisterMapError(['its JSON must be a list of objects, one per register.']);
  }
  return parseCsv(text);
}

/** The node's configuration checked and planned against its device's limits; throws a sentence. */
export function pollPlan(config: ModbusPollConfig, device: DeviceSettings): PollPlan {
  const entries = readRegisterMap(mapRows(config.map));
  const tooLong = oversized(entries, device.limits);
  if (tooLong.length > 0) throw new RegisterMapError(tooLong);
  const deviceTag = config.deviceTag === undefined ? 'device' : config.deviceTag.trim();
  return {
    entries,
    groups: planReads(entries, device.limits),
    table: (config.table ?? '').trim() || 'modbus',
    output: config.output === 'db' ? 'db' : 'message',
    qualityField: config.qualityField === undefined ? 'quality' : config.qualityField.trim(),
    tags: deviceTag ? { [deviceTag]: device.label } : {},
  };
}

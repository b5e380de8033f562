import { isPlainObject } from '../plain-object';
import { encodeRegisters } from './codec';
import { type Request, writeCoilsRequest, writeRegistersRequest } from './pdu';
import type { MapEntry } from './types';

/**
 * Writes from a message: `msg.payload` an object of map names and values (set-points), each
 * encoded with its entry's type, byte order, scale and offset. Only coils and holding registers
 * can be written; the checks run before anything is sent, so a message is written whole or not at all.
 */

export interface WriteJob {
  unitId: number;
  request: Request;
}

const shown = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));

export class WriteError extends Error {
  readonly code = 'MODBUS_BAD_WRITE';
  constructor(message: string) {
    super(message);
    this.name = 'WriteError';
  }
}

/** The entry `name` refers to (for `unitId`, when the map has the name for several units). */
function entryFor(entries: readonly MapEntry[], name: string, unitId: number | undefined): MapEntry {
  const found = entries.filter((e) => e.name === name && (unitId === undefined || e.unitId === unitId));
  if (found.length === 0) {
    throw new WriteError(
      `"${name}" is not in the register map${unitId === undefined ? '' : ` for unit ${unitId}`}: write only names of the map.`,
    );
  }
  const units = new Set(found.map((e) => e.unitId));
  if (found.length > 1) {
    throw new WriteError(
      units.size > 1
        ? `"${name}" is in the map for units ${[...units].join(', ')}: say which one in msg.unit.`
        : `"${name}" is in the map more than once (with other tags): give the rows different names to write them.`,
    );
  }
  const entry = found[0]!;
  if (entry.table !== 'coil' && entry.table !== 'holding') {
    throw new WriteError(
      `"${name}" is ${entry.table === 'input' ? 'an input register' : 'a discrete input'}: only coils and holding registers can be written.`,
    );
  }
  return entry;
}

/** The requests that write `payload`; throws WriteError naming the first value that cannot be written. */
export function writeJobs(entries: readonly MapEntry[], payload: unknown, unit: unknown): WriteJob[] {
  if (!isPlainObject(payload) || Object.keys(payload).length === 0) {
    throw new WriteError(
      'To write, send msg.payload as an object of names from the register map and their values.',
    );
  }
  const unitId = unit === undefined || unit === null ? undefined : Number(unit);
  if (unitId !== undefined && !(Number.isInteger(unitId) && unitId >= 0 && unitId <= 255)) {
    throw new WriteError(`msg.unit must be a unit id from 0 to 255, not "${String(unit)}".`);
  }
  return Object.entries(payload).map(([name, value]) => {
    const entry = entryFor(entries, name, unitId);
    if (entry.table === 'coil') {
      if (typeof value !== 'boolean' && value !== 0 && value !== 1) {
        throw new WriteError(`"${name}" is a coil: write true or false, not ${shown(value)}.`);
      }
      return {
        unitId: entry.unitId,
        request: writeCoilsRequest(entry.address, [Boolean(value)], entry.unitId),
      };
    }
    try {
      const words = encodeRegisters(value, entry);
      return { unitId: entry.unitId, request: writeRegistersRequest(entry.address, words, entry.unitId) };
    } catch (err) {
      throw new WriteError(
        `"${name}" (${entry.type}) cannot be written: ${shown(value)} ${(err as Error).message}.`,
      );
    }
  });
}

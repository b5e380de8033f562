import type { ModbusTable } from './types';
import { READ_FUNCTION } from './types';

/**
 * Protocol data units: the function code and its data, the part TCP and RTU share. Replies are
 * checked against the request they answer (function, byte count, length), so a reply that does
 * not fit is an error with a sentence, never registers taken from the wrong place.
 */

/** The protocol's own limits per request (Modbus Application Protocol v1.1b3, 6.1-6.4). */
export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;
export const MAX_WRITE_REGISTERS = 123;
export const MAX_WRITE_BITS = 1968;

const EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** The device answered with a Modbus exception: it is alive, the request was refused. */
export class ModbusExceptionError extends Error {
  readonly code = 'MODBUS_EXCEPTION';
  constructor(
    readonly exception: number,
    request: string,
  ) {
    super(`The device refused ${request}: exception ${exception} (${EXCEPTIONS[exception] ?? 'unknown'}).`);
    this.name = 'ModbusExceptionError';
  }
}

/** A reply that does not answer the request (wrong function, wrong byte count, wrong length). */
export class ModbusReplyError extends Error {
  readonly code = 'MODBUS_BAD_REPLY';
  constructor(message: string) {
    super(message);
    this.name = 'ModbusReplyError';
  }
}

/** A request: its PDU, and how to check and unpack the reply. */
export interface Request {
  readonly pdu: Buffer;
  /** for messages: "holding registers 100-109 of unit 3" */
  readonly label: string;
  /** the reply's data (registers as words, bits as packed bytes) or a thrown error */
  parse(reply: Buffer): Uint16Array | Uint8Array | null;
}

function checkFunction(reply: Buffer, fc: number, label: string): void {
  if (reply.length >= 2 && reply[0] === (fc | 0x80)) throw new ModbusExceptionError(reply[1]!, label);
  if (reply[0] !== fc) {
    throw new ModbusReplyError(`The reply to ${label} has function ${reply[0]}, not ${fc}: dropped.`);
  }
}

export function rangeLabel(table: ModbusTable, address: number, count: number, unitId: number): string {
  const what = {
    coil: 'coils',
    discrete: 'discrete inputs',
    holding: 'holding registers',
    input: 'input registers',
  };
  return `${what[table]} ${address}-${address + count - 1} of unit ${unitId}`;
}

/** A read of `count` registers or bits of `table` from `address`. */
export function readRequest(table: ModbusTable, address: number, count: number, unitId: number): Request {
  const fc = READ_FUNCTION[table];
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(count, 3);
  const bits = table === 'coil' || table === 'discrete';
  const bytes = bits ? Math.ceil(count / 8) : count * 2;
  const label = rangeLabel(table, address, count, unitId);
  return {
    pdu,
    label,
    parse(reply) {
      checkFunction(reply, fc, label);
      if (reply[1] !== bytes || reply.length !== bytes + 2) {
        throw new ModbusReplyError(
          `The reply to ${label} holds ${Math.max(0, reply.length - 2)} data bytes (byte count ${reply[1]}), ` +
            `not ${bytes}: dropped.`,
        );
      }
      if (bits) return new Uint8Array(reply.subarray(2));
      const words = new Uint16Array(count);
      for (let i = 0; i < count; i++) words[i] = reply.readUInt16BE(2 + i * 2);
      return words;
    },
  };
}

/** The echo a write function answers with: function, address and (value or quantity). */
function echoed(fc: number, pdu: Buffer, label: string): Request {
  return {
    pdu,
    label,
    parse(reply) {
      checkFunction(reply, fc, label);
      if (reply.length !== 5 || !reply.subarray(1, 5).equals(pdu.subarray(1, 5))) {
        throw new ModbusReplyError(`The reply to ${label} does not echo the request: dropped.`);
      }
      return null;
    },
  };
}

/** A write of registers (function 6 for one, 16 for several). */
export function writeRegistersRequest(address: number, words: readonly number[], unitId: number): Request {
  const label = `a write of ${rangeLabel('holding', address, words.length, unitId)}`;
  if (words.length === 1) {
    const pdu = Buffer.alloc(5);
    pdu[0] = 6;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(words[0]!, 3);
    return echoed(6, pdu, label);
  }
  const pdu = Buffer.alloc(6 + words.length * 2);
  pdu[0] = 16;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(words.length, 3);
  pdu[5] = words.length * 2;
  words.forEach((w, i) => {
    pdu.writeUInt16BE(w, 6 + i * 2);
  });
  return echoed(16, pdu, label);
}

/** A write of coils (function 5 for one, 15 for several). */
export function writeCoilsRequest(address: number, values: readonly boolean[], unitId: number): Request {
  const label = `a write of ${rangeLabel('coil', address, values.length, unitId)}`;
  if (values.length === 1) {
    const pdu = Buffer.alloc(5);
    pdu[0] = 5;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(values[0] ? 0xff00 : 0x0000, 3);
    return echoed(5, pdu, label);
  }
  const bytes = Math.ceil(values.length / 8);
  const pdu = Buffer.alloc(6 + bytes);
  pdu[0] = 15;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = bytes;
  values.forEach((v, i) => {
    if (v) pdu[6 + (i >> 3)]! |= 1 << (i & 7);
  });
  return echoed(15, pdu, label);
}

/**
 * The vocabulary of the Modbus nodes: the four tables of a device, the value types a register map
 * offers (Telegraf's `inputs.modbus` is the model) and the byte orders of multi-register values.
 */

/** The four data tables of a Modbus device, by the function that reads them (1, 2, 3, 4). */
export type ModbusTable = 'coil' | 'discrete' | 'holding' | 'input';

export const MODBUS_TABLES: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

/** Read function codes by table. */
export const READ_FUNCTION: Readonly<Record<ModbusTable, number>> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};

export type ValueType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string';

export const VALUE_TYPES: readonly ValueType[] = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
];

/**
 * Byte order of a value over its registers, with A the most significant byte. ABCD: big-endian, the
 * Modbus default; CDAB: words swapped (most PLCs that send the low word first); BADC: bytes swapped
 * inside each word; DCBA: little-endian. For 64-bit values the same two swaps apply to four words
 * (CDAB reads as GHEFCDAB), for 16-bit ones only the byte swap.
 */
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/** A decoded value: a number (64-bit integers past 2^53 rounded), a boolean or text. */
export type ModbusValue = number | boolean | string;

/** How a value is laid out in registers and turned into a number. */
export interface ValueLayout {
  type: ValueType;
  order: ByteOrder;
  /** registers of a string (2 characters each); ignored for other types */
  length: number;
  /** for `bool` from a register: the bit (0 = least significant); null: the whole register != 0 */
  bit: number | null;
  /** value = raw * scale + offset (numbers only) */
  scale: number;
  offset: number;
}

/** One row of a register map. */
export interface MapEntry extends ValueLayout {
  /** the field name of the value in the readings */
  name: string;
  unitId: number;
  table: ModbusTable;
  /** 0-based protocol address */
  address: number;
  tags: Readonly<Record<string, string>>;
  /** poll interval, ms */
  intervalMs: number;
}

/**
 * Codec ids: the first byte of every encoded column block (FORMAT.md, "Codec ids"). The id space is
 * shared by all column types so that `codecName` can name any block without knowing its type.
 * Ids are part of format version 1: never renumber one, only add.
 */

export const CodecId = {
  EMPTY: 0x00,
  TS_RAW: 0x01,
  TS_REGULAR: 0x02,
  TS_FOR: 0x03,
  TS_DELTA: 0x04,
  TS_DOD: 0x05,
  TS_GRID: 0x06,
  TS_GRID_GAPS: 0x07,
  FLOAT_RAW: 0x10,
  FLOAT_CONST: 0x11,
  FLOAT_RLE: 0x12,
  FLOAT_DECIMAL: 0x13,
  FLOAT_XOR: 0x14,
  INT_RAW: 0x20,
  INT_FOR: 0x21,
  INT_DELTA: 0x22,
  INT_DOD: 0x23,
  BOOL_CONST: 0x30,
  BOOL_BITMAP: 0x31,
  STRING_RLE: 0x40,
  STRING_DICT: 0x41,
} as const;

export type CodecIdValue = (typeof CodecId)[keyof typeof CodecId];

const NAMES: ReadonlyMap<number, string> = new Map([
  [CodecId.EMPTY, 'empty'],
  [CodecId.TS_RAW, 'ts-raw'],
  [CodecId.TS_REGULAR, 'ts-regular'],
  [CodecId.TS_FOR, 'ts-for'],
  [CodecId.TS_DELTA, 'ts-delta'],
  [CodecId.TS_DOD, 'ts-dod'],
  [CodecId.TS_GRID, 'ts-grid'],
  [CodecId.TS_GRID_GAPS, 'ts-grid-gaps'],
  [CodecId.FLOAT_RAW, 'float-raw'],
  [CodecId.FLOAT_CONST, 'float-const'],
  [CodecId.FLOAT_RLE, 'float-rle'],
  [CodecId.FLOAT_DECIMAL, 'float-decimal'],
  [CodecId.FLOAT_XOR, 'float-xor'],
  [CodecId.INT_RAW, 'int-raw'],
  [CodecId.INT_FOR, 'int-for'],
  [CodecId.INT_DELTA, 'int-delta'],
  [CodecId.INT_DOD, 'int-dod'],
  [CodecId.BOOL_CONST, 'bool-const'],
  [CodecId.BOOL_BITMAP, 'bool-bitmap'],
  [CodecId.STRING_RLE, 'string-rle'],
  [CodecId.STRING_DICT, 'string-dict'],
]);

/** The name of codec `id`, or `unknown-0xNN` for an id this version does not know. */
export function nameOfCodec(id: number): string {
  return NAMES.get(id) ?? `unknown-0x${id.toString(16).padStart(2, '0')}`;
}

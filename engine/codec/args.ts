/**
 * Argument checks and error builders shared by the codec entry points. Bad arguments are the
 * caller's bug (InvalidInputError); bad bytes are corruption (CorruptionError).
 */
import { InvalidInputError } from '../errors';
import { corrupt } from './block-io';
import { CodecId, nameOfCodec } from './ids';

/** count must be a whole number within the input array. */
export function checkEncodeArgs(length: number, count: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > length) {
    throw new InvalidInputError(`Cannot encode ${count} values from an array of ${length}.`);
  }
}

/** count must fit the output array, and a block has at least its codec id. */
export function checkDecodeArgs(bytes: Uint8Array, count: number, outLength: number): void {
  if (!Number.isSafeInteger(count) || count < 0 || count > outLength) {
    throw new InvalidInputError(`Cannot decode ${count} values into an array of ${outLength}.`);
  }
  if (bytes.length === 0) throw corrupt(0, 'Empty column block (no codec id)');
}

/** The block for count 0, the same for every column type. */
export function emptyBlock(): Uint8Array {
  return Uint8Array.of(CodecId.EMPTY);
}

/** An `empty` block is one byte and only ever stands for zero values. */
export function checkEmpty(bytes: Uint8Array, count: number): void {
  if (count !== 0) throw corrupt(0, `Empty block where ${count} values were expected`);
  if (bytes.length !== 1) throw corrupt(1, `${bytes.length - 1} unexpected trailing bytes`);
}

/** A known or unknown codec id that is not one of the decoding type's codecs. */
export function wrongCodec(id: number, family: string): Error {
  return corrupt(0, `Codec ${nameOfCodec(id)} (0x${id.toString(16)}) cannot hold ${family} values`);
}

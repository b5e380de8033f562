/**
 * The WAL's on-disk layout, version 1 (see FORMAT.md beside this file): file names, the file header
 * and the record frame. Pure functions over bytes; no I/O here.
 */
import { crc32c } from '../util/crc32c';

/** "HWAL" read as a little-endian u32: the bytes 48 57 41 4C open every WAL file. */
export const WAL_MAGIC = 0x4c415748;
export const WAL_VERSION = 1;
/** magic u32, version u8, 3 reserved bytes, first LSN u64, CRC-32C u32 of the 16 bytes before it. */
export const FILE_HEADER_BYTES = 20;
/** payload length u32, CRC-32C u32, LSN u64; the payload follows. */
export const RECORD_HEADER_BYTES = 16;
/** The largest payload a record may carry; a longer length field can only be corruption. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
/** LSNs are stored as u64 but kept below 2^53 so they stay exact JavaScript numbers. */
export const MAX_LSN = Number.MAX_SAFE_INTEGER;

const TWO_POW_32 = 0x1_0000_0000;
const NAME_DIGITS = 20;
const FILE_SUFFIX = '.wal';
const FILE_NAME_PATTERN = /^(\d{20})\.wal$/;

/** The name of the file whose first record has `firstLsn`, zero-padded so names sort by LSN. */
export function walFileName(firstLsn: number): string {
  return String(firstLsn).padStart(NAME_DIGITS, '0') + FILE_SUFFIX;
}

/** The first LSN a WAL file name stands for, or undefined when the name is not a WAL file's. */
export function parseWalFileName(name: string): number | undefined {
  const match = FILE_NAME_PATTERN.exec(name);
  if (!match) return undefined;
  const lsn = Number(match[1]);
  return Number.isSafeInteger(lsn) && lsn >= 1 ? lsn : undefined;
}

export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

/** A u64 as a number; values past 2^53 come back inexact, and callers reject them as out of range. */
export function readU64(buf: Uint8Array, at: number): number {
  return readU32(buf, at) + readU32(buf, at + 4) * TWO_POW_32;
}

/** Writes a safe non-negative integer as a little-endian u64. */
export function writeU64(buf: Uint8Array, at: number, v: number): void {
  writeU32(buf, at, v >>> 0);
  writeU32(buf, at + 4, Math.floor(v / TWO_POW_32));
}

export function encodeFileHeader(firstLsn: number): Uint8Array {
  const header = new Uint8Array(FILE_HEADER_BYTES);
  writeU32(header, 0, WAL_MAGIC);
  header[4] = WAL_VERSION;
  writeU64(header, 8, firstLsn);
  writeU32(header, 16, crc32c(header, 0, 16));
  return header;
}

export type FileHeaderCheck =
  | { readonly ok: true; readonly firstLsn: number }
  | { readonly ok: false; readonly reason: string; readonly unsupportedVersion?: number };

/**
 * Checks a file header. A bad CRC or magic means a torn or foreign header (recovery removes the
 * file); a good header of another version is reported separately, since it is not damage but a file
 * this code must not touch.
 */
export function decodeFileHeader(header: Uint8Array): FileHeaderCheck {
  if (header.length < FILE_HEADER_BYTES) return { ok: false, reason: 'file header is torn' };
  if (crc32c(header, 0, 16) !== readU32(header, 16)) {
    return { ok: false, reason: 'file header checksum mismatch' };
  }
  if (readU32(header, 0) !== WAL_MAGIC) return { ok: false, reason: 'not a WAL file (bad magic)' };
  const version = header[4]!;
  if (version !== WAL_VERSION) {
    return { ok: false, reason: `unsupported WAL format version ${version}`, unsupportedVersion: version };
  }
  if (header[5] !== 0 || header[6] !== 0 || header[7] !== 0) {
    return { ok: false, reason: 'reserved header bytes are not zero' };
  }
  const firstLsn = readU64(header, 8);
  if (firstLsn < 1 || firstLsn > MAX_LSN)
    return { ok: false, reason: `first LSN ${firstLsn} is out of range` };
  return { ok: true, firstLsn };
}

/**
 * The record CRC: CRC-32C over every byte of the frame except the CRC field itself (length, LSN,
 * payload), so a damaged length is caught as surely as a damaged payload.
 */
export function recordCrc(frame: Uint8Array, at: number, payloadLength: number): number {
  const lengthCrc = crc32c(frame, at, at + 4);
  return crc32c(frame, at + 8, at + RECORD_HEADER_BYTES + payloadLength, lengthCrc);
}

/** Frames `payload` as record `lsn` into `out` at 0; returns the frame length. `out` must be big enough. */
export function encodeRecord(out: Uint8Array, lsn: number, payload: Uint8Array): number {
  const length = payload.length;
  writeU32(out, 0, length);
  writeU64(out, 8, lsn);
  out.set(payload, RECORD_HEADER_BYTES);
  writeU32(out, 4, recordCrc(out, 0, length));
  return RECORD_HEADER_BYTES + length;
}

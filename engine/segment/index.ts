/**
 * Immutable columnar segment files: `writeSegment` makes one, `SegmentReader` reads it.
 * The byte layout is specified in FORMAT.md.
 */

export type { SegmentFieldDef, SegmentMeta } from './format';
export type { ChunkMeta, DecodedChunk, SegmentReaderMeta, SeriesEntry } from './reader';
export { SegmentReader } from './reader';
export type { SegmentSummary } from './writer';
export { DEFAULT_CHUNK_ROWS, writeSegment } from './writer';

/**
 * Parsed series entries kept by number; a series entry (tags, chunk index, statistics) is about
 * 1-2 KB of objects, so a database keeps a bounded number of them, least recently used out.
 */
export interface EntryCache<T> {
  get(key: number): T | undefined;
  set(key: number, value: T): void;
}

/** Series entries a database keeps parsed: a dashboard's few hundred series over a few segments. */
const DEFAULT_ENTRIES = 4096;

export class CountedCache<T> implements EntryCache<T> {
  private readonly map = new Map<number, T>();
  constructor(private readonly max: number) {}

  get(key: number): T | undefined {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: number, value: T): void {
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * Recently read chunk bytes, kept in memory up to a byte budget (least recently used goes first).
 * Dashboards ask the same questions every few seconds; with the chunks they need in memory, a
 * query costs the decoding only, not a file read per chunk. The bytes are the compressed chunk as
 * stored (its CRC already checked), so a few MB hold a great many readings.
 */
export class ChunkCache {
  private readonly chunks = new Map<string, Uint8Array>();
  private bytes = 0;
  /** Parsed footer entries of the database's segments, a bounded number (see SegmentReader). */
  readonly entries: EntryCache<object>;

  /** @param maxBytes the budget; 0 keeps nothing */
  constructor(
    readonly maxBytes: number,
    maxEntries = DEFAULT_ENTRIES,
  ) {
    this.entries = new CountedCache(maxEntries);
  }

  get(key: string): Uint8Array | undefined {
    const hit = this.chunks.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.chunks.delete(key);
      this.chunks.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes) return;
    const old = this.chunks.get(key);
    if (old) this.bytes -= old.length;
    this.chunks.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.chunks) {
      if (this.bytes <= this.maxBytes) break;
      this.chunks.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}

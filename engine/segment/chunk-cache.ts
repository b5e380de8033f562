/**
 * Recently read chunk bytes, kept in memory up to a byte budget (least recently used goes first).
 * Dashboards ask the same questions every few seconds; with the chunks they need in memory, a
 * query costs the decoding only, not a file read per chunk. The bytes are the compressed chunk as
 * stored (its CRC already checked), so a few MB hold a great many readings.
 */
export class ChunkCache {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  /** @param maxBytes the budget; 0 keeps nothing */
  constructor(readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.bytes -= old.length;
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): number {
    return this.bytes;
  }
}

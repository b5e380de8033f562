/**
 * Where a head keeps its numbers: fixed regions of 64 rows carved from slabs (big typed arrays),
 * and the slabs of flushed heads kept for the next head. Growing a series by regions copies
 * nothing and leaves no garbage, and reusing the slabs means ingest does not allocate a head's
 * worth of arrays per flush, which V8 would free only at its next full collection (typed arrays
 * live outside its heap, and it lets tens of MB of them pile up before it collects).
 */

/** Rows per region: what a series grows by while no reader has asked for its rows. */
export const REGION_ROWS = 64;
/** Rows per slab (128 regions): 64 KiB for float64 columns, 8 KiB for byte columns. */
const SLAB_ROWS = 8192;
const SLAB_SHIFT = Math.log2(SLAB_ROWS);

export const SLAB_MASK = SLAB_ROWS - 1;

export type SlabKind = 'f64' | 'u8';
export type Slab = Float64Array | Uint8Array;

const ELEMENT_BYTES: Readonly<Record<SlabKind, number>> = { f64: 8, u8: 1 };

export function elementBytes(kind: SlabKind): number {
  return ELEMENT_BYTES[kind];
}

/** A new zeroed array of `kind`. */
export function newArray(kind: SlabKind, length: number): Slab {
  return kind === 'f64' ? new Float64Array(length) : new Uint8Array(length);
}

/**
 * The slabs of retired heads, shared by the heads of one database. Holds at most as many slabs
 * of each kind as the last retired head used, so it follows the workload and pins no more than
 * one head's worth.
 */
export class SlabPool {
  private readonly free: Record<SlabKind, Slab[]> = { f64: [], u8: [] };
  /** slabs handed out again rather than allocated, for tests and stats */
  reused = 0;

  /** A zeroed slab: a region never shows an earlier head's rows. */
  take(kind: SlabKind): Slab {
    const slab = this.free[kind].pop();
    if (!slab) return newArray(kind, SLAB_ROWS);
    slab.fill(0);
    this.reused++;
    return slab;
  }

  /** Takes a retired head's slabs; the oldest beyond that head's count are let go. */
  giveBack(kind: SlabKind, slabs: readonly Slab[]): void {
    const list = this.free[kind];
    for (const slab of slabs) list.push(slab);
    if (list.length > slabs.length) list.splice(0, list.length - slabs.length);
  }
}

/**
 * One head's memory: the regions it hands its series, the bytes its series hold (for the flush
 * threshold), and, once the head is flushed and no reader holds it, its slabs back to the pool.
 * A region is named by where it starts among the head's rows of its kind: slab, then row in it.
 */
export class HeadSpace {
  /** bytes held by the head's series: regions, arrays of their own, and a fixed cost per series */
  bytes = 0;
  private slabs: Record<SlabKind, Slab[]> = { f64: [], u8: [] };
  /** where the next region of each kind starts */
  private readonly next: Record<SlabKind, number> = { f64: 0, u8: 0 };
  private recycled = false;

  constructor(private readonly pool: SlabPool) {}

  /** A zeroed region of `kind`, counted in `bytes`: where it starts. */
  region(kind: SlabKind): number {
    if (this.recycled) throw new Error('Internal error: a recycled head was given new rows.');
    const start = this.next[kind];
    if (start >>> SLAB_SHIFT === this.slabs[kind].length) this.slabs[kind].push(this.pool.take(kind));
    this.next[kind] = start + REGION_ROWS;
    this.bytes += REGION_ROWS * ELEMENT_BYTES[kind];
    return start;
  }

  /** The slab holding row `at` of `kind`; its index there is `at & SLAB_MASK`. */
  slab(kind: SlabKind, at: number): Slab {
    return this.slabs[kind][at >>> SLAB_SHIFT]!;
  }

  /** Fails loudly rather than let a reader see rows of a later head. */
  checkReadable(): void {
    if (this.recycled) throw new Error('Internal error: a head was read after its memory was reused.');
  }

  /** Gives the slabs to the pool. The head must never be read or written again. */
  recycle(): void {
    if (this.recycled) return;
    this.recycled = true;
    this.pool.giveBack('f64', this.slabs.f64);
    this.pool.giveBack('u8', this.slabs.u8);
    this.slabs = { f64: [], u8: [] };
  }
}

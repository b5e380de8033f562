/**
 * A binary heap with the worst item at its root, as a top-N keeps it: the root is the item the
 * next better one replaces. `worse(a, b)` is true when a goes after b in the output.
 */
export class WorstFirstHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly worse: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The worst item; only when size > 0. */
  get root(): T {
    return this.items[0]!;
  }

  push(item: T): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(h[i]!, h[p]!)) return;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Puts `item` in the place of the worst one. */
  replaceRoot(item: T): void {
    const h = this.items;
    h[0] = item;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.worse(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.worse(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  /** The items in no particular order. */
  toArray(): T[] {
    return [...this.items];
  }
}

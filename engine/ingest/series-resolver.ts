/**
 * Which series a reading belongs to, found from its tags object: tags are validated and keyed
 * once per series and remembered across batches, so a write does not build a key per reading.
 */

/** One series' readings within one batch, gathered as the batch is built. */
export interface SeriesGroup {
  key: string;
  tags: Readonly<Record<string, string>>;
  /** the batch indexes of this series' readings, and their times */
  rows: number[];
  times: number[];
}

/** A series as the resolver knows it: tags validated once, canonical key computed once. */
export interface KnownSeries {
  readonly key: string;
  readonly tags: Readonly<Record<string, string>>;
  /** the batch that last used this series, and its group there */
  batch: number;
  group: SeriesGroup | null;
}

/** A step of the resolver's trie: the series its path of (key, value) steps names, once resolved. */
export interface TrieNode {
  /** made when a path first goes past this node: most nodes are a series' last step and have none */
  next: Map<string, Map<unknown, TrieNode>> | null;
  series: KnownSeries | null;
  /** the tags object that walked here last: the same one again is a caller reusing its objects */
  lastTags?: object;
  /** this node's (key, value) steps, flattened, once an object is remembered by identity here */
  steps?: unknown[];
}

/** Most distinct (series, property order) paths one table's resolver remembers before starting over. */
const RESOLVER_CAPACITY = 100_000;

/** Tags objects made by `shareTags`: frozen copies, so the same object always names the same series. */
const sharedTags = new WeakSet<object>();

/**
 * A frozen copy of `tags` for a caller that passes one object per series again and again
 * (helios-store keeps one per topic): the engine then knows its series by identity instead of
 * walking its properties for every reading.
 */
export function shareTags<T extends Readonly<Record<string, string | number | boolean>>>(
  tags: T,
): Readonly<T> {
  const copy = Object.freeze({ ...tags });
  sharedTags.add(copy);
  return copy;
}

/**
 * Finds a reading's series from its tags object through a trie of (key, value) steps in the
 * object's own property order: a few Map lookups and no string building per reading. Kept across
 * batches (one per table), so tags are validated and keyed once per series, not once per write.
 * Tags objects from `shareTags` are also remembered by identity.
 */
export class SeriesResolver {
  private root: TrieNode = { next: new Map(), series: null };
  private byObject = new WeakMap<object, TrieNode>();
  /** tags objects passed again and again (not frozen): their node, checked against its steps */
  private reused = new WeakMap<object, TrieNode>();
  private size = 0;

  /** The trie node of `tags`; its series is null when this path was never resolved. */
  find(tags: Readonly<Record<string, unknown>>): TrieNode {
    // A miss is cheap: an object never used as a key has no identity hash to look up.
    let node = this.byObject.get(tags);
    if (node) return node;
    // an object seen before is checked against its node's steps (it may have been changed since):
    // a few comparisons instead of two Map lookups a property
    node = this.reused.get(tags);
    if (node && sameSteps(tags, node.steps!)) return node;
    node = this.walk(tags);
    if (sharedTags.has(tags)) this.byObject.set(tags, node);
    else if (node.lastTags === tags) {
      node.steps ??= stepsOf(tags);
      this.reused.set(tags, node);
    }
    node.lastTags = tags;
    return node;
  }

  private walk(tags: Readonly<Record<string, unknown>>): TrieNode {
    let node = this.root;
    for (const k in tags) {
      node.next ??= new Map();
      let byValue = node.next.get(k);
      if (!byValue) {
        byValue = new Map();
        node.next.set(k, byValue);
      }
      const v = tags[k];
      let child = byValue.get(v);
      if (!child) {
        child = { next: null, series: null };
        byValue.set(v, child);
      }
      node = child;
    }
    return node;
  }

  /** Records `series` at `node`; past RESOLVER_CAPACITY paths the trie starts over first. */
  remember(node: TrieNode, series: KnownSeries): void {
    if (++this.size > RESOLVER_CAPACITY) {
      // high cardinality: forget, stay bounded
      this.root = { next: new Map(), series: null };
      this.byObject = new WeakMap();
      this.reused = new WeakMap();
      this.size = 0;
    }
    node.series = series;
  }
}

/** The (key, value) steps of `tags` in property order, flattened: what `walk` follows. */
function stepsOf(tags: Readonly<Record<string, unknown>>): unknown[] {
  const steps: unknown[] = [];
  for (const k in tags) steps.push(k, tags[k]);
  return steps;
}

/** True when `tags` still has exactly these steps, in this order. */
function sameSteps(tags: Readonly<Record<string, unknown>>, steps: readonly unknown[]): boolean {
  let j = 0;
  for (const k in tags) {
    if (steps[j] !== k || steps[j + 1] !== tags[k]) return false;
    j += 2;
  }
  return j === steps.length;
}

// The house rules of engine/README.md ("Rooms, and what each may import"): no import circle
// between any two files of engine/ and nodes/, no import against the layer order written there,
// and nodes/ reach the engine only through engine/index.ts. Imports are read from the sources
// (type-only imports count: a type declared in the wrong room is where circles start).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { importGraph, cycles } = require('./support/import-graph');

const ROOT = path.join(__dirname, '..');

/** The layer list of engine/README.md: one entry per line, lowest first; a line may name several. */
function layerOrder(readme) {
  const block = /```layers\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'engine/README.md has a ```layers block');
  const layers = [];
  for (const line of block[1].split('\n')) {
    const names = line.split(/\s{2,}/)[0].trim();
    if (names) layers.push(names.split(/\s+/));
  }
  return layers;
}

/** The layer index of a file: the entry that names it or its folder, the longest name winning. */
function layerOf(file, layers) {
  let best = -1;
  let bestLength = -1;
  layers.forEach((names, i) => {
    for (const name of names) {
      const matches = file === name || file.startsWith(`${name}/`);
      if (matches && name.length > bestLength) {
        best = i;
        bestLength = name.length;
      }
    }
  });
  return best;
}

/** Every import against the order, as "from -> to" lines; files no entry names are reported too. */
function violations(graph, layers) {
  const out = [];
  for (const [from, targets] of graph) {
    const own = layerOf(from, layers);
    if (own < 0) out.push(`${from}: in no layer of engine/README.md`);
    for (const to of targets) {
      const theirs = layerOf(to, layers);
      if (theirs > own) out.push(`${from} -> ${to} (imports upward)`);
      if (
        (from.startsWith('nodes/') || from.startsWith('cli/')) &&
        to.startsWith('engine/') &&
        to !== 'engine/index.ts'
      ) {
        out.push(`${from} -> ${to} (past the engine's door)`);
      }
    }
  }
  return out;
}

describe('the import graph (engine/README.md, "Rooms")', () => {
  const layers = layerOrder(fs.readFileSync(path.join(ROOT, 'engine/README.md'), 'utf8'));
  const graph = importGraph(ROOT, ['engine', 'nodes', 'cli']);

  it('has no circle between files', () => {
    const found = cycles(graph).map((c) => c.join(' <-> '));
    assert.deepEqual(found, [], `import circles:\n${found.join('\n')}`);
  });

  it('imports only downward in the layer order, and nodes/ only through the door', () => {
    const found = violations(graph, layers);
    assert.deepEqual(found, [], found.join('\n'));
  });

  it('names every room of engine/ in the layer order', () => {
    const rooms = fs
      .readdirSync(path.join(ROOT, 'engine'), { withFileTypes: true })
      .map((e) => `engine/${e.name}`)
      .filter((name) => !name.endsWith('.md'));
    for (const room of rooms) assert.ok(layerOf(room, layers) >= 0, `${room} is in the layer list`);
  });

  // the checks themselves, on graphs made to break them
  it('finds a circle, an upward import and an import past the door in a made-up graph', () => {
    const made = new Map([
      ['engine/a/x.ts', ['engine/a/y.ts']],
      ['engine/a/y.ts', ['engine/a/x.ts', 'engine/b/z.ts']],
      ['engine/b/z.ts', []],
      ['nodes/n.ts', ['engine/a/x.ts']],
    ]);
    const order = [['engine/b'], ['engine/a'], ['engine/index.ts'], ['nodes']];
    assert.deepEqual(cycles(made), [['engine/a/x.ts', 'engine/a/y.ts']]);
    assert.deepEqual(violations(made, order), ["nodes/n.ts -> engine/a/x.ts (past the engine's door)"]);
    const upward = [['engine/a'], ['engine/b'], ['nodes']];
    assert.deepEqual(violations(made, upward), [
      'engine/a/y.ts -> engine/b/z.ts (imports upward)',
      "nodes/n.ts -> engine/a/x.ts (past the engine's door)",
    ]);
  });

  it('reads type-only imports, re-exports and index folders as edges', () => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'graph-'));
    fs.mkdirSync(path.join(dir, 'engine/a'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'engine/b'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'engine/a/x.ts'),
      "import type { Y } from '../b';\nexport const x = 1;\n",
    );
    fs.writeFileSync(
      path.join(dir, 'engine/b/index.ts'),
      "export { x } from '../a/x';\nexport type Y = 1;\n",
    );
    const made = importGraph(dir, ['engine']);
    assert.deepEqual(made.get('engine/a/x.ts'), ['engine/b/index.ts']);
    assert.deepEqual(made.get('engine/b/index.ts'), ['engine/a/x.ts']);
    assert.equal(cycles(made).length, 1);
  });
});

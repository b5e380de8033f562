// The import graph of the TypeScript sources: each file's relative imports (type-only ones too,
// since a type declared in the wrong room is the start of a circle), resolved to files.
const fs = require('node:fs');
const path = require('node:path');

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g;
const BARE_IMPORT = /(?:^|\n)\s*import\s+'([^']+)'/g;
const REQUIRE = /require\('([^']+)'\)/g;

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Map of file (relative to root) -> relative files it imports; `roots` are folders under root. */
function importGraph(root, roots) {
  const graph = new Map();
  for (const folder of roots) {
    for (const file of sourceFiles(path.join(root, folder))) {
      const text = fs.readFileSync(file, 'utf8');
      const targets = new Set();
      for (const re of [IMPORT, BARE_IMPORT, REQUIRE]) {
        for (const m of text.matchAll(re)) {
          if (!m[1].startsWith('.')) continue;
          const target = resolve(file, m[1]);
          if (target) targets.add(path.relative(root, target));
        }
      }
      graph.set(path.relative(root, file), [...targets].sort());
    }
  }
  return graph;
}

/** Every cycle's files, one list per strongly connected component of more than one file. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

module.exports = { importGraph, cycles };

#!/usr/bin/env node
// Build step after tsc: puts each node's editor .html beside its compiled .js, and copies icons/
// and locales/ into dist/nodes/, where Node-RED looks for them (beside the node's .js file).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'nodes');

function copyDir(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}

fs.mkdirSync(out, { recursive: true });
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(out, file));
}
copyDir(path.join(root, 'icons'), path.join(out, 'icons'));
copyDir(path.join(root, 'locales'), path.join(out, 'locales'));
// the `helios` bin (package.json "bin"): executable when run from a checkout as well
const cli = path.join(root, 'dist', 'cli', 'helios.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);

// The editor sidebar (nodes/sidebar/) and uPlot go to resources/, which Node-RED serves to the editor
// at resources/<package name>/ (helios-db.html loads them from there).
const resources = path.join(root, 'resources');
fs.rmSync(resources, { recursive: true, force: true });
fs.mkdirSync(resources, { recursive: true });
for (const file of fs.readdirSync(path.join(root, 'nodes', 'sidebar'))) {
  fs.copyFileSync(path.join(root, 'nodes', 'sidebar', file), path.join(resources, file));
}
const uplot = path.dirname(require.resolve('uplot/package.json'));
fs.copyFileSync(path.join(uplot, 'dist', 'uPlot.iife.min.js'), path.join(resources, 'uPlot.iife.min.js'));
fs.copyFileSync(path.join(uplot, 'dist', 'uPlot.min.css'), path.join(resources, 'uPlot.min.css'));
fs.copyFileSync(path.join(uplot, 'LICENSE'), path.join(resources, 'uPlot.LICENSE'));

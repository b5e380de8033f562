// Loads the built package into a real Node-RED (its CLI, on a free loopback port, with a temporary
// user directory that has this package linked into node_modules) and checks what the editor gets:
// every node type registered, its help text, message catalog and icon, and every example flow.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { prepareUserDir, startNodeRed, PACKAGE_NAME, PACKAGE_ROOT } = require('../scripts/node-red-runner');
const { tempDir } = require('./helpers');

const pkg = require('../package.json');
const TYPES = Object.keys(pkg['node-red'].nodes);
/** Config nodes: no Inputs/Outputs in their help and no icon on the canvas. */
const CONFIG_TYPES = new Set(['helios-db', 'helios-modbus-device']);
/** Types the chart example needs from @flowfuse/node-red-dashboard, which it names as a requirement. */
const DASHBOARD_2_TYPES = new Set([
  'ui-chart',
  'ui-table',
  'ui-button-group',
  'ui-group',
  'ui-page',
  'ui-base',
  'ui-theme',
]);
/** The examples that need @flowfuse/node-red-dashboard (they say so in their first comment). */
const DASHBOARD_EXAMPLES = new Set(['chart-from-query', 'dashboard']);

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

describe('packaging: the built package in a real Node-RED runtime', function () {
  this.timeout(60000);
  let runtime;
  let userDir;

  before(async () => {
    userDir = tempDir('helios-nr-');
    prepareUserDir(userDir, { flows: [] });
    runtime = await startNodeRed(userDir);
  });

  after(async () => {
    if (runtime) await runtime.stop();
  });

  const fetchText = async (url, headers = {}) => {
    const res = await fetch(runtime.url + url, { headers });
    assert.strictEqual(res.status, 200, `GET ${url}: ${res.status}`);
    return { text: await res.text(), type: res.headers.get('content-type') };
  };
  const fetchJson = async (url) => JSON.parse((await fetchText(url, { Accept: 'application/json' })).text);

  it('runs the Node-RED and Node.js it was asked to', () => {
    const nodeRedDir =
      process.env.HELIOS_NODE_RED_DIR ?? path.dirname(require.resolve('node-red/package.json'));
    const expected = require(path.join(nodeRedDir, 'package.json')).version;
    const log = runtime.log.join('\n');
    assert.match(log, new RegExp(`Node-RED version: v${expected.replace(/\./g, '\\.')}`));
    assert.match(log, new RegExp(`Node\\.js  version: ${process.version.replace(/\./g, '\\.')}`));
  });

  it('registers every node type of package.json, enabled and without load errors', async () => {
    const sets = (await fetchJson('/nodes')).filter((s) => s.module === PACKAGE_NAME);
    assert.deepStrictEqual(sets.flatMap((s) => s.types).sort(), [...TYPES].sort());
    for (const s of sets) {
      assert.strictEqual(s.enabled, true, s.id);
      assert.strictEqual(s.err, undefined, `${s.id}: ${s.err}`);
    }
  });

  it('serves each editor form and its help (summary, Inputs, Outputs, Details) to the editor', async () => {
    const { text: html } = await fetchText('/nodes', { Accept: 'text/html', 'Accept-Language': 'en-US' });
    for (const type of TYPES) {
      assert.ok(html.includes(`data-template-name="${type}"`), `${type}: editor form`);
      const help = new RegExp(`data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html);
      assert.ok(help, `${type}: help text`);
      assert.match(help[1], /^\s*<p>[^<]{20,}/, `${type}: a one-line summary first`);
      assert.match(help[1], /<h3>Details<\/h3>/, `${type}: Details`);
      if (!CONFIG_TYPES.has(type)) {
        assert.match(help[1], /<h3>Inputs<\/h3>\s*<dl class="message-properties">/, `${type}: Inputs`);
        assert.match(help[1], /<h3>Outputs<\/h3>\s*<dl class="message-properties">/, `${type}: Outputs`);
      }
    }
  });

  it('keeps registerType definitions literal and every label of the forms in the message catalog', async () => {
    for (const type of TYPES) {
      const source = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', `${type}.html`), 'utf8');
      assert.match(
        source,
        new RegExp(`RED\\.nodes\\.registerType\\('${type}', \\{`),
        `${type}: literal definition`,
      );
      const catalog = await fetchJson(`/locales/${PACKAGE_NAME}/${type}?lng=en-US`);
      const keys = [...source.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]);
      assert.ok(keys.length > 5, `${type}: labels go through data-i18n`);
      for (const key of keys)
        assert.strictEqual(typeof get(catalog, key), 'string', `${type}: ${key} in the catalog`);
      const labels = [...source.matchAll(/<label for="[^"]+">([^<]*)</g)].map((m) => m[1].trim());
      assert.deepStrictEqual(
        labels.filter((l) => l !== '' && l !== '&nbsp;'),
        [],
        `${type}: no hard-coded label text`,
      );
    }
  });

  it('serves an SVG icon for every node that shows one', async () => {
    for (const type of TYPES) {
      const source = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', `${type}.html`), 'utf8');
      const icon = /icon: '([^']+)'/.exec(source)?.[1];
      if (CONFIG_TYPES.has(type)) continue; // a config node has no icon on the canvas
      assert.ok(icon, `${type}: declares an icon`);
      const { text, type: contentType } = await fetchText(`/icons/${PACKAGE_NAME}/${icon}`);
      assert.match(contentType, /svg/);
      assert.match(text, /^<svg /);
    }
  });

  it('lists every example; each starts with a comment and uses only known node types', async () => {
    const names = await fetchJson(`/library/examples/flows/${PACKAGE_NAME}`);
    const files = fs.readdirSync(path.join(PACKAGE_ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.deepStrictEqual(names.map((n) => `${n.fn}.json`).sort(), files.sort());
    for (const need of ['store-and-query', 'chart-from-query', 'toml-configuration']) {
      assert.ok(
        names.some((n) => n.fn === need),
        need,
      );
    }
    const known = new Set((await fetchJson('/nodes')).flatMap((s) => s.types));
    const used = new Set();
    for (const { fn } of names) {
      const flow = await fetchJson(`/library/examples/flows/${PACKAGE_NAME}/${fn}`);
      assert.strictEqual(flow[0].type, 'comment', `${fn}: begins with a comment node`);
      assert.ok(flow[0].info.length > 100, `${fn}: the comment explains the example`);
      for (const n of flow) {
        used.add(n.type);
        const ok = known.has(n.type) || (DASHBOARD_EXAMPLES.has(fn) && DASHBOARD_2_TYPES.has(n.type));
        assert.ok(ok, `${fn}: unknown node type ${n.type}`);
      }
    }
    for (const type of TYPES) assert.ok(used.has(type), `${type} appears in an example`);
  });

  it('names the examples as the menu does (README), and no two examples bring a database of one name', async () => {
    const names = (await fetchJson(`/library/examples/flows/${PACKAGE_NAME}`)).map((n) => n.fn).sort();
    const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const listed = /Import > Examples > @helios-edge\/node-red-helios has ([^.]+)\./.exec(
      readme.replace(/\s+/g, ' '),
    );
    assert.ok(listed, 'the README lists the examples');
    assert.deepStrictEqual([...listed[1].matchAll(/`([\w-]+)`/g)].map((m) => m[1]).sort(), names);
    const dbNames = [];
    for (const fn of names) {
      const flow = await fetchJson(`/library/examples/flows/${PACKAGE_NAME}/${fn}`);
      for (const n of flow) if (n.type === 'helios-db') dbNames.push(n.name);
    }
    assert.deepStrictEqual([...new Set(dbNames)].sort(), [...dbNames].sort(), 'helios-db names are distinct');
  });

  it('deploys the examples (without the Dashboard 2 nodes) and the database opens in the user directory', async () => {
    const names = await fetchJson(`/library/examples/flows/${PACKAGE_NAME}`);
    const flows = [];
    for (const { fn } of names) {
      const flow = await fetchJson(`/library/examples/flows/${PACKAGE_NAME}/${fn}`);
      const tab = `tab-${fn}`;
      flows.push({ id: tab, type: 'tab', label: fn });
      for (const n of flow) {
        if (DASHBOARD_2_TYPES.has(n.type)) continue;
        const node = { ...n };
        if ('z' in node) node.z = tab;
        if (node.wires)
          node.wires = node.wires.map((out) =>
            out.filter((id) => !flow.some((m) => m.id === id && DASHBOARD_2_TYPES.has(m.type))),
          );
        flows.push(node);
      }
    }
    const before = runtime.log.length;
    const res = await fetch(`${runtime.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.ok(res.status === 200 || res.status === 204, `POST /flows: ${res.status} ${await res.text()}`);
    const started = Date.now();
    while (!runtime.log.slice(before).some((l) => /Started flows/.test(l)) && Date.now() - started < 20000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const log = runtime.log.slice(before).join('\n');
    if (process.env.HELIOS_SHOW_LOG) console.log(log);
    assert.match(log, /Started flows/);
    assert.doesNotMatch(log, /missing types|Unknown type/i);
    // A first deploy is green: every query runs after the writes it needs, the TOML example creates
    // its file. Wait past the examples' first timers (3 s) and look for any error in the log.
    await new Promise((r) => setTimeout(r, 4500));
    const errors = runtime.log.slice(before).filter((l) => /\[error\]/.test(l));
    assert.deepStrictEqual(errors, [], 'no error on the first deploy of the examples');
    const toml = path.join(userDir, 'helios.toml');
    assert.strictEqual(
      fs.readFileSync(toml, 'utf8'),
      fs.readFileSync(path.join(PACKAGE_ROOT, 'examples', 'helios.toml'), 'utf8'),
      'the TOML example created its file from the package',
    );
    assert.match(
      runtime.log.slice(before).join('\n'),
      /\[warn\].*helios\.toml: There was no such file: created it/,
    );
    const dbId = flows.find((n) => n.type === 'helios-db' && n.name === 'store-and-query db').id;
    const lock = path.join(userDir, 'helios', dbId, 'LOCK');
    while (!fs.existsSync(lock) && Date.now() - started < 20000) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(lock), 'the example database is open');
    await runtime.stop();
    runtime = null;
    assert.ok(!fs.existsSync(lock), 'stopping Node-RED closed the database and released its lock');
  });
});

describe('packaging: help and examples agree with the code', () => {
  const read = (...p) => fs.readFileSync(path.join(PACKAGE_ROOT, ...p), 'utf8');

  it("helios-db: the memory default in the help is the editor's, the runtime's and the engine's", () => {
    const help = /Budget for readings[^<]*\(default (\d+)\)/.exec(read('locales', 'en-US', 'helios-db.html'));
    const editor = /memoryLimitMB: \{ value: (\d+)/.exec(read('nodes', 'helios-db.html'));
    const runtime = /numberOr\(config\.memoryLimitMB, (\d+)\)/.exec(read('nodes', 'lib', 'node-config.ts'));
    const engine = /positiveNumber\(options\.memoryLimitMB, 'memoryLimitMB', (\d+)\)/.exec(
      read('engine', 'options.ts'),
    );
    assert.ok(help && editor && runtime && engine, 'all four found');
    assert.deepStrictEqual([help[1], editor[1], runtime[1]], [engine[1], engine[1], engine[1]]);
    for (const file of fs
      .readdirSync(path.join(PACKAGE_ROOT, 'examples'))
      .filter((f) => f.endsWith('.json'))) {
      for (const n of JSON.parse(read('examples', file)).filter((n) => n.type === 'helios-db')) {
        assert.strictEqual(String(n.memoryLimitMB), engine[1], `${file}: ${n.name}`);
      }
    }
  });
});

describe('packaging: every file the README and the help name is in the npm package', () => {
  const { execFileSync } = require('node:child_process');
  const packed = new Set(
    JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }),
    )[0].files.map((f) => f.path),
  );
  /** Paths of files named in `text` (`docs/x.md`, `examples/helios.toml`...), not marked as source-tree only. */
  const named = (text) =>
    [...text.matchAll(/(?:`|<code>)((?:[\w.-]+\/)+[\w.-]+\.(?:md|toml|json|ts))(?:`|<\/code>)/g)].map(
      (m) => m[1],
    );

  it('README.md: no relative links (npm cannot follow them without a repository), every named file packed', () => {
    const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    assert.deepStrictEqual(
      [...readme.matchAll(/\]\((?!https?:)([^)]+)\)/g)].map((m) => m[1]),
      [],
    );
    const missing = named(readme).filter((p) => !packed.has(p));
    assert.deepStrictEqual(missing, []);
  });

  it('the help texts and the examples name only files in the package', () => {
    const texts = [
      ...fs
        .readdirSync(path.join(PACKAGE_ROOT, 'locales', 'en-US'))
        .map((f) => path.join('locales', 'en-US', f)),
      ...fs.readdirSync(path.join(PACKAGE_ROOT, 'examples')).map((f) => path.join('examples', f)),
    ];
    const missing = [];
    for (const file of texts) {
      for (const p of named(fs.readFileSync(path.join(PACKAGE_ROOT, file), 'utf8'))) {
        if (!packed.has(p)) missing.push(`${file}: ${p}`);
      }
    }
    assert.deepStrictEqual(missing, []);
  });
});

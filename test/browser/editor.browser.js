// The editor as a new user meets it (issue #18): every example and the `npm start` demo flow imported
// into a real Node-RED with this package, opened in Chromium through playwright-core. Checks what a
// screenshot would show: each node's status text readable (not under another node), the dialogs'
// dropdown texts not cut off, the help text within the sidebar at its default width, a Database list
// without two entries of one name, and no row that does nothing in the mode chosen.
//
// Not in mocha's default spec (it needs Chromium): `npm run test:browser`, or `bash .ci/browser.sh`.
// Screenshots are left in `.tmp/editor-*.png`.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { prepareUserDir, startNodeRed, PACKAGE_ROOT } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const DASHBOARD = '@flowfuse/node-red-dashboard';
const SHOTS = path.join(PACKAGE_ROOT, '.tmp');
const HELIOS_TYPES = [
  'helios-db',
  'helios-store',
  'helios-query',
  'helios-retention',
  'helios-downsample',
  'helios-sync',
  'helios-alarm',
  'helios-modbus',
  'helios-modbus-device',
];

/** Every example (each on a tab of its own, as Import > Examples puts it) and the demo flow. */
function allFlows() {
  const files = fs
    .readdirSync(path.join(PACKAGE_ROOT, 'examples'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(PACKAGE_ROOT, 'examples', f));
  files.push(path.join(PACKAGE_ROOT, 'scripts', 'demo-flow.json'));
  const flows = [];
  for (const file of files) {
    const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = path.basename(file, '.json');
    const hasTab = flow.some((n) => n.type === 'tab');
    if (!hasTab) flows.push({ id: `tab-${name}`, type: 'tab', label: name });
    for (const n of flow) flows.push(!hasTab && 'z' in n ? { ...n, z: `tab-${name}` } : n);
  }
  // the Dashboard 2 examples share their ui-base and ui-theme (one dashboard), as an import keeps one
  return flows.filter((n, i) => flows.findIndex((m) => m.id === n.id) === i);
}

describe('the editor: examples, dialogs and help as a new user sees them (Chromium)', function () {
  this.timeout(120000);
  let runtime;
  let browser;
  let page;

  before(async () => {
    const userDir = tempDir('helios-editor-');
    prepareUserDir(userDir, { flows: allFlows() });
    const link = path.join(userDir, 'node_modules', ...DASHBOARD.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.dirname(require.resolve(`${DASHBOARD}/package.json`)), link, 'dir');
    runtime = await startNodeRed(userDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    await page.goto(`${runtime.url}/`);
    await page.waitForFunction(() => window.RED?.nodes && RED.nodes.filterNodes({}).length > 0, null, {
      timeout: 60000,
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('every tab deploys green and every status text is readable: no node and no other status over it', async () => {
    // Status texts appear once the nodes have run: the demo's first query runs 3 s after the deploy.
    await page.waitForTimeout(5000);
    const tabs = await page.evaluate(() => {
      const t = [];
      RED.nodes.eachWorkspace((w) => t.push({ id: w.id, label: w.label }));
      return t;
    });
    const problems = [];
    for (const tab of tabs) {
      await page.evaluate((id) => RED.workspaces.show(id), tab.id);
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(SHOTS, `editor-${tab.label.replace(/\W+/g, '-')}.png`) });
      const found = await page.evaluate(() => {
        const box = (el) => el.getBoundingClientRect();
        const overlap = (a, b) =>
          a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const nodes = [...document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group')];
        const rects = nodes.map((g) => ({ id: g.id, r: box(g.querySelector('rect.red-ui-flow-node')) }));
        const statuses = nodes
          .map((g) => ({ id: g.id, el: g.querySelector('.red-ui-flow-node-status-label') }))
          .filter((s) => s.el && s.el.textContent.trim() !== '' && box(s.el).width > 0)
          .map((s) => ({ id: s.id, text: s.el.textContent, r: box(s.el) }));
        const out = [];
        for (const g of nodes) {
          const shape = g.querySelector('.red-ui-flow-node-status');
          const label = g.querySelector('.red-ui-flow-node-status-label');
          if (shape && /status-(dot|ring)-red/.test(shape.getAttribute('class') ?? '')) {
            out.push(`node ${g.id} is red: ${label?.textContent}`);
          }
        }
        for (const s of statuses) {
          for (const n of rects)
            if (n.id !== s.id && overlap(s.r, n.r)) out.push(`"${s.text}" under node ${n.id}`);
          for (const t of statuses) {
            if (t.id < s.id && overlap(s.r, t.r)) out.push(`"${s.text}" over "${t.text}"`);
          }
        }
        return { out, statuses: statuses.length };
      });
      for (const p of found.out) problems.push(`${tab.label}: ${p}`);
    }
    assert.deepStrictEqual(problems, []);
  });

  it("helios-db's dialog: every Durability choice fits its dropdown", async () => {
    const dbId = await page.evaluate(() => {
      let id;
      RED.nodes.eachConfig((c) => {
        if (c.type === 'helios-db' && !id) id = c.id;
      });
      return id;
    });
    await page.evaluate((id) => RED.editor.editConfig('', 'helios-db', id), dbId);
    await page.waitForSelector('#node-config-input-durability', { state: 'visible' });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'editor-helios-db-dialog.png') });
    const cut = await page.evaluate(() => {
      const select = document.querySelector('#node-config-input-durability');
      const style = getComputedStyle(select);
      const probe = document.createElement('span');
      probe.style.font = style.font;
      probe.style.whiteSpace = 'pre';
      probe.style.position = 'absolute';
      document.body.appendChild(probe);
      // the room for text: the box less its padding and the arrow (about 20 px)
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      const out = [];
      for (const o of select.options) {
        probe.textContent = o.textContent;
        if (probe.getBoundingClientRect().width > room)
          out.push(
            `${o.textContent} (${Math.round(probe.getBoundingClientRect().width)} > ${Math.round(room)} px)`,
          );
      }
      probe.remove();
      return out;
    });
    await page.evaluate(() => RED.tray.close());
    await page.waitForTimeout(500);
    assert.deepStrictEqual(cut, []);
  });

  it('helios-query\'s dialog: no two databases of one name; in chart mode no "Times as", which does nothing there', async () => {
    const id = await page.evaluate(
      () => RED.nodes.filterNodes({ type: 'helios-query' }).find((n) => n.output === 'chart').id,
    );
    await page.evaluate((nodeId) => RED.editor.edit(RED.nodes.node(nodeId)), id);
    await page.waitForSelector('#node-input-output', { state: 'visible' });
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'editor-helios-query-chart-dialog.png') });
    const seen = await page.evaluate(() => {
      const visible = (sel) => $(sel).is(':visible');
      const databases = [...document.querySelectorAll('#node-input-db option')].map((o) => o.textContent);
      const chart = { times: visible('#node-input-timeFormat'), clear: visible('#node-input-chartClear') };
      $('#node-input-output').val('rows').trigger('change');
      const rows = { times: visible('#node-input-timeFormat'), clear: visible('#node-input-chartClear') };
      return { databases, chart, rows };
    });
    await page.evaluate(() => RED.tray.close());
    await page.waitForTimeout(500);
    assert.deepStrictEqual(seen.chart, { times: false, clear: true });
    assert.deepStrictEqual(seen.rows, { times: true, clear: false });
    assert.ok(seen.databases.length >= 4, seen.databases.join(', '));
    assert.deepStrictEqual([...new Set(seen.databases)], seen.databases, 'database names are distinct');
  });

  it('the help of every helios node stays within the sidebar at its default width', async () => {
    const wide = [];
    for (const type of HELIOS_TYPES) {
      await page.evaluate((t) => {
        RED.sidebar.show('help');
        RED.sidebar.help.show(t);
      }, type);
      await page.waitForTimeout(400);
      const over = await page.evaluate(() => {
        const right = document.querySelector('#red-ui-sidebar').getBoundingClientRect().right - 6;
        return [...document.querySelectorAll('.red-ui-help :is(code, pre, dt, dd, li, p)')]
          .filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > right)
          .map((el) => el.textContent.slice(0, 60));
      });
      if (over.length > 0) {
        await page.screenshot({ path: path.join(SHOTS, `editor-help-${type}.png`) });
        wide.push(`${type}: ${over.join(' | ')}`);
      }
    }
    assert.deepStrictEqual(wide, []);
  });
});

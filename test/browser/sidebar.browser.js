// The Helios sidebar in Chromium (issue #17): a real Node-RED with this package, opened with
// playwright-core. Opens the tab, reads the table figures, completes a word in the SQL editor, runs a
// query with the time-range picker and sees the grid and the plot, triggers an error and sees its
// caret, downloads the result as CSV, acknowledges an alarm (a stand-in alarm PanelSource registered
// by settings.js, as the alarm node will register one) and sees the change pushed over comms, and
// checks nothing is wider than the sidebar. Screenshots in .tmp/sidebar-*.png.
//
// Not in mocha's default spec (it needs Chromium): `npm run test:browser`, or `bash .ci/browser.sh`.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { prepareUserDir, startNodeRed, PACKAGE_ROOT } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(PACKAGE_ROOT, '.tmp');
// The Node-RED 5 run (.ci/browser.sh) sets HELIOS_NODE_RED_DIR and HELIOS_NODE_BINARY (Node 24):
// its screenshots are .tmp/sidebar-nr5-*.png
const NODE_RED_DIR = process.env.HELIOS_NODE_RED_DIR;
const NODE_RED_MAJOR = NODE_RED_DIR
  ? require(path.join(NODE_RED_DIR, 'package.json')).version.split('.')[0]
  : '4';
const SHOT_PREFIX = NODE_RED_MAJOR === '4' ? 'sidebar-' : `sidebar-nr${NODE_RED_MAJOR}-`;

/** settings.js: the runner's settings plus a stand-in alarm panel (the shape docs/sidebar.md gives). */
function withAlarmPanel(userDir) {
  const file = path.join(userDir, 'settings.js');
  const settings = fs.readFileSync(file, 'utf8').replace(/^module\.exports = /, 'const settings = ');
  const panelsModule = path.join(PACKAGE_ROOT, 'dist', 'nodes', 'lib', 'admin', 'panels.js');
  fs.writeFileSync(
    file,
    `${settings}
const { panels } = require(${JSON.stringify(panelsModule)});
const now = Date.now();
const alarms = [
  { id: 'boiler-high', name: 'Boiler temperature high', priority: 1, state: 'active', since: now - 120000, value: 97.5 },
  { id: 'door-open', name: 'Loading door open', priority: 3, state: 'active', since: now - 30000 },
];
const transitions = [];
const handle = panels.register({
  id: 'alarms',
  read: () => ({ active: alarms, transitions }),
  actions: {
    ack: async ({ id }) => {
      const alarm = alarms.find((a) => a.id === id);
      if (!alarm) throw new Error('There is no alarm ' + id + '.');
      transitions.unshift({ time: Date.now(), id, name: alarm.name, from: alarm.state, to: 'acked' });
      alarm.state = 'acked';
      handle.changed();
      return { id };
    },
  },
});
const syncNodes = [
  { id: 'sync1', name: 'to cloud', role: 'edge', connected: false, backlogRows: 12500, backlogBytes: 48000, rate: 0, etaSeconds: null,
    lastAck: now - 600000, lastError: 'connect ECONNREFUSED 10.0.0.5:8883',
    quarantined: [{ id: 'b-17', rows: 500, bytes: 2100, reason: 'rejected by the hub: schema conflict' }] },
];
const syncCalls = [];
const syncHandle = panels.register({
  id: 'sync',
  read: () => ({ nodes: syncNodes, calls: syncCalls }),
  actions: {
    retry: async (body) => {
      syncCalls.push(['retry', body.node, body.batch]);
      syncNodes[0].quarantined = [];
      syncHandle.changed();
    },
  },
});
module.exports = settings;
`,
  );
}

describe(`the Helios sidebar (Chromium, Node-RED ${NODE_RED_MAJOR})`, function () {
  this.timeout(120000);
  let runtime;
  let browser;
  let page;
  let origin;
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${SHOT_PREFIX}${name}.png`) });
  /** The sidebar alone, with `selector` scrolled into view. */
  const sidebarShot = async (name, selector) => {
    if (selector) await page.locator(selector).first().scrollIntoViewIfNeeded();
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(SHOTS, `${SHOT_PREFIX}${name}.png`) });
  };

  before(async () => {
    const userDir = tempDir('helios-sidebar-');
    prepareUserDir(userDir, {
      flows: [
        { id: 'f1', type: 'tab', label: 'Sidebar' },
        { id: 'db1', type: 'helios-db', name: 'plant', dir: 'data', durability: 'batch' },
        { id: 'q1', z: 'f1', type: 'helios-query', db: 'db1', sql: 'SELECT 1', x: 200, y: 100, wires: [[]] },
      ],
    });
    withAlarmPanel(userDir);
    runtime = await startNodeRed(userDir, { nodeBinary: process.env.HELIOS_NODE_BINARY });
    origin = new URL(runtime.url).origin;
    // the admin API answers before the flows have started: wait for the database to be there
    for (let i = 0; i < 150; i++) {
      const res = await fetch(`${origin}/helios/databases/db1`);
      await res.text();
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // a day of readings, one a minute, for two sensors, ending now
    const now = Date.now();
    const values = [];
    for (let i = 0; i < 1440; i++) {
      const time = now - (1440 - i) * 60000;
      values.push(
        `(${time}, 's1', ${(20 + 5 * Math.sin(i / 60)).toFixed(2)})`,
        `(${time}, 's2', ${(18 + 3 * Math.cos(i / 90)).toFixed(2)})`,
      );
    }
    for (let at = 0; at < values.length; at += 500) {
      const res = await fetch(`${origin}/helios/databases/db1/query`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          sql: `INSERT INTO boiler (time, sensor, temp) VALUES ${values.slice(at, at + 500).join(', ')}`,
        }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('pageerror', (err) => console.log('page error:', err.message));
    await page.goto(`${runtime.url}/`);
    await page.waitForFunction(() => window.RED?.sidebar && window.HeliosSidebar, null, { timeout: 60000 });
    fs.mkdirSync(SHOTS, { recursive: true });
  });

  beforeEach(async () => {
    // the editor may switch tabs on its own (a deploy notice, the debug tab): show ours again
    await page.evaluate(() => RED.sidebar.show('helios'));
  });

  after(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('opens the Helios tab with the database, its table figures and storage', async () => {
    // the editor may still switch to a tab of its own (info, debug) once loaded: show ours until
    // the card is on screen
    await page.waitForFunction(
      () => {
        RED.sidebar.show('helios');
        return $('.helios-table-card[data-table="boiler"]').is(':visible');
      },
      null,
      { timeout: 30000, polling: 250 },
    );
    await shot('overview');
    const seen = await page.evaluate(() => ({
      label: $('#red-ui-sidebar .red-ui-tab.active').text().trim(),
      picker: $('.helios-db-picker option:selected').text(),
      badge: $('.helios-badge').text(),
      figures: Object.fromEntries(
        $('.helios-table-card[data-table="boiler"] dt')
          .toArray()
          .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
      ),
    }));
    assert.equal(seen.picker, 'plant');
    assert.equal(seen.badge, 'open');
    assert.equal(seen.figures.rows, '2,880');
    assert.equal(seen.figures.series, '1', 'an INSERT without TAG columns declared: one series');
    assert.match(seen.figures.columns, /sensor \(string\), temp \(float\)/);
  });

  it("completes a word in the SQL editor from the engine's vocabulary and the tables", async () => {
    const editor = page.locator('.helios-sql');
    await editor.fill('');
    await editor.pressSequentially('SELECT tim');
    await page.waitForSelector('.helios-completions li', { state: 'visible' });
    const offered = await page.$$eval('.helios-completions li span', (els) => els.map((e) => e.textContent));
    assert.ok(offered.includes('time') || offered.includes('time_bucket'), offered.join(','));
    await editor.fill('');
    await editor.pressSequentially('SELECT av');
    await page.waitForSelector('.helios-completions li[data-kind="function"]', { state: 'visible' });
    await shot('completion');
    await editor.press('Tab');
    assert.equal(await editor.inputValue(), 'SELECT avg(');
  });

  it('runs a query with the time-range picker: the grid pages and the plot draws', async () => {
    await page.locator('.helios-sql').fill('SELECT time, sensor, temp FROM boiler ORDER BY time');
    // the text ends in a word the completion list offers; a user's click elsewhere closes it, and
    // selectOption does not move the focus, so close it as a user would
    await page.locator('.helios-sql').press('Escape');
    await page.selectOption('.helios-range', '6 hours');
    assert.equal(
      await page.locator('.helios-sql').inputValue(),
      "SELECT time, sensor, temp FROM boiler WHERE time > now() - INTERVAL '6 hours' ORDER BY time",
    );
    await page.click('.helios-run');
    await page.waitForSelector('.helios-result tbody tr');
    await page.waitForSelector('.helios-plot canvas');
    await page.waitForTimeout(300);
    await sidebarShot('result', '.helios-plot');
    await sidebarShot('grid', '.helios-pager');
    const seen = await page.evaluate(() => ({
      rows: $('.helios-result tbody tr').length,
      info: $('.helios-result-info').text(),
      pager: $('.helios-pager').is(':visible'),
      canvas: $('.helios-plot canvas')[0].getBoundingClientRect().width,
      legend: $('.helios-plot .u-legend .u-series').length,
    }));
    assert.equal(seen.rows, 100);
    assert.match(seen.info, /^rows 1–100 of (71[89]|72[01])\b/, seen.info);
    assert.ok(seen.pager);
    assert.ok(seen.canvas > 150, `plot width ${seen.canvas}`);
    assert.equal(seen.legend, 3, 'time, and temp of each sensor: one line per sensor');
    await page.click('.helios-next');
    await page.waitForFunction(() => /^rows 101–200/.test($('.helios-result-info').text()));
  });

  it('shows a mistake with a caret under its place and selects it in the editor', async () => {
    await page.locator('.helios-sql').fill('SELECT time,\n  tmep FROM boiler');
    await page.click('.helios-run');
    await page.waitForSelector('.helios-sql-error .helios-caret');
    await sidebarShot('error', '.helios-sql-error');
    const seen = await page.evaluate(() => {
      const el = document.querySelector('.helios-sql');
      return {
        message: $('.helios-error-message').text(),
        caret: $('.helios-caret').text(),
        hint: $('.helios-error-hint').text(),
        marked: el.classList.contains('helios-has-error'),
        selected: el.value.slice(el.selectionStart, el.selectionEnd),
      };
    });
    assert.match(seen.message, /There is no column "tmep"/);
    assert.equal(seen.caret, '  tmep FROM boiler\n  ^');
    assert.match(seen.hint, /Did you mean "temp"/);
    assert.ok(seen.marked);
    assert.equal(seen.selected, 'tmep');
  });

  it('downloads the result as CSV', async () => {
    await page.locator('.helios-sql').fill('SELECT time, sensor, temp FROM boiler ORDER BY time LIMIT 3');
    await page.click('.helios-run');
    await page.waitForFunction(() => /^rows 1–3 of 3/.test($('.helios-result-info').text()));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.helios-download-csv')]);
    assert.equal(download.suggestedFilename(), 'result.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'time,sensor,temp');
    assert.equal(lines.length, 4);
    assert.match(lines[1], /^\d{13},s1,\d+(\.\d+)?$/);
  });

  it('acknowledges an alarm: the runtime is told and the new state is pushed back', async () => {
    await page.waitForSelector('.helios-panel[data-panel="alarms"] .helios-alarm');
    await sidebarShot('alarms-before', '.helios-panel[data-panel="alarms"] .helios-alarm:last-child');
    const order = await page.$$eval('.helios-alarm', (els) => els.map((e) => e.dataset.alarm));
    assert.deepEqual(order, ['boiler-high', 'door-open'], 'by priority');
    await page.click('.helios-alarm[data-alarm="boiler-high"] .helios-ack');
    await page.waitForSelector('.helios-alarm[data-alarm="boiler-high"][data-state="acked"]');
    await page.waitForSelector('.helios-transitions li');
    await sidebarShot('alarms-after', '.helios-transitions');
    const seen = await page.evaluate(() => ({
      ackButtons: $('.helios-alarm[data-alarm="boiler-high"] .helios-ack').length,
      transition: $('.helios-transitions li').first().text(),
    }));
    assert.equal(seen.ackButtons, 0);
    assert.match(seen.transition, /Boiler temperature high: active → acked/);
  });

  it('shows the sync panel: backlog, last error, a quarantined batch whose Retry reaches the runtime', async () => {
    await page.waitForSelector('.helios-sync-node[data-sync="sync1"] .helios-quarantined');
    await sidebarShot('sync', '.helios-sync-node[data-sync="sync1"] .helios-quarantined');
    const figures = await page.evaluate(() =>
      Object.fromEntries(
        $('.helios-sync-node[data-sync="sync1"] dt')
          .toArray()
          .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
      ),
    );
    assert.equal(figures.connection, 'disconnected');
    assert.equal(figures.backlog, '12,500 rows, 46.9 KiB');
    assert.match(figures['last error'], /ECONNREFUSED/);
    await page.click('.helios-quarantined[data-batch="b-17"] .helios-retry');
    await page.waitForSelector('.helios-quarantined[data-batch="b-17"]', { state: 'detached' });
    const calls = await (await fetch(`${origin}/helios/panels/sync`)).json();
    assert.deepEqual(calls.calls, [['retry', 'sync1', 'b-17']]);
  });

  it('shows new rows without a reload: the runtime pushes the figures over comms', async () => {
    const rowsShown = () =>
      page.evaluate(() => $('.helios-table-card[data-table="boiler"] dt:contains("rows")').next().text());
    assert.equal(await rowsShown(), '2,880');
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const values = Array.from({ length: 10 }, (_, i) => `(${Date.now() + i}, 's3', 1.5)`).join(', ');
    const res = await fetch(`${origin}/helios/databases/db1/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: `INSERT INTO boiler (time, sensor, temp) VALUES ${values}` }),
    });
    assert.equal(res.status, 200);
    await page.waitForFunction(
      () => $('.helios-table-card[data-table="boiler"] dt:contains("rows")').next().text() === '2,890',
      null,
      { timeout: 5000 },
    );
    assert.deepEqual(
      requests.filter((u) => u.includes('/helios/')),
      [],
      'the browser asked for nothing: the update came over the comms websocket',
    );
  });

  it('fits a narrow sidebar: nothing wider than the tab', async () => {
    await page.setViewportSize({ width: 900, height: 900 });
    await page.evaluate(() => $('#red-ui-sidebar').css('width', '300px'));
    await page.evaluate(() => $(window).trigger('resize'));
    await page.waitForTimeout(500);
    await page.evaluate(() => $('.helios-body').scrollTop(0));
    await shot('narrow');
    await sidebarShot('narrow-result', '.helios-plot');
    const wide = await page.evaluate(() => {
      const body = document.querySelector('.helios-body');
      const limit = body.getBoundingClientRect().right + 1;
      return [...body.querySelectorAll('*')]
        .filter((el) => !el.closest('.helios-grid') && el.getBoundingClientRect().right > limit)
        .map((el) => `${el.tagName}.${el.className}`)
        .slice(0, 5);
    });
    assert.deepEqual(wide, []);
  });
});

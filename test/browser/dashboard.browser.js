// The dashboard example (examples/dashboard.json) in a real browser: a real Node-RED with this package
// and FlowFuse Dashboard 2, the page /dashboard/helios-climate opened in Chromium. The latest readings
// must be in the ui-table, the chart must plot one line per sensor over the time range chosen, and the
// time range buttons must change what the chart shows.
//
// Not in mocha's default spec (it needs Chromium): `npm run test:browser`, or `bash .ci/browser.sh`.
// A screenshot is left in `.tmp/dashboard.png`.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { prepareUserDir, startNodeRed, PACKAGE_ROOT } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const DASHBOARD = '@flowfuse/node-red-dashboard';
const EXAMPLE = path.join(PACKAGE_ROOT, 'examples', 'dashboard.json');
const SCREENSHOT = path.join(PACKAGE_ROOT, '.tmp', 'dashboard.png');
const MINUTE = 60000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(probe, done, ms = 30000) {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(250);
    value = await probe();
  }
  return value;
}

/** The chart titled `title`: each series' name, its number of points and its first and last x. */
function readChart(page, title) {
  return page.evaluate(async (title) => {
    const url = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .find((name) => /\/echarts-[\w-]+\.js$/.test(name));
    if (!url) return null;
    const echarts = await import(url);
    const instanceOf =
      echarts.getInstanceByDom ?? Object.values(echarts).find((f) => typeof f === 'function');
    for (const el of document.querySelectorAll('[_echarts_instance_]')) {
      const option = instanceOf(el).getOption();
      if (option.title?.[0]?.text !== title) continue;
      return option.series.map((s) => {
        const xs = s.data.map((d) => (Array.isArray(d) ? d : d.value)[0]);
        return { name: s.name, points: xs.length, first: Math.min(...xs), last: Math.max(...xs) };
      });
    }
    return null;
  }, title);
}

/** The rows of the ui-table as text, cell by cell. */
function readTable(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('table tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
    ),
  );
}

describe('browser: the dashboard example (ui-table, time range buttons, ui-chart) in Chromium', function () {
  this.timeout(120000);
  let runtime;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    const tab = example.find((n) => n.z).z;
    const userDir = tempDir('helios-dashboard-');
    prepareUserDir(userDir, { flows: [{ id: tab, type: 'tab', label: 'dashboard' }, ...example] });
    const link = path.join(userDir, 'node_modules', ...DASHBOARD.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.dirname(require.resolve(`${DASHBOARD}/package.json`)), link, 'dir');
    runtime = await startNodeRed(userDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await poll(
      async () => runtime.log.join('\n'),
      (log) => /Started flows/.test(log),
    );
    await sleep(2000); // the history is stored and the first queries ran
    await page.goto(`${runtime.url}/dashboard/helios-climate`);
  });

  after(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('shows the latest reading of each sensor in the ui-table', async () => {
    const rows = await poll(
      () => readTable(page),
      (r) => r.length === 3,
    );
    assert.deepStrictEqual(
      rows.map((r) => r.slice(0, 2)),
      [
        ['S-1', 'kitchen'],
        ['S-2', 'hall'],
        ['S-3', 'attic'],
      ],
    );
    for (const r of rows) {
      assert.match(r[2], /^\d+(\.\d+)?$/, 'temperature');
      assert.match(r[4], /^\d{4}-\d\d-\d\dT/, 'time as an ISO string');
    }
  });

  it('plots one line per sensor over the last hour by default (the history goes back 6 h)', async () => {
    const series = await poll(
      () => readChart(page, 'Temperature'),
      (s) => s?.length === 3,
    );
    assert.deepStrictEqual(
      series.map((s) => s.name),
      ['S-1', 'S-2', 'S-3'],
    );
    for (const s of series) {
      assert.ok(Date.now() - s.first <= 62 * MINUTE && Date.now() - s.first >= 55 * MINUTE, `${s.name}: 1 h`);
    }
  });

  for (const [label, minutes] of [
    ['6 h', 360],
    ['15 min', 15],
  ]) {
    it(`the "${label}" button makes both queries run over ${minutes} minutes`, async () => {
      await page.getByRole('button', { name: label, exact: true }).click();
      const series = await poll(
        () => readChart(page, 'Temperature'),
        (s) =>
          s?.length === 3 && s.every((x) => Math.abs(Date.now() - x.first - minutes * MINUTE) < 3 * MINUTE),
        15000,
      );
      for (const s of series) {
        const span = (Date.now() - s.first) / MINUTE;
        assert.ok(Math.abs(span - minutes) < 3, `${s.name}: from ${span.toFixed(1)} minutes ago`);
      }
      if (minutes === 360) {
        fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      }
    });
  }

  it('Node-RED logged no error and the page threw none', () => {
    assert.deepStrictEqual(
      runtime.log.filter((l) => /\[error\]/.test(l)),
      [],
    );
    assert.deepStrictEqual(pageErrors, []);
  });
});

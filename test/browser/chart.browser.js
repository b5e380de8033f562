// The chart example (examples/chart-from-query.json) in a real browser: a real Node-RED (its CLI) with
// this package and FlowFuse Dashboard 2 in the user directory, the dashboard page opened in Chromium
// through playwright-core, and the ui-chart's ECharts instance read back from the page and compared with
// the rows the same query returned.
//
// Not in mocha's default spec (it needs Chromium): `npm run test:browser`, or `bash .ci/browser.sh`,
// which installs Debian's chromium first. HELIOS_CHROMIUM names another Chromium binary. The tests run
// in order on one Node-RED and one open page.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { chromium } = require('playwright-core');
const { prepareUserDir, startNodeRed, PACKAGE_ROOT } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const DASHBOARD = '@flowfuse/node-red-dashboard';
const DASHBOARD_VERSION = require(`${DASHBOARD}/package.json`).version;
const EXAMPLE = path.join(PACKAGE_ROOT, 'examples', 'chart-from-query.json');
const SCREENSHOT = path.join(PACKAGE_ROOT, '.tmp', 'chart-from-query.png');
const HOUR = 3600000;
const DEFAULTS_TITLE = 'ui-chart with its editor defaults';
const REFERENCE_URL = '/helios-browser-test/state';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until `done(value)` holds or `ms` pass; returns the last value either way. */
async function poll(probe, done, ms = 30000) {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(250);
    value = await probe();
  }
  return value;
}

/**
 * The example as deployed here, plus test-only nodes. The timers of the repeating injects are stopped
 * (the test presses those buttons itself) so that the database and the chart change only when the test
 * says so. A second helios-query with the same SQL in *rows* mode gets every message the chart query
 * gets: its rows are the reference. A second ui-chart keeps ui-chart's editor defaults.
 */
function testFlow() {
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const query = example.find((n) => n.type === 'helios-query' && n.output === 'chart');
  const chart = example.find((n) => n.type === 'ui-chart');
  const liveStore = example.find((n) => n.type === 'helios-store' && n.wires.flat().length === 0);
  const tab = query.z;
  const feedsQuery = (n) => (n.wires ?? []).flat().includes(query.id);
  const flow = example.map((n) => ({ ...n }));
  const timers = flow.filter((n) => n.type === 'inject' && n.repeat !== '');
  for (const n of timers) Object.assign(n, { repeat: '', once: false });
  const refresh = timers.find(feedsQuery);
  const simulator = timers.find((n) => n !== refresh);
  for (const n of flow.filter(feedsQuery)) n.wires = [[...n.wires[0], 'test-rows']];
  flow.find((n) => n.id === liveStore.id).wires = [['test-live-stored']];
  flow.find((n) => n.id === query.id).wires = [[chart.id, 'test-defaults-chart']];
  const fn = (id, func, wires = []) => ({ id, type: 'function', z: tab, func, outputs: 1, wires: [wires] });
  flow.push(
    { id: tab, type: 'tab', label: 'chart-from-query' },
    { ...query, id: 'test-rows', output: 'rows', timeFormat: 'ms', wires: [['test-keep-rows']] },
    fn('test-keep-rows', "flow.set('rows', { seq: (flow.get('rows')?.seq ?? 0) + 1, rows: msg.payload });"),
    fn('test-live-stored', "flow.set('liveStored', (flow.get('liveStored') ?? 0) + 1);"),
    { id: 'test-http', type: 'http in', z: tab, url: REFERENCE_URL, method: 'get', wires: [['test-reply']] },
    fn(
      'test-reply',
      "msg.payload = { rows: flow.get('rows') ?? null, liveStored: flow.get('liveStored') ?? 0 }; return msg;",
      ['test-http-out'],
    ),
    { id: 'test-http-out', type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
    {
      ...chart,
      id: 'test-defaults-chart',
      label: DEFAULTS_TITLE,
      order: 2,
      xAxisProperty: null,
      xAxisPropertyType: 'timestamp',
      yAxisProperty: 'payload',
      yAxisPropertyType: 'msg',
      removeOlder: 1,
      removeOlderUnit: '3600',
      wires: [[]],
    },
  );
  const page = example.find((n) => n.type === 'ui-page');
  const base = example.find((n) => n.type === 'ui-base');
  return { flow, chart, refresh, simulator, pagePath: `${base.path}${page.path}` };
}

/**
 * Reads the chart titled `title` from the page: x-axis type and extent, and each series' name and
 * [x, y] points. Dashboard 2 draws ui-chart with ECharts and its bundle exports only echarts.init, which
 * returns the instance already bound to an element (as echarts.getInstanceByDom does).
 */
function readChart(page, title) {
  return page.evaluate(async (title) => {
    const url = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .find((name) => /\/echarts-[\w-]+\.js$/.test(name));
    if (!url) return null;
    // A y that is no number is described, not copied: with ui-chart's defaults it is a whole payload.
    const described = (y) => (Array.isArray(y) ? { array: y.length } : y);
    const echarts = await import(url);
    const instanceOf =
      echarts.getInstanceByDom ?? Object.values(echarts).find((f) => typeof f === 'function');
    for (const el of document.querySelectorAll('[_echarts_instance_]')) {
      const chart = instanceOf(el);
      const option = chart.getOption();
      if (option.title?.[0]?.text !== title) continue;
      return {
        xAxisType: option.xAxis[0].type,
        xExtent: chart.getModel().getComponent('xAxis', 0).axis.scale.getExtent(),
        series: option.series.map((s) => ({
          name: s.name,
          points: s.data.map((d) => (Array.isArray(d) ? d : d.value)).map(([x, y]) => [x, described(y)]),
        })),
      };
    }
    return null;
  }, title);
}

/** What the chart should hold: one series per value column, named after it, points [time, value]. */
function expectedSeries(rows) {
  const columns = Object.keys(rows[0]).filter((c) => c !== 'time');
  return columns.map((name) => ({ name, points: rows.map((r) => [r.time, r[name]]) }));
}

describe(`browser: the chart example in Chromium with FlowFuse Dashboard 2 (${DASHBOARD} ${DASHBOARD_VERSION})`, function () {
  this.timeout(120000);
  let runtime;
  let browser;
  let page;
  let setup;
  const pageErrors = [];

  const state = async () => (await fetch(runtime.url + REFERENCE_URL)).json();
  const press = async (inject) => {
    const res = await fetch(`${runtime.url}/inject/${inject.id}`, { method: 'POST' });
    assert.strictEqual(res.status, 200, `pressing ${inject.name}: ${res.status}`);
  };
  /** Waits until the chart in the page equals the series expected from `rows`; returns the chart read. */
  const chartMatching = async (rows) => {
    const want = expectedSeries(rows);
    const got = await poll(
      () => readChart(page, setup.chart.label),
      (c) => c !== null && isDeepStrictEqual(c.series, want),
    );
    assert.ok(
      got,
      `no chart titled "${setup.chart.label}" in the page; page errors: ${pageErrors.join('; ')}`,
    );
    assert.deepStrictEqual(got.series, want, 'the chart plots exactly the rows the query returned');
    return got;
  };
  let firstRows;
  let latestRows;
  let refreshedAt;

  before(async () => {
    setup = testFlow();
    const userDir = tempDir('helios-browser-');
    prepareUserDir(userDir, { flows: setup.flow });
    // Dashboard 2 installed in the user directory, as the palette manager would.
    const link = path.join(userDir, 'node_modules', ...DASHBOARD.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.dirname(require.resolve(`${DASHBOARD}/package.json`)), link, 'dir');
    runtime = await startNodeRed(userDir);
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    if (browser) await browser.close();
    if (runtime) await runtime.stop();
  });

  it(`loads ${DASHBOARD} ${DASHBOARD_VERSION} from the user directory and starts the flow cleanly`, async () => {
    const nodes = await (
      await fetch(`${runtime.url}/nodes`, { headers: { Accept: 'application/json' } })
    ).json();
    const dashboard = nodes.filter((s) => s.module === DASHBOARD);
    assert.ok(dashboard.length > 0, `${DASHBOARD} is loaded`);
    assert.strictEqual(dashboard[0].version, DASHBOARD_VERSION);
    assert.ok(dashboard.flatMap((s) => s.types).includes('ui-chart'));
    await poll(
      async () => runtime.log.join('\n'),
      (log) => /Started flows/.test(log),
    );
    const log = runtime.log.join('\n');
    assert.match(log, /Started flows/);
    assert.doesNotMatch(log, /missing types|Unknown type/i);
  });

  it('plots the stored history as the query returned it: series names, points, x (time) and y', async () => {
    const reference = await poll(state, (s) => s.rows !== null);
    assert.ok(reference.rows, 'the query ran after the history was stored');
    firstRows = reference.rows.rows;
    assert.ok(firstRows.length >= 100, `the query returned ${firstRows.length} rows`);
    await page.goto(runtime.url + setup.pagePath);
    const chart = await chartMatching(firstRows);
    assert.strictEqual(chart.xAxisType, 'time');
    assert.deepStrictEqual(
      chart.series.map((s) => s.name),
      ['temperature', 'vibration'],
    );
  });

  it('shows the points older than one hour (ui-chart drops them by default), within the x-axis', async () => {
    const chart = await readChart(page, setup.chart.label);
    const hourAgo = Date.now() - HOUR;
    const olderRows = firstRows.filter((r) => r.time < hourAgo).length;
    assert.ok(olderRows >= 60, `the history reaches back more than an hour (${olderRows} older rows)`);
    for (const s of chart.series) {
      assert.strictEqual(s.points.filter(([x]) => x < hourAgo).length, olderRows, `${s.name}: older points`);
    }
    const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
    const [min, max] = chart.xExtent;
    assert.ok(min <= Math.min(...xs) && max >= Math.max(...xs), `x-axis ${min}..${max} covers every point`);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('a live reading and the next query reach the open page', async () => {
    await press(setup.simulator);
    await poll(state, (s) => s.liveStored === 1);
    refreshedAt = Date.now();
    await press(setup.refresh);
    const reference = await poll(state, (s) => s.rows?.seq === 2);
    assert.strictEqual(reference.rows?.seq, 2, 'the refresh ran the query again');
    const rows = reference.rows.rows;
    assert.strictEqual(rows.length, firstRows.length + 1, 'one more bucket: the live reading');
    await chartMatching(rows);
    latestRows = rows;
  });

  it("with ui-chart's editor defaults the same messages do not plot the query (why the example sets X and Y)", async () => {
    const rows = latestRows;
    assert.ok(rows, 'the previous test left the rows of the live query');
    const settled = (c) => c?.series.length === 2 && c.series.every((s) => s.points.length === rows.length);
    const chart = await poll(() => readChart(page, DEFAULTS_TITLE), settled);
    assert.ok(settled(chart), `the defaults chart shows both series, ${rows.length} points each`);
    const times = new Set(rows.map((r) => r.time));
    for (const s of chart.series) {
      assert.ok(
        s.points.every(([x]) => x >= refreshedAt && x <= Date.now() && !times.has(x)),
        `${s.name}: every x is the time the message arrived, none a time of the query`,
      );
      assert.ok(
        s.points.every(([, y]) => y?.array === rows.length),
        `${s.name}: y is the whole msg.payload, not a number`,
      );
    }
  });

  it('Node-RED logged no error and the page threw none', () => {
    assert.doesNotMatch(runtime.log.join('\n'), /\[error\]/);
    assert.deepStrictEqual(pageErrors, []);
  });
});

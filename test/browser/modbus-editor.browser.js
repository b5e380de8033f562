// The Modbus nodes' dialogs in a real browser: examples/manufacturing-line.json in a real Node-RED,
// opened in Chromium through playwright-core. The register map table shows the example's rows, rows
// pasted as CSV are added, and what the dialog saves is what the runtime reads; the device dialog
// shows the TCP or the RTU fields; the help of both nodes fits the sidebar.
//
// Not in mocha's default spec (it needs Chromium): `npm run test:browser`, or `bash .ci/browser.sh`.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { prepareUserDir, startNodeRed, PACKAGE_ROOT } = require('../../scripts/node-red-runner');
const { tempDir } = require('../helpers');

const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const EXAMPLE = path.join(PACKAGE_ROOT, 'examples', 'manufacturing-line.json');

describe('the Modbus dialogs (Chromium)', function () {
  this.timeout(120000);
  let runtime;
  let browser;
  let page;
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const poll = example.find((n) => n.type === 'helios-modbus');

  before(async () => {
    const userDir = tempDir('helios-modbus-editor-');
    const tab = { id: poll.z, type: 'tab', label: 'manufacturing-line' };
    prepareUserDir(userDir, { flows: [tab, ...example] });
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
  });

  after(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('the register map table holds the rows; pasted CSV adds rows; the saved map is what the runtime reads', async () => {
    await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), poll.id);
    await page.waitForSelector('#node-input-map-container', { state: 'visible' });
    await page.waitForTimeout(500);
    const shown = await page.evaluate(() => $('#node-input-map-container').editableList('items').length);
    assert.strictEqual(shown, poll.map.length);
    const first = await page.evaluate(() => {
      const item = $($('#node-input-map-container').editableList('items')[0]);
      return ['name', 'unit', 'table', 'address', 'type', 'order', 'tags', 'interval'].map((c) =>
        item.find(`.helios-modbus-${c}`).val(),
      );
    });
    assert.deepStrictEqual(first, [
      'temperature',
      '1',
      'holding',
      '0',
      'float32',
      'ABCD',
      'machine=press',
      '1s',
    ]);
    await page.fill(
      '#node-input-map-import',
      'name,unit,table,address,type,order,scale,tags\nflow,4,input,10,float32,DCBA,0.5,"line=2;cell=a"\nlamp,4,coil,1,,,,',
    );
    await page.click('#node-input-map-import-button');
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(PACKAGE_ROOT, '.tmp', 'editor-helios-modbus-dialog.png') });
    await page.evaluate(() => $('#node-dialog-ok').click());
    await page.waitForTimeout(500);
    const saved = await page.evaluate((id) => RED.nodes.node(id).map, poll.id);
    assert.strictEqual(saved.length, poll.map.length + 2);
    assert.deepStrictEqual(saved.at(-2), {
      name: 'flow',
      unit: '4',
      table: 'input',
      address: '10',
      type: 'float32',
      order: 'DCBA',
      scale: '0.5',
      tags: 'line=2;cell=a',
    });
    // A coil row holds one bit: the dialog saves it as bool (its type select is fixed there).
    assert.deepStrictEqual(saved.at(-1), {
      name: 'lamp',
      unit: '4',
      table: 'coil',
      address: '1',
      type: 'bool',
      order: 'ABCD',
    });
    const { readRegisterMap } = require('../../dist/nodes/lib/modbus/register-map.js');
    const entries = readRegisterMap(saved);
    assert.deepStrictEqual(
      entries.slice(-2).map((e) => [e.name, e.unitId, e.table, e.type, e.order, e.scale, e.tags]),
      [
        ['flow', 4, 'input', 'float32', 'DCBA', 0.5, { line: '2', cell: 'a' }],
        ['lamp', 4, 'coil', 'bool', 'ABCD', 1, {}],
      ],
    );
  });

  it('the device dialog shows the TCP fields, or the RTU ones', async () => {
    const id = example.find((n) => n.type === 'helios-modbus-device').id;
    await page.evaluate((deviceId) => RED.editor.editConfig('', 'helios-modbus-device', deviceId), id);
    await page.waitForSelector('#node-config-input-transport', { state: 'visible' });
    await page.waitForTimeout(300);
    const seen = await page.evaluate(() => {
      const visible = (sel) => $(sel).is(':visible');
      const tcp = {
        host: visible('#node-config-input-host'),
        serial: visible('#node-config-input-serialPort'),
      };
      $('#node-config-input-transport').val('rtu').trigger('change');
      const rtu = {
        host: visible('#node-config-input-host'),
        serial: visible('#node-config-input-serialPort'),
      };
      return { tcp, rtu };
    });
    await page.evaluate(() => RED.tray.close());
    await page.waitForTimeout(300);
    assert.deepStrictEqual(seen, { tcp: { host: true, serial: false }, rtu: { host: false, serial: true } });
  });

  it('the help of both nodes stays within the sidebar at its default width', async () => {
    const wide = [];
    for (const type of ['helios-modbus', 'helios-modbus-device']) {
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
      if (over.length > 0) wide.push(`${type}: ${over.join(' | ')}`);
    }
    assert.deepStrictEqual(wide, []);
  });
});

// helios-sync over the real engine in node-red-node-test-helper: helios-store writes into the edge
// database, helios-sync (edge) sends it through a real Mosquitto, helios-sync (hub) applies it to the
// hub database. Rows compared at both ends; the TOML [sync] table alone provisions a node.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { helper, allNodes, tempDir, openDb } = require('./support');
const syncNode = require('../../dist/nodes/helios-sync.js');
const { startBroker } = require('../support/mosquitto');

const nodes = [...allNodes, syncNode];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
function lastStatus(id) {
  const node = helper.getNode(id);
  const calls = node.status.getCalls().filter((c) => c.thisValue === node);
  return calls.length ? calls[calls.length - 1].args[0] : {};
}

function flow(broker, { edgeToml, dirs = { 'db-edge': tempDir(), 'db-hub': tempDir() } } = {}) {
  const db = (id, name, extra = {}) => ({
    id,
    type: 'helios-db',
    name,
    dir: dirs[id],
    durability: 'batch',
    batchIntervalMs: 20,
    ...extra,
  });
  const edge = edgeToml
    ? { id: 'n-edge', z: 'f1', type: 'helios-sync', db: 'db-edge', wires: [['out-edge'], []] }
    : {
        id: 'n-edge',
        z: 'f1',
        type: 'helios-sync',
        db: 'db-edge',
        role: 'edge',
        endpoint: broker.url,
        deviceId: 'gw-1',
        intervalSecs: 1,
        wires: [['out-edge'], []],
      };
  return [
    { id: 'f1', type: 'tab', label: 'sync' },
    db('db-edge', 'edge db', edgeToml ? { configFile: edgeToml } : {}),
    db('db-hub', 'hub db'),
    {
      id: 'n-store',
      z: 'f1',
      type: 'helios-store',
      db: 'db-edge',
      table: 'plant',
      topicTag: 'sensor_id',
      wires: [[]],
    },
    edge,
    {
      id: 'n-hub',
      z: 'f1',
      type: 'helios-sync',
      db: 'db-hub',
      role: 'hub',
      endpoint: broker.url,
      wires: [['out-hub'], []],
    },
    { id: 'out-edge', z: 'f1', type: 'helper' },
    { id: 'out-hub', z: 'f1', type: 'helper' },
  ];
}

describe('helios-sync node over the real engine', function () {
  this.timeout(40000);
  let broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });
  afterEach(async () => {
    await helper.unload();
  });

  /** a batch published before the hub's first subscription reaches no one (sent again after 30 s) */
  const hubUp = () => until('the hub', () => lastStatus('n-hub').fill === 'green');

  async function storeAndCompare() {
    await hubUp();
    const store = helper.getNode('n-store');
    const t0 = Date.now() - 600_000;
    for (let i = 0; i < 300; i++) store.receive({ topic: `S${i % 3}`, payload: i, timestamp: t0 + i * 1000 });
    const edgeDb = await openDb('db-edge');
    await until('stored', async () => (await edgeDb.read('plant')).length === 300);
    const hubDb = await openDb('db-hub');
    await until('at the hub', async () => {
      try {
        return (await hubDb.read('plant')).length >= 300;
      } catch {
        return false; // the table is not there yet
      }
    });
    await sleep(300);
    const key = (r) => `${r.sensor_id}|${r.time}|${r.value}`;
    const edgeKeys = (await edgeDb.read('plant')).map(key).sort();
    const hubRows = await hubDb.read('plant');
    assert.deepStrictEqual(hubRows.map(key).sort(), edgeKeys, '0 lost, 0 doubled');
    assert.ok(hubRows.every((r) => r.device_id === 'gw-1'));
  }

  it('store -> edge -> broker -> hub: the same rows at both ends, and per-table messages at the hub', async () => {
    await helper.load(nodes, flow(broker));
    const applied = [];
    helper.getNode('out-hub').on('input', (m) => applied.push(m.payload));
    await storeAndCompare();
    await until('the hub messages', () => applied.reduce((n, a) => n + a.rows, 0) === 300);
    assert.ok(applied.every((a) => a.device === 'gw-1' && a.table === 'plant' && a.from <= a.to));
    await until('synced', () => /^synced /.test(lastStatus('n-edge').text ?? ''));
    assert.match(lastStatus('n-hub').text, /^hub · 1 device/);
  });

  it('an edge provisioned by the TOML [sync] table alone', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'helios.toml');
    fs.writeFileSync(
      file,
      `[sync]\nrole = "edge"\nsync_endpoint = "${broker.url}"\ndevice_id = "gw-1"\nsync_interval_secs = 1\n`,
    );
    await helper.load(nodes, flow(broker, { edgeToml: file }));
    await storeAndCompare();
  });

  it('a redeploy right after msg.sync (3,000 rows waiting): afterwards every row at the hub once', async () => {
    const dirs = { 'db-edge': tempDir(), 'db-hub': tempDir() };
    await helper.load(nodes, flow(broker, { dirs }));
    await hubUp();
    const store = helper.getNode('n-store');
    const t0 = Date.now() - 600_000;
    for (let i = 0; i < 3000; i++) store.receive({ topic: `S${i % 3}`, payload: i, timestamp: t0 + i * 100 });
    const edgeDb = await openDb('db-edge');
    await until('stored', async () => (await edgeDb.read('plant')).length === 3000);
    helper.getNode('n-edge').receive({ sync: true });
    await sleep(30);
    await helper.unload();
    await helper.load(nodes, flow(broker, { dirs }));
    await storeAndCompareAfterRedeploy(3000);
  });

  async function storeAndCompareAfterRedeploy(n) {
    const edgeDb = await openDb('db-edge');
    const hubDb = await openDb('db-hub');
    await until('at the hub', async () => {
      try {
        return (await hubDb.read('plant')).length >= n;
      } catch {
        return false;
      }
    });
    await sleep(300);
    const key = (r) => `${r.sensor_id}|${r.time}|${r.value}`;
    assert.deepStrictEqual(
      (await hubDb.read('plant')).map(key).sort(),
      (await edgeDb.read('plant')).map(key).sort(),
    );
  }
});

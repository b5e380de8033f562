// helios-sync in node-red-node-test-helper: an edge and a hub node over a real Mosquitto broker,
// with the in-memory engine of test/support/fake-sync.js installed through engine-port's test seam
// (until engine/sync lands; then test/nodes/sync.test.js runs the same over the real engine).
const assert = require('node:assert');
const { helper, allNodes, tempDir } = require('./support');
const syncNode = require('../../dist/nodes/helios-sync.js');
const { useSyncEngine } = require('../../dist/nodes/lib/sync/engine-port.js');
const { codec, FakeEdge, FakeHub, fakeRows } = require('../support/fake-sync');
const { startBroker, freePort } = require('../support/mosquitto');

const nodes = [...allNodes, syncNode];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function flow(brokerUrl, edgeExtra = {}, hubExtra = {}) {
  const db = (id, name) => ({
    id,
    type: 'helios-db',
    name,
    dir: tempDir(),
    durability: 'batch',
    batchIntervalMs: 20,
  });
  return [
    { id: 'f1', type: 'tab', label: 'sync' },
    db('db-edge', 'edge db'),
    db('db-hub', 'hub db'),
    {
      id: 'n-edge',
      z: 'f1',
      type: 'helios-sync',
      db: 'db-edge',
      role: 'edge',
      endpoint: brokerUrl,
      deviceId: 'truck-7',
      intervalSecs: 0,
      wires: [['out-edge'], ['out-down']],
      ...edgeExtra,
    },
    {
      id: 'n-hub',
      z: 'f1',
      type: 'helios-sync',
      db: 'db-hub',
      role: 'hub',
      endpoint: brokerUrl,
      // a session of its own per test: a persistent session would hand it the last test's batches
      clientId: `hub-${Math.random().toString(36).slice(2)}`,
      wires: [['out-hub'], []],
      ...hubExtra,
    },
    { id: 'out-edge', z: 'f1', type: 'helper' },
    { id: 'out-down', z: 'f1', type: 'helper' },
    { id: 'out-hub', z: 'f1', type: 'helper' },
  ];
}

/** the last status node `id` showed (the helper's spies are shared by every node: filter by this) */
function lastStatus(id) {
  const node = helper.getNode(id);
  const calls = node.status.getCalls().filter((c) => c.thisValue === node);
  return calls.length ? calls[calls.length - 1].args[0] : {};
}

/** calls of the node's own `method` (error, warn) */
function callsOf(id, method) {
  const node = helper.getNode(id);
  return node[method].getCalls().filter((c) => c.thisValue === node);
}

/** both sync nodes connected (a batch published before the hub subscribed waits for its answer timeout) */
function bothGreen() {
  return until('both connected', () => ['n-edge', 'n-hub'].every((id) => lastStatus(id).fill === 'green'));
}

function collect(id) {
  const got = [];
  helper.getNode(id).on('input', (m) => got.push(m));
  return got;
}

describe('helios-sync node (fake engine, real broker)', function () {
  this.timeout(30000);
  let broker;
  let fake;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });
  beforeEach(() => {
    fake = { edge: new FakeEdge('truck-7', { batchRows: 100 }), hub: new FakeHub() };
    useSyncEngine({
      codec,
      database: () => ({ openSyncEdge: async () => fake.edge, openSyncHub: async () => fake.hub }),
    });
  });
  afterEach(async () => {
    await helper.unload();
    useSyncEngine(null);
  });

  it('edge -> hub on msg.sync: the hub sends one message per applied table; 0 lost, 0 doubled', async () => {
    await helper.load(nodes, flow(broker.url));
    const applied = collect('out-hub');
    const replies = collect('out-edge');
    await bothGreen();
    fake.edge.write(fakeRows(1000));
    helper.getNode('n-edge').receive({ sync: true });
    await until('all applied', () => fake.hub.rows.length === 1000);
    await until('the outputs', () => applied.length === 10);
    assert.strictEqual(new Set(fake.hub.rows.map((r) => r.time)).size, 1000);
    assert.deepStrictEqual(Object.keys(applied[0].payload).sort(), [
      'device',
      'epoch',
      'from',
      'rows',
      'seq',
      'table',
      'to',
    ]);
    assert.strictEqual(applied[0].topic, 'truck-7');
    assert.strictEqual(
      applied.reduce((n, m) => n + m.payload.rows, 0),
      1000,
    );
    assert.strictEqual(replies[0].payload.role, 'edge');
    assert.strictEqual(replies[0].payload.deviceId, 'truck-7');
    await until('synced status', () => /^synced /.test(lastStatus('n-edge').text));
  });

  it('sends nothing until its conditions hold (topic = condition, payload true/false)', async () => {
    await helper.load(nodes, flow(broker.url, { conditions: 'parked, wifi_available', intervalSecs: 1 }));
    fake.edge.write(fakeRows(200));
    const edge = helper.getNode('n-edge');
    await sleep(1500);
    assert.strictEqual(fake.hub.rows.length, 0);
    assert.match(lastStatus('n-edge').text, /^waiting for parked, wifi_available · 200 waiting/);
    await until('the hub', () => lastStatus('n-hub').fill === 'green');
    edge.receive({ topic: 'parked', payload: true });
    edge.receive({ topic: 'wifi_available', payload: 'true' });
    await until('sent', () => fake.hub.rows.length === 200);
  });

  it('a downlink message from the hub flow comes out of the edge second output once', async () => {
    await helper.load(nodes, flow(broker.url));
    const down = collect('out-down');
    await bothGreen();
    fake.edge.write(fakeRows(10));
    helper.getNode('n-edge').receive({ sync: true });
    await until('the hub knows the device', () => fake.hub.devices().length === 1);
    const hubReplies = collect('out-hub');
    helper.getNode('n-hub').receive({ device: '*', payload: { setpoint: 21 } });
    await until('delivered', () => down.length === 1);
    await until('acknowledged', () => fake.hub.pendingDown('truck-7') === null);
    assert.deepStrictEqual(down[0].payload, { setpoint: 21 });
    assert.strictEqual(down[0].down.id, 1);
    assert.deepStrictEqual(hubReplies[0].down, { id: 1, device: '*' });
  });

  it('quarantine commands: list, export, retry, drop; a bad one is a sentence for Catch', async () => {
    await helper.load(nodes, flow(broker.url));
    fake.hub.rejectTable = 'bad';
    const replies = collect('out-edge');
    const edge = helper.getNode('n-edge');
    const errors = [];
    edge.on('call:error', (c) => errors.push(String(c.args[0])));
    // rows after both are up: a batch published before the hub's first subscription reaches no one
    // (the edge sends it again after its answer timeout, 30 s)
    await bothGreen();
    fake.edge.write(fakeRows(100, { table: 'bad' }));
    fake.edge.write(fakeRows(100));
    edge.receive({ sync: true });
    await until('the good rows', () => fake.hub.rows.length === 100);
    await until('the error', () => errors.length === 1);
    assert.match(errors[0], /rejected batch 1 .*schema conflict.*msg\.quarantine/);
    edge.receive({ quarantine: { action: 'list' } });
    await until('list', () => replies.length === 2);
    assert.strictEqual(replies[1].payload[0].seq, 1);
    edge.receive({ quarantine: { action: 'export', seq: 1 } });
    await until('export', () => replies.length === 3);
    assert.ok(Buffer.isBuffer(replies[2].payload));
    assert.strictEqual(JSON.parse(replies[2].payload.toString()).rows.length, 100);
    edge.receive({ quarantine: { action: 'explode', seq: 1 } });
    await until('bad action error', () => errors.length === 2);
    assert.match(
      errors[1],
      /msg\.quarantine\.action must be "list", "retry", "export" or "drop"; got "explode"\./,
    );
    edge.receive({ quarantine: { action: 'drop', seq: 9 } });
    await until('bad seq error', () => errors.length === 3);
    assert.match(errors[2], /No quarantined batch has seq 9; the quarantined ones are 1\./);
    edge.receive({ quarantine: { action: 'drop', seq: 1 } });
    await until('dropped', () => replies.length === 4);
    assert.deepStrictEqual(replies[3].payload, []);
  });

  it('with no broker: a yellow "connecting" ring, the rows kept, no error', async () => {
    const port = await freePort();
    await helper.load(nodes, flow(`mqtt://127.0.0.1:${port}`, {}, {}));
    fake.edge.write(fakeRows(5));
    const edge = helper.getNode('n-edge');
    const hub = helper.getNode('n-hub');
    const errors = [];
    edge.on('call:error', (c) => errors.push(c));
    hub.on('call:error', (c) => errors.push(c));
    await sleep(2500);
    assert.deepStrictEqual(lastStatus('n-edge'), {
      fill: 'yellow',
      shape: 'ring',
      text: 'connecting · 5 waiting',
    });
    assert.strictEqual(lastStatus('n-hub').fill, 'yellow');
    assert.deepStrictEqual(errors, []);
    // one warning for the refused connection, not one per retry
    assert.ok(callsOf('n-edge', 'warn').length <= 1, `warnings: ${callsOf('n-edge', 'warn').length}`);
  });

  it('a bad setting: a red ring and one sentence for Catch', async () => {
    await helper.load(nodes, flow(broker.url, { schedule: '0 2 * *' }));
    await until('the error', () => callsOf('n-edge', 'error').length === 1);
    assert.match(
      String(callsOf('n-edge', 'error')[0].args[0]),
      /The field schedule: The schedule "0 2 \* \*" has 4 field\(s\)/,
    );
    await until('red', () => lastStatus('n-edge').fill === 'red');
    // with a message: Catch nodes see node.error only when it carries one
    assert.strictEqual(typeof callsOf('n-edge', 'error')[0].args[1], 'object');
  });
});

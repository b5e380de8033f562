// examples/manufacturing-line.json against the simulated PLC (test/support/modbus-plc.js): the
// example's own nodes, its register map and its two queries, with the debug nodes as helpers.
const assert = require('node:assert/strict');
const { helper, allNodes, tempDir, tick } = require('./support');
const { startPlc } = require('../support/modbus-plc');

const switchNode = require('@node-red/nodes/core/function/10-switch.js');
const nodes = [
  ...allNodes,
  require('../../dist/nodes/helios-modbus-device.js'),
  require('../../dist/nodes/helios-modbus.js'),
  switchNode,
];

function exampleFlow(port, dir) {
  const flow = require('../../examples/manufacturing-line.json');
  const z = flow.find((n) => n.z).z;
  return [
    { id: z, type: 'tab', label: 'example' },
    ...flow
      .filter((n) => n.type !== 'comment' && n.type !== 'inject')
      .map((n) => {
        if (n.type === 'debug') return { id: n.id, z, type: 'helper', name: n.name };
        if (n.type === 'helios-modbus-device') return { ...n, port };
        if (n.type === 'helios-db') return { ...n, dir, batchIntervalMs: 20 };
        return n;
      }),
  ];
}

describe('examples/manufacturing-line.json with the simulated PLC', function () {
  this.timeout(30000);
  let plc;
  before(async () => {
    plc = await startPlc({ port: 0 });
  });
  after(async () => {
    await plc.close();
    await helper.unload();
  });

  it('polls, stores, and both queries answer every second without an error', async () => {
    const flow = exampleFlow(plc.port, tempDir());
    await helper.load(nodes, flow);
    const health = helper.getNode(flow.find((n) => n.name === 'health').id);
    const anomalies = helper.getNode(flow.find((n) => n.name === 'anomalies').id);
    const got = { health: [], anomalies: [] };
    health.on('input', (m) => got.health.push(m.payload));
    anomalies.on('input', (m) => got.anomalies.push(m.payload));
    plc.state.spikeUntil = Date.now() + 60_000; // the press overheats: 180 + 25 C
    await tick(3500);
    const errors = flow
      .filter((n) => n.type.startsWith('helios-'))
      .flatMap(
        (n) =>
          helper
            .getNode(n.id)
            ?.error.getCalls()
            .map((c) => `${n.type}: ${c.args[0]}`) ?? [],
      );
    assert.deepStrictEqual(errors, []);
    assert.ok(got.health.length >= 2, `${got.health.length} health answers`);
    const last = got.health.at(-1);
    assert.deepStrictEqual(
      last.map((r) => r.machine),
      ['conveyor', 'oven', 'press'],
    );
    const press = last.find((r) => r.machine === 'press');
    assert.strictEqual(press.good, press.polls);
    assert.ok(press.press_temperature > 195, `press ${press.press_temperature}`);
    assert.ok(last.find((r) => r.machine === 'oven').oven_temperature > 215);
    assert.ok(got.anomalies.at(-1).some((r) => r.machine === 'press' && r.temperature > 190));
  });
});

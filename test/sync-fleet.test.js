// A fleet of edge engines (10 here; test/faults/sync-faults.js runs 100) against one hub over one
// real Mosquitto: every edge's rows at the hub once, tagged with its device.
const assert = require('node:assert');
const { startBroker } = require('./support/mosquitto');
const { fleet } = require('./support/sync-fleet');

describe('sync: a fleet against one hub', function () {
  this.timeout(60000);
  let broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });

  it('10 edges x 500 readings over one broker: 0 lost, 0 doubled', async () => {
    const r = await fleet({ broker, edges: 10, timeoutMs: 40_000 });
    assert.ok(r.allDrained, 'every edge drained');
    assert.deepStrictEqual(
      { edgeRows: r.edgeRows, hubRows: r.hubRows, lost: r.lost, doubled: r.doubled },
      { edgeRows: 5000, hubRows: 5000, lost: 0, doubled: 0 },
    );
  });
});

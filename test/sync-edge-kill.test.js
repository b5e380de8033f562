// An edge process SIGKILLed mid-send at random moments (6 times here; test/faults/sync-faults.js
// does it 25 times), writing as it goes, then restarted to drain: at the hub every row the edge
// holds, once, and every write the edge acknowledged before a kill is there.
const assert = require('node:assert');
const { startBroker } = require('./support/mosquitto');
const { edgeKillLoop, compareRows } = require('./support/sync-edge-kill');

describe('sync: edge SIGKILLed mid-send', function () {
  this.timeout(60000);
  let broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });

  it('6 kills at random moments, then a drain: 0 lost, 0 doubled, every acknowledged write at the hub', async () => {
    const r = await edgeKillLoop({ broker, kills: 6 });
    assert.ok(r.drained, 'the last life drained');
    assert.ok(r.killedMidSend >= 3, `killed before it had sent everything: ${r.killedMidSend} of 6`);
    assert.ok(
      r.edgeRows.length >= r.acknowledged,
      `edge holds ${r.edgeRows.length} of ${r.acknowledged} acknowledged`,
    );
    assert.deepStrictEqual(compareRows(r.edgeRows, r.hubRows), { lost: 0, doubled: 0, extra: 0 });
  });
});

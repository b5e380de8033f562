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
    // seeded, and lives long enough (2,000 readings each) that a kill in the first 300 ms lands
    // mid-send on a quiet machine too (400 readings drained before most kills in a clean CI run)
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const r = await edgeKillLoop({ broker, kills: 6, writesPerLife: 2000, random });
    assert.ok(r.drained, 'the last life drained');
    assert.ok(r.killedMidSend >= 2, `killed before it had sent everything: ${r.killedMidSend} of 6`);
    assert.ok(
      r.edgeRows.length >= r.acknowledged,
      `edge holds ${r.edgeRows.length} of ${r.acknowledged} acknowledged`,
    );
    assert.deepStrictEqual(compareRows(r.edgeRows, r.hubRows), { lost: 0, doubled: 0, extra: 0 });
  });
});

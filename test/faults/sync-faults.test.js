// The sync fault suite (test/faults/sync-faults.js) at CI sizes: 12 edge SIGKILLs at seeded random
// moments and a fleet of 40 edges, each against its own Mosquitto (free port, stopped by PID).
// HELIOS_FAULT_LONG=1 runs the full sizes (25 kills, 100 edges).
const assert = require('node:assert');
const { startBroker } = require('../support/mosquitto');
const { edgeKills, fleetOf, seeded } = require('./sync-faults');

const LONG = process.env.HELIOS_FAULT_LONG === '1';

describe('sync faults (real broker, real processes)', function () {
  this.timeout(LONG ? 900_000 : 180_000);
  let broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.close();
  });

  it(`an edge SIGKILLed ${LONG ? 25 : 12} times mid-send, then drained: 0 lost, 0 doubled`, async () => {
    const r = await edgeKills(broker, LONG ? 25 : 12, seeded(20261204), () => {});
    assert.ok(r.killedMidSend >= 2, `killed before it had sent everything: ${r.killedMidSend}`);
  });

  it(`a fleet of ${LONG ? 100 : 40} edges against one hub: 0 lost, 0 doubled`, async () => {
    const r = await fleetOf(broker, LONG ? 100 : 40, () => {});
    assert.ok(r.edgeRows > 0);
  });
});

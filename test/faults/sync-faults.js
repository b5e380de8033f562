#!/usr/bin/env node
// The longer helios-sync fault suite: an edge process SIGKILLed mid-send at random moments while it
// writes, then drained; a fleet of edge engines against one hub over one broker. Each run starts its
// own Mosquitto on a free loopback port and stops it by its PID (test/support/mosquitto.js).
// CI runs it small through test/faults/sync-faults.test.js (npm run test:faults, and the main mocha
// run); by hand: node test/faults/sync-faults.js [--kills 25] [--fleet 100] [--seed n]
// Exits 1 on any row lost or doubled.
const assert = require('node:assert');
const { startBroker } = require('../support/mosquitto');
const { edgeKillLoop, compareRows } = require('../support/sync-edge-kill');
const { fleet } = require('../support/sync-fleet');

/** A seeded generator in [0, 1). */
function seeded(seed) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** `kills` SIGKILLs of an edge at random moments, then a drain; the figures, checked. */
async function edgeKills(broker, kills, random, log = console.log) {
  const r = await edgeKillLoop({ broker, kills, random });
  const diff = compareRows(r.edgeRows, r.hubRows);
  log(
    `edge SIGKILL x${kills} (${r.killedMidSend} mid-send): edge ${r.edgeRows.length} rows ` +
      `(${r.acknowledged} acknowledged writes), hub ${r.hubRows.length}; lost ${diff.lost}, doubled ${diff.doubled}`,
  );
  assert.ok(r.drained, 'the last life drained');
  assert.ok(r.edgeRows.length >= r.acknowledged, `edge holds ${r.edgeRows.length} of ${r.acknowledged}`);
  assert.deepStrictEqual(diff, { lost: 0, doubled: 0, extra: 0 });
  return r;
}

/** `edges` edge engines against one hub; the figures, checked. */
async function fleetOf(broker, edges, log = console.log) {
  const r = await fleet({ broker, edges });
  log(
    `fleet of ${edges} edges: edge ${r.edgeRows} rows, hub ${r.hubRows}; lost ${r.lost}, doubled ${r.doubled}`,
  );
  assert.ok(r.allDrained, 'every edge drained');
  assert.deepStrictEqual(
    { lost: r.lost, doubled: r.doubled, hubRows: r.hubRows },
    { lost: 0, doubled: 0, hubRows: r.edgeRows },
  );
  return r;
}

module.exports = { edgeKills, fleetOf, seeded };

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const seed = opt('seed', Date.now() % 100000);
  console.log(`seed ${seed}`);
  const broker = await startBroker();
  try {
    await edgeKills(broker, opt('kills', 25), seeded(seed));
    await fleetOf(broker, opt('fleet', 100));
  } finally {
    await broker.close();
  }
  console.log('sync faults: all passed');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

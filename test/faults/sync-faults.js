#!/usr/bin/env node
// The longer helios-sync fault suite (not part of mocha's run; the lead wires it into .ci/run):
// an edge process SIGKILLed mid-send at 25 random moments while it writes, then drained; a fleet of
// 100 edge engines against one hub over one broker.
// Exits 1 on any row lost or doubled. Usage: node test/faults/sync-faults.js [--kills 25] [--fleet 100] [--seed n]
const assert = require('node:assert');
const { startBroker } = require('../support/mosquitto');
const { edgeKillLoop, compareRows } = require('../support/sync-edge-kill');
const { fleet } = require('../support/sync-fleet');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
let seed = opt('seed', Date.now() % 100000);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

async function edgeKills(broker) {
  const kills = opt('kills', 25);
  const r = await edgeKillLoop({ broker, kills, random });
  const diff = compareRows(r.edgeRows, r.hubRows);
  console.log(
    `edge SIGKILL x${kills} (${r.killedMidSend} mid-send): edge ${r.edgeRows.length} rows ` +
      `(${r.acknowledged} acknowledged writes), hub ${r.hubRows.length}; lost ${diff.lost}, doubled ${diff.doubled}`,
  );
  assert.ok(r.drained);
  assert.deepStrictEqual(diff, { lost: 0, doubled: 0, extra: 0 });
}

async function fleetOf(broker) {
  const edges = opt('fleet', 100);
  const r = await fleet({ broker, edges });
  console.log(
    `fleet of ${edges} edges: edge ${r.edgeRows} rows, hub ${r.hubRows}; lost ${r.lost}, doubled ${r.doubled}`,
  );
  assert.ok(r.allDrained);
  assert.deepStrictEqual(
    { lost: r.lost, doubled: r.doubled, hubRows: r.hubRows },
    { lost: 0, doubled: 0, hubRows: r.edgeRows },
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

async function main() {
  console.log(`seed ${seed}`);
  const broker = await startBroker();
  try {
    await edgeKills(broker);
    await fleetOf(broker);
  } finally {
    await broker.close();
  }
  console.log('sync faults: all passed');
}

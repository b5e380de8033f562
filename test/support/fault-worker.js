// The child of the kill suite (test/faults/kill.test.js): writes batches to table `live` and prints
// "ack <series> <firstTime> <count>" for each acknowledged one (synchronously, before the next
// write), while it also flushes, compacts, runs retention on table `old`, rolls `live` up and moves
// a sync cursor (an edge sending to a hub database beside it), in an order the seed decides, so a
// SIGKILL lands in any of them. argv: dir, durability, start time, seed.
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../../dist/engine');

const [dir, durability, startArg, seedArg] = process.argv.slice(2);
let seed = Number(seedArg);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const valueAt = (t) => Math.round(Math.sin(t / 1000) * 10000) / 100;
const DAY = 86400000;

async function syncStep(edge, hub) {
  const batch = await edge.next();
  if (!batch) return;
  const { ack } = await hub.apply(batch.bytes);
  await edge.acknowledge(ack);
}

async function main() {
  const options = { durability, memoryLimitMB: 1, compactionTrigger: 2, chunkRows: 4096 };
  const db = await open(path.join(dir, 'edge'), options);
  const hubDb = await open(path.join(dir, 'hub'), { durability });
  const edge = await db.openSyncEdge({ deviceId: 'gw-1', tables: ['live'] });
  const hub = await hubDb.openSyncHub();
  fs.writeSync(1, 'open\n');
  let t = Number(startArg);
  for (;;) {
    const series = `S${Math.floor(random() * 6)}`;
    const count = 1 + Math.floor(random() * 300);
    const readings = [];
    for (let i = 0; i < count; i++)
      readings.push({ time: t + i, tags: { sensor: series }, fields: { v: valueAt(t + i) } });
    await db.write('live', readings);
    fs.writeSync(1, `ack ${series} ${t} ${count}\n`);
    t += count;
    const pick = random();
    if (pick < 0.1) await db.flush();
    else if (pick < 0.17) await db.compact(true);
    else if (pick < 0.27) {
      // old rows for retention to drop, far from the times `live` uses
      await db.write('old', [{ time: t - 30 * DAY, tags: { sensor: series }, fields: { v: 1 } }]);
      await db.runRetention({ table: 'old', maxAge: '7d', keepUnsynced: false, now: t });
    } else if (pick < 0.35) await db.runDownsample({ source: 'live', bucket: '1m', now: t + DAY });
    else if (pick < 0.55) await syncStep(edge, hub);
  }
}

main().catch((err) => {
  fs.writeSync(2, `fault-worker failed: ${err.stack}\n`);
  process.exit(1);
});

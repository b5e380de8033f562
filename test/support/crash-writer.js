// Child process for the SIGKILL test: writes batches with durability 'always' and prints one line
// per acknowledged batch, "ack <series> <firstTime> <count>", written synchronously to stdout.
// Values are a function of time, so the parent can check every acknowledged reading exactly.
const fs = require('node:fs');
const { open } = require('../../dist/engine');

const [dir, startArg, seedArg] = process.argv.slice(2);
let seed = Number(seedArg);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const valueAt = (t) => Math.round(Math.sin(t / 1000) * 10000) / 100;

async function main() {
  const db = await open(dir, {
    durability: 'always',
    memoryLimitMB: 1,
    compactionTrigger: 2,
    chunkRows: 65536, // flushes leave small segments, so compaction runs often
  });
  fs.writeSync(1, 'open\n');
  let t = Number(startArg);
  for (;;) {
    const series = `S${Math.floor(random() * 8)}`;
    const count = 1 + Math.floor(random() * 400);
    const readings = [];
    for (let i = 0; i < count; i++)
      readings.push({ time: t + i, tags: { sensor: series }, fields: { v: valueAt(t + i) } });
    const writes = [db.write('crash', readings)];
    // Sometimes a second batch in flight at once, to exercise group commit.
    if (random() < 0.3) {
      const other = `S${Math.floor(random() * 8)}`;
      writes.push(
        db
          .write(
            'crash',
            readings.map((r) => ({ ...r, tags: { sensor: other } })),
          )
          .then(() => other),
      );
    }
    const results = await Promise.all(writes);
    fs.writeSync(1, `ack ${series} ${t} ${count}\n`);
    if (results.length > 1) fs.writeSync(1, `ack ${results[1]} ${t} ${count}\n`);
    t += count;
  }
}

main().catch((err) => {
  fs.writeSync(2, `crash-writer failed: ${err.stack}\n`);
  process.exit(1);
});

// A process that holds a database open as Node-RED would, for the CLI tests: writes a batch of 200
// readings every 5 ms, flushes every 10th batch and compacts every 30th, and after each acknowledged
// batch prints "acked <total rows>" on stdout. Stops on SIGTERM (closing the database) or is killed.
const { open } = require('../../dist/engine/index.js');

const [dir] = process.argv.slice(2);
(async () => {
  const db = await open(dir, { durability: 'always', compactionTrigger: 2 });
  let total = 0;
  let batch = 0;
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  process.stdout.write('open\n');
  while (!stopping) {
    const rows = [];
    for (let i = 0; i < 200; i++) {
      const n = total + i;
      rows.push({ time: 1764000000000 + n * 1000, tags: { sensor: `s${n % 4}` }, fields: { value: n } });
    }
    await db.write('live', rows);
    total += rows.length;
    batch++;
    process.stdout.write(`acked ${total}\n`);
    if (batch % 10 === 0) await db.flush();
    if (batch % 30 === 0) await db.compact(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await db.close();
  process.exit(0);
})();

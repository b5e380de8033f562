// Child process for the transaction SIGKILL test: with durability 'always', commits transactions
// of group g: K rows into table "a" (no tags: rowids, many at one millisecond), K rows into table
// "b" (tagged), and a new version of every row of group g - 1 in "a" (done = true), written by
// identity. Prints "ack <g>" after each commit resolves. Memory and compaction settings make
// flushes and compactions run while it writes, so kills land during them too.
const fs = require('node:fs');
const { open } = require('../../dist/engine');

const [dir, firstArg, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);

async function main() {
  const db = await open(dir, { durability: 'always', memoryLimitMB: 1, compactionTrigger: 2, chunkRows: 64 });
  fs.writeSync(1, 'open\n');
  for (let g = Number(firstArg); ; g++) {
    const time = 1764000000000 + g; // the rows of a group share one millisecond
    await db.transaction(async (tx) => {
      const rows = Array.from({ length: size }, (_, i) => ({ time, fields: { g, i, done: false } }));
      await tx.write('a', rows);
      await tx.write(
        'b',
        rows.map((r) => ({ time, tags: { s: `s${r.fields.i % 7}`, i: String(r.fields.i) }, fields: { g } })),
      );
      const previous = [];
      for await (const series of tx.target().scan('a', { from: time - 1, to: time - 1 })) {
        const ids = series.fields.get('\u0001rowid');
        const gs = series.fields.get('g');
        const is = series.fields.get('i');
        for (let k = 0; k < series.count; k++) {
          previous.push({
            time: time - 1,
            tags: {},
            fields: { g: gs.values[k], i: is.values[k], done: true },
            rowid: ids.values[k],
          });
        }
      }
      if (previous.length > 0) await tx.writeStored('a', previous);
    });
    fs.writeSync(1, `ack ${g}\n`);
  }
}

main().catch((err) => {
  fs.writeSync(2, `${err.stack}\n`);
  process.exit(1);
});

// Child process for the edge crash test: an edge over `dir` that writes rows and sends batches.
// Prints "batch <base64>" for each batch handed out (written synchronously to stdout) and reads
// "ack <base64 ack>" lines from stdin; every few batches it writes more rows ("wrote <n>").
// The parent SIGKILLs it at random moments.
const fs = require('node:fs');
const readline = require('node:readline');
const { open, decodeSyncAck } = require('../../dist/engine');

async function main() {
  const [dir, seedArg, startArg] = process.argv.slice(2);
  let seed = Number(seedArg);
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const db = await open(dir);
  const edge = await db.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 10 });
  let t = Number(startArg);
  const acks = [];
  let wake = null;
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    acks.push(decodeSyncAck(Buffer.from(line.slice(4), 'base64')));
    wake?.();
  });
  fs.writeSync(1, 'ready\n');
  for (;;) {
    const rows = Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({
      time: (t += 1 + Math.floor(random() * 500)),
      tags: { s: `S${Math.floor(random() * 3)}` },
      fields: { v: Math.floor(random() * 1000) },
    }));
    const result = await db.write('m', rows);
    fs.writeSync(1, `wrote ${result.lsn} ${rows.length} ${t}\n`);
    if (random() < 0.2) await db.flush();
    const batch = await edge.next();
    if (!batch) continue;
    fs.writeSync(1, `batch ${Buffer.from(batch.bytes).toString('base64')}\n`);
    while (acks.length === 0) await new Promise((resolve) => (wake = resolve));
    wake = null;
    await edge.acknowledge(acks.shift());
  }
}

main().catch((err) => {
  fs.writeSync(2, `${err.stack}\n`);
  process.exit(1);
});

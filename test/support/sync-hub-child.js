// Child process for the hub crash test: a hub over `dir`. Reads lines from stdin:
//   "apply <base64 batch>"       applies it, then prints "ack <base64 ack>"
//   "apply-kill <base64 batch>"  applies it (durably), then SIGKILLs itself before answering
// and prints "ready" once open. stdout lines are written synchronously.
const fs = require('node:fs');
const readline = require('node:readline');
const { open, encodeSyncAck } = require('../../dist/engine');

async function main() {
  const db = await open(process.argv[2]);
  const hub = await db.openSyncHub({ writeChunkRows: 4 });
  fs.writeSync(1, 'ready\n');
  const lines = readline.createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  lines.on('line', (line) => {
    const [verb, data] = line.split(' ');
    chain = chain.then(async () => {
      const { ack } = await hub.apply(Buffer.from(data, 'base64'));
      if (verb === 'apply-kill') process.kill(process.pid, 'SIGKILL');
      fs.writeSync(1, `ack ${Buffer.from(encodeSyncAck(ack)).toString('base64')}\n`);
    });
  });
  lines.on('close', () => chain.then(() => hub.close()).then(() => db.close()));
}

main().catch((err) => {
  fs.writeSync(2, `${err.stack}\n`);
  process.exit(1);
});

// Child process for the policy crash test: runs a downsample and a retention policy on an existing
// database, printing "done" when both finished. The parent kills it with SIGKILL at random moments.
const fs = require('node:fs');
const { open } = require('../../dist/engine');

const [dir, nowArg] = process.argv.slice(2);
const now = Number(nowArg);

async function main() {
  const db = await open(dir, { memoryLimitMB: 1 });
  fs.writeSync(1, 'open\n');
  await db.runDownsample({ source: 'raw', bucket: '5m', after: '1h', now });
  await db.runRetention({ table: 'raw', maxAge: '1d', now });
  await db.close();
  fs.writeSync(1, 'done\n');
}

main().catch((err) => {
  fs.writeSync(2, `policy-runner failed: ${err.stack}\n`);
  process.exit(1);
});

// A child for the lock races (test/storage-faults.test.js): opens the database in argv[2] when
// released at the moment argv[3] (ms since the epoch), prints "open" or the error code, holds it
// argv[4] ms, writes one reading and closes, then prints "held <opened> <closing>" (ms since the
// epoch), so a race can tell two engines at once from one after the other.
const { open } = require('../../dist/engine');

async function main() {
  const [dir, at, holdMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  while (Date.now() < at) {} // both children leave this loop in the same millisecond
  let db;
  try {
    db = await open(dir);
  } catch (err) {
    process.stdout.write(`${err.code ?? err.message}\n`);
    return;
  }
  const opened = Date.now();
  process.stdout.write('open\n');
  await new Promise((r) => setTimeout(r, holdMs));
  await db.write('t', [
    { time: 1764000000000 + process.pid, tags: { p: String(process.pid) }, fields: { v: 1 } },
  ]);
  const closing = Date.now();
  await db.close();
  process.stdout.write(`held ${opened} ${closing}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});

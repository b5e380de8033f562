// Child process for the UPDATE / transaction crash test (test/change-crash.test.js): with
// durability 'always', runs UPDATEs, BEGIN ... COMMIT scripts and DELETEs of chosen rows in a loop
// and prints, synchronously, "start <op>" before each statement and "ack <g>" once it resolved.
//
//   u <g> <k>        UPDATE acct SET v = v + 1, gen = g WHERE k = 'k'   (every row of series k)
//   s <g> <a> <b>    BEGIN; the same for a and for b; INSERT INTO log (time, g) VALUES (g, g); COMMIT
//   d <g>            DELETE FROM log WHERE g < <g> AND g % 2 = 0
//   a <g>            UPDATE acct SET v = v + 1, gen = g   (every series: more rows than one slice)
//
// acct holds SERIES series of ROWS rows each, written once ("init") when the table is empty.
const fs = require('node:fs');
const { open } = require('../../dist/engine');

const SERIES = 6;
const ROWS = 200;
const [dir, firstGen, seedArg] = process.argv.slice(2);
let seed = Number(seedArg);
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const say = (line) => fs.writeSync(1, `${line}\n`);
const pick = () => `k${Math.floor(random() * SERIES)}`;

async function main() {
  const db = await open(dir, {
    durability: 'always',
    memoryLimitMB: 1,
    compactionTrigger: 2,
    chunkRows: 32, // series span several chunks and segments
  });
  say('open');
  if (
    (await db.query('SELECT count(*) AS n FROM acct').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n === 0
  ) {
    const rows = [];
    for (let k = 0; k < SERIES; k++)
      for (let t = 0; t < ROWS; t++) rows.push({ time: t, tags: { k: `k${k}` }, fields: { v: 0n, gen: 0n } });
    await db.writeGroup([
      { table: 'acct', readings: rows, rows: 'auto' },
      { table: 'log', readings: [{ time: 0, fields: { g: 0n } }], rows: 'auto' },
    ]);
    say('init');
  }
  for (let g = Number(firstGen); ; g++) {
    const r = random();
    if (r < 0.4) {
      const k = pick();
      say(`start u ${g} ${k}`);
      await db.query('UPDATE acct SET v = v + 1, gen = ? WHERE k = ?', [g, k]);
    } else if (r < 0.75) {
      const a = pick();
      let b = pick();
      if (b === a) b = a === 'k0' ? 'k1' : 'k0';
      say(`start s ${g} ${a} ${b}`);
      await db.query(
        `BEGIN;
         UPDATE acct SET v = v + 1, gen = ${g} WHERE k = '${a}';
         UPDATE acct SET gen = ${g}, v = v + 1 WHERE k = '${b}' AND v >= 0;
         INSERT INTO log (time, g) VALUES (${g}, ${g});
         COMMIT`,
      );
    } else if (r < 0.92) {
      say(`start a ${g}`);
      await db.query('UPDATE acct SET v = v + 1, gen = ?', [g]);
    } else {
      say(`start d ${g}`);
      await db.query('DELETE FROM log WHERE g < ? AND g % 2 = 0', [g]);
    }
    say(`ack ${g}`);
  }
}

main().catch((err) => {
  fs.writeSync(2, `change-writer failed: ${err.stack}\n`);
  process.exit(1);
});

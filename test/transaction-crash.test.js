// A transaction is stored whole or not at all: a child commits transactions that insert into two
// tables and rewrite the previous transaction's rows by identity, with durability 'always', and is
// killed with SIGKILL at random moments (also during flushes and compactions). After every kill the
// directory opens, every acknowledged transaction is there whole, and no transaction is there in part.
const assert = require('node:assert/strict');
const path = require('node:path');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');
const { runKilledAfterOpen } = require('./support/kill-after-open');

const WRITER = path.join(__dirname, 'support', 'group-writer.js');
const SIZE = 40;

async function runAndKill(dir, first, killAfterMs, round) {
  // odd rounds count the time from the third commit (a loaded machine still commits some), even
  // rounds from the open, so kills also hit the start
  const afterAcks = round % 2 === 1 ? 3 : 0;
  const { lines } = await runKilledAfterOpen(WRITER, [dir, first, SIZE], killAfterMs, { afterAcks });
  return lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]));
}

/** Per group: rows in a, how many of them are done, rows in b. */
async function groups(db) {
  const out = new Map();
  const get = (g) => {
    if (!out.has(g)) out.set(g, { a: 0, done: 0, b: 0, ids: new Set() });
    return out.get(g);
  };
  for (const row of await db.read('a')) {
    const entry = get(row.g);
    entry.a++;
    if (row.done) entry.done++;
  }
  for (const row of await db.read('b')) get(row.g).b++;
  return out;
}

describe('crash: SIGKILL during transactions with durability always', function () {
  this.timeout(240000);

  it('keeps every acknowledged transaction whole and none in part', async () => {
    const dir = tempDir();
    const acked = new Set();
    let next = 1;
    const rounds = 10;
    for (let round = 0; round < rounds; round++) {
      const killAfter = fc.sample(fc.integer({ min: 30, max: 600 }), { numRuns: 1, seed: round })[0];
      for (const g of await runAndKill(dir, next, killAfter, round)) acked.add(g);
      const db = await open(dir);
      const found = await groups(db);
      await db.close();
      const last = Math.max(0, ...found.keys());
      for (const g of acked)
        assert.ok(found.has(g), `acknowledged transaction ${g} lost after round ${round}`);
      for (const [g, entry] of found) {
        assert.deepEqual(
          [entry.a, entry.b],
          [SIZE, SIZE],
          `transaction ${g} is there in part: ${JSON.stringify(entry)}`,
        );
        // the rows of g were rewritten exactly when transaction g + 1 committed
        const rewritten = found.has(g + 1) ? SIZE : 0;
        assert.equal(entry.done, rewritten, `transaction ${g + 1}'s rewrite of ${g} is there in part`);
      }
      next = last + 1;
    }
    assert.ok(
      acked.size > rounds,
      `only ${acked.size} transactions were acknowledged; the test proved little`,
    );
  });
});

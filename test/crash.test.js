// A writer with durability 'always' is killed with SIGKILL at random moments, many times over, on
// one directory. After every kill the directory opens and every acknowledged reading reads back.
const assert = require('node:assert/strict');
const path = require('node:path');
const fc = require('fast-check');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');
const { runKilledAfterOpen } = require('./support/kill-after-open');

const WRITER = path.join(__dirname, 'support', 'crash-writer.js');
const valueAt = (t) => Math.round(Math.sin(t / 1000) * 10000) / 100;

/** Runs the writer until `killAfterMs` after it opened, SIGKILLs it, returns its acks. */
async function runAndKill(dir, start, seed, killAfterMs) {
  const { lines } = await runKilledAfterOpen(WRITER, [dir, start, seed], killAfterMs);
  return lines
    .filter((l) => l.startsWith('ack '))
    .map((l) => {
      const [, series, first, count] = l.split(' ');
      return { series, first: Number(first), count: Number(count) };
    });
}

describe('crash: SIGKILL during writes with durability always', function () {
  this.timeout(240000);

  it('never loses an acknowledged reading and always reopens', async () => {
    const dir = tempDir();
    const acked = [];
    let start = 1764000000000;
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      const killAfter = fc.sample(fc.integer({ min: 20, max: 700 }), { numRuns: 1, seed: round })[0];
      const acks = await runAndKill(dir, start, round + 1, killAfter);
      acked.push(...acks);
      for (const a of acks) start = Math.max(start, a.first + a.count);
      start += 1000;

      const db = await open(dir); // must open after every kill
      const bySeries = new Map();
      for (const row of await db.read('crash')) {
        if (!bySeries.has(row.sensor)) bySeries.set(row.sensor, new Map());
        bySeries.get(row.sensor).set(row.time, row.v);
      }
      for (const a of acked) {
        const rows = bySeries.get(a.series);
        assert.ok(rows, `series ${a.series} missing after round ${round}`);
        for (let t = a.first; t < a.first + a.count; t++) {
          assert.equal(rows.get(t), valueAt(t), `reading ${a.series}@${t} lost after round ${round}`);
        }
      }
      await db.close();
    }
    assert.ok(
      acked.length > rounds,
      `only ${acked.length} batches were acknowledged; the test proved little`,
    );
  });
});

// scanParts: the query layer's view of storage. Parts are time-disjoint, already last-write-wins,
// and carry chunk statistics only where those are exact for the scan's range.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open, newScanCounters } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

async function collect(db, table, options) {
  const counters = newScanCounters();
  const out = [];
  for await (const series of db.scanParts(table, options, counters)) {
    const parts = [];
    for (const part of series.parts) parts.push({ part, rows: await part.load() });
    out.push({ series, parts });
  }
  return { out, counters };
}

describe('engine: scanParts', () => {
  it('gives stats for whole, unshared chunks and skips chunks outside the range', async () => {
    const db = await open(tempDir(), { chunkRows: 100, compactionTrigger: 0 });
    const readings = [];
    for (let i = 0; i < 1000; i++)
      readings.push({ time: T0 + i * 1000, tags: { s: 'a' }, fields: { v: i % 10 } });
    await db.write('t', readings);
    await db.flush();
    const { out, counters } = await collect(db, 't', { from: T0 + 250_000, to: T0 + 649_000 });
    assert.equal(out.length, 1);
    const parts = out[0].parts;
    // chunks of 100 rows: [200..299] is cut by the range, [300..599] whole, [600..699] cut
    assert.equal(parts.length, 5);
    const withStats = parts.filter((p) => p.part.stats);
    assert.equal(withStats.length, 3);
    for (const { part, rows } of withStats) {
      const stats = part.stats.get('v');
      const values = Array.from(rows.fields.get('v').values.subarray(0, rows.count));
      assert.equal(stats.count, rows.count);
      assert.equal(
        stats.sum,
        values.reduce((a, b) => a + b, 0),
      );
      assert.equal(stats.min, Math.min(...values));
      assert.equal(stats.max, Math.max(...values));
    }
    const loaded = parts.reduce((n, p) => n + p.rows.count, 0);
    assert.equal(loaded, 400);
    assert.equal(counters.chunksSkipped, 5);
    assert.equal(counters.partitions, 1);
    await db.close();
  });

  it('merges overlapping sources into one part without stats (late rewrite in the head)', async () => {
    const db = await open(tempDir(), { chunkRows: 100, compactionTrigger: 0 });
    const readings = [];
    for (let i = 0; i < 300; i++) readings.push({ time: T0 + i, tags: { s: 'a' }, fields: { v: 1 } });
    await db.write('t', readings);
    await db.flush();
    await db.write('t', [{ time: T0 + 150, tags: { s: 'a' }, fields: { v: 99 } }]);
    const { out } = await collect(db, 't', {});
    const parts = out[0].parts;
    assert.equal(parts.length, 3);
    assert.ok(parts[0].part.stats && parts[2].part.stats);
    assert.equal(parts[1].part.stats, null);
    assert.equal(parts[1].rows.count, 100);
    const v = parts[1].rows.fields.get('v').values;
    assert.equal(v[50], 99);
    await db.close();
  });

  it('agrees with read() for random data, flushes and ranges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({
              t: fc.integer({ min: 0, max: 500 }),
              s: fc.constantFrom('a', 'b'),
              v: fc.integer({ min: -50, max: 50 }),
            }),
            { minLength: 1, maxLength: 60 },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        async (batches, a, b) => {
          const db = await open(tempDir('helios-parts-'), { chunkRows: 16, compactionTrigger: 0 });
          try {
            for (const batch of batches) {
              await db.write(
                't',
                batch.map((r) => ({ time: T0 + r.t, tags: { s: r.s }, fields: { v: r.v } })),
              );
              await db.flush();
            }
            const range = { from: T0 + Math.min(a, b), to: T0 + Math.max(a, b) };
            const expected = await db.read('t', range);
            const { out } = await collect(db, 't', range);
            const got = [];
            let statsCount = 0;
            let statsSum = 0;
            for (const { series, parts } of out) {
              let last = -Infinity;
              for (const { part, rows } of parts) {
                assert.ok(part.minTime > last, 'parts must be disjoint and sorted');
                last = part.maxTime;
                if (part.stats) {
                  statsCount += part.stats.get('v').count;
                  statsSum += part.stats.get('v').sum;
                }
                for (let i = 0; i < rows.count; i++) {
                  got.push({ time: rows.times[i], ...series.tags, v: rows.fields.get('v').values[i] });
                }
              }
            }
            assert.deepEqual(got, expected);
            // what stats claim must be what the rows hold
            const covered = out.flatMap(({ parts }) => parts.filter((p) => p.part.stats).map((p) => p.rows));
            assert.equal(
              statsCount,
              covered.reduce((n, r) => n + r.count, 0),
            );
            assert.equal(
              statsSum,
              covered.reduce(
                (n, r) =>
                  n + Array.from(r.fields.get('v').values.subarray(0, r.count)).reduce((x, y) => x + y, 0),
                0,
              ),
            );
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('engine: readers and compaction', () => {
  it('a scan that started before a compaction still reads the files it began with', async () => {
    const dir = tempDir();
    const db = await open(dir, { chunkRows: 64, compactionTrigger: 0 });
    for (let round = 0; round < 3; round++) {
      const batch = [];
      for (let i = 0; i < 200; i++)
        batch.push({ time: T0 + round * 1000 + i, tags: { s: 'a' }, fields: { v: round * 1000 + i } });
      await db.write('t', batch);
      await db.flush();
    }
    const fs = require('node:fs');
    const path = require('node:path');
    const partition = path.join(dir, 'data', 't', fs.readdirSync(path.join(dir, 'data', 't'))[0]);
    assert.equal(fs.readdirSync(partition).length, 3);
    const iterator = db.scanParts('t', {});
    const first = await iterator.next(); // the scan holds its snapshot of three segments now
    await db.compact(true);
    assert.equal(db.stats().tables.t.segments, 1);
    assert.equal(fs.readdirSync(partition).length, 4, 'old files must stay while the scan holds them');
    let loaded = 0;
    for (const part of first.value.parts) loaded += (await part.load()).count;
    assert.equal(loaded, 600);
    assert.equal((await iterator.next()).done, true);
    assert.equal(fs.readdirSync(partition).length, 1, 'old files go once the scan is done');
    await db.close();
  });
});

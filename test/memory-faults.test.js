/**
 * Issue #19, M3: memory bounded by `memoryLimitMB`. Segment footers are kept compact (a series'
 * entry parsed when asked for), and the series index counts against the limit: a write that would
 * add series past it is refused, whole, with a sentence naming the setting.
 */
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { SegmentReader } = require('../dist/engine/segment/reader');
const { seriesKey } = require('../dist/engine/catalog/catalog');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

function seriesBatch(from, n, round = 0) {
  const out = [];
  for (let s = from; s < from + n; s++) {
    out.push({
      time: T0 + round * 1000 + (s % 997),
      tags: { site: `site-${s % 7}`, sensor: `s-${s}` },
      fields: { v: s + round },
    });
  }
  return out;
}

describe('memory faults (#19)', () => {
  it('M3: a write that would take the series index past memoryLimitMB is refused whole, naming the setting', async () => {
    const dir = tempDir();
    const db = await open(dir, { memoryLimitMB: 1 });
    let stored = 0;
    let refused = null;
    for (let at = 0; at < 5000 && !refused; at += 100) {
      try {
        await db.write('m', seriesBatch(at, 100));
        stored += 100;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(refused, 'a write was refused before 5,000 series (0.5 MiB at 1.5 KiB a series)');
    assert.equal(refused.code, 'HELIOS_MEMORY_LIMIT');
    assert.match(refused.message, /half of memoryLimitMB \(0.5 of 1 MiB/);
    assert.match(refused.message, /nothing of it was stored/);
    // known series still take rows: the limit is on series, not on readings
    await db.write('m', seriesBatch(0, 100, 1));
    const { rows } = await db.query('SELECT count(*) AS n, count(DISTINCT sensor) AS s FROM m');
    assert.deepEqual(rows[0], { n: stored + 100, s: stored });
    await db.close();
    const again = await open(dir, { memoryLimitMB: 64 });
    const after = await again.query('SELECT count(*) AS n FROM m');
    assert.equal(after.rows[0].n, stored + 100, 'the refused write left nothing in the WAL either');
    await again.close();
  });

  it('M3: compact footers: every series of a 3,000-series segment is found by key, its chunks and statistics intact', async () => {
    const dir = tempDir();
    const db = await open(dir, { memoryLimitMB: 64 });
    await db.write('m', seriesBatch(0, 3000));
    await db.write('m', seriesBatch(0, 3000, 1));
    await db.flush();
    await db.close();
    const fs = require('node:fs');
    const path = require('node:path');
    const files = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.seg')) files.push(path.join(d, e.name));
      }
    };
    walk(dir);
    assert.equal(files.length, 1);
    const reader = await SegmentReader.open(files[0]);
    try {
      assert.equal(reader.seriesCount, 3000);
      for (let s = 0; s < 3000; s++) {
        const entry = reader.find(seriesKey({ site: `site-${s % 7}`, sensor: `s-${s}` }));
        assert.ok(entry, `series ${s} found`);
        assert.equal(entry.tags.sensor, `s-${s}`);
        assert.equal(entry.rows, 2);
        assert.equal(entry.chunks[0].stats.get('v').sum, 2 * s + 1);
      }
      assert.equal(reader.find(seriesKey({ site: 'site-0', sensor: 's-3000' })), undefined);
      assert.equal(
        reader.find(seriesKey({ site: 'site-1', sensor: 's-0' })),
        undefined,
        'same sensor, other site',
      );
      // the kept bytes: the footer plus a few numbers a series, far below a series of objects
      assert.ok(reader.memoryBytes < 3000 * 120, `${reader.memoryBytes} bytes for 3,000 series`);
    } finally {
      await reader.close();
    }
  });
});

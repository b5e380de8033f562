// Retention: maximum age per table pattern, database size limit oldest first, and the guard that
// keeps rows a consumer has not yet synced.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const HOUR = 3600000;
const T0 = 1764028800000; // 2025-11-25T00:00:00Z, on an hour boundary

/** One reading a minute per sensor over `hours` hours from `start`. */
function minutes(start, hours, sensor = 'S1') {
  const out = [];
  for (let m = 0; m < hours * 60; m++)
    out.push({ time: start + m * 60000, tags: { sensor }, fields: { v: m } });
  return out;
}

/** Bytes of each partition directory of `table`, oldest first. */
function partitionSizes(dir, table) {
  const root = path.join(dir, 'data', table);
  return fs
    .readdirSync(root)
    .sort()
    .map((p) =>
      fs.readdirSync(path.join(root, p)).reduce((n, f) => n + fs.statSync(path.join(root, p, f)).size, 0),
    );
}

async function fresh(options = {}) {
  const db = await open(tempDir(), { partitionDuration: '1h', compactionTrigger: 0, ...options });
  return db;
}

describe('retention: maximum age', () => {
  it('drops exactly what is older than the cutoff, whole partitions as files and a straddling one by delete', async () => {
    const db = await fresh();
    await db.write('sensor_a', minutes(T0, 5));
    await db.flush();
    assert.equal(db.stats().tables.sensor_a.partitions, 5);
    const now = T0 + 6 * HOUR;
    // cutoff = T0 + 2.5 h: hours 0 and 1 go whole, hour 2 is cut in the middle
    const report = await db.runRetention({ table: 'sensor_*', maxAge: 3.5 * HOUR, now });
    const cutoff = T0 + 2.5 * HOUR;
    assert.deepEqual(report.tables, ['sensor_a']);
    assert.equal(report.cutoffs.sensor_a, cutoff);
    assert.equal(report.rowsDropped, 150);
    assert.equal(report.partitionsDropped, 2);
    assert.ok(report.bytesFreed > 0);
    assert.equal(db.stats().tables.sensor_a.partitions, 3);
    const left = await db.read('sensor_a');
    assert.equal(left.length, 300 - 150);
    assert.equal(left[0].time, cutoff);
    await db.close();
  });

  it('matches tables by glob and leaves the others alone', async () => {
    const db = await fresh();
    await db.write('sensor_a', minutes(T0, 2));
    await db.write('other', minutes(T0, 2));
    const report = await db.runRetention({ table: 'sensor_?', maxAge: '1h', now: T0 + 2 * HOUR });
    assert.deepEqual(report.tables, ['sensor_a']);
    assert.equal((await db.read('sensor_a')).length, 60);
    assert.equal((await db.read('other')).length, 120);
    await db.close();
  });

  it('keeps unsynced rows unless told not to, and says what it kept', async () => {
    const db = await fresh();
    const first = await db.write('t', minutes(T0, 2));
    await db.setCursor('sync', first.lsn); // everything so far reached upstream
    // late readings, stamped long ago, written after the cursor: not yet synced
    await db.write('t', minutes(T0 - 10 * HOUR, 1, 'LATE'));
    await db.flush();
    const now = T0 + 3 * HOUR;
    const report = await db.runRetention({ table: 't', maxAge: '2h', now });
    assert.deepEqual(report.keptUnsynced, [{ table: 't', from: T0 - 10 * HOUR, to: T0 + HOUR - 1 }]);
    assert.equal((await db.read('t', { tags: { sensor: 'LATE' } })).length, 60);
    const forced = await db.runRetention({ table: 't', maxAge: '2h', now, keepUnsynced: false });
    assert.equal(forced.rowsDropped, 60 + 60);
    assert.equal((await db.read('t', { tags: { sensor: 'LATE' } })).length, 0);
    assert.equal((await db.read('t')).length, 60);
    await db.close();
  });

  it('refuses a policy without a limit, with a sentence', async () => {
    const db = await fresh();
    await assert.rejects(db.runRetention({ table: 't' }), /needs maxAge/);
    await assert.rejects(db.runRetention({ table: 't', maxAge: 'soon' }), /not a duration/);
    await db.close();
  });
});

describe('retention: database size limit', () => {
  it('drops the oldest partitions first, spares unsynced ones while it can, and reports any it had to drop', async () => {
    const dir = tempDir();
    const db = await open(dir, { partitionDuration: '1h', compactionTrigger: 0 });
    const many = (start, hours, prefix) =>
      Array.from({ length: 20 }, (_, i) => minutes(start, hours, `${prefix}${i}`)).flat();
    const synced = await db.write('t', many(T0, 3, 'S'));
    await db.flush(); // unsynced-ness is judged per segment: keep the synced rows in their own
    await db.setCursor('sync', synced.lsn);
    await db.write('t', many(T0 - 5 * HOUR, 1, 'LATE')); // unsynced, and the oldest partition
    await db.flush();
    const sizes = partitionSizes(dir, 't'); // oldest first: LATE, then the three synced hours
    assert.equal(sizes.length, 4);
    const slack = 200; // the deletes' own WAL records
    // room for all but the two oldest synced partitions: those go, the unsynced one stays
    const report = await db.runRetention({
      table: '*',
      maxBytes: db.diskBytes() - sizes[1] - sizes[2] + slack,
    });
    assert.equal(report.partitionsDropped, 2);
    assert.deepEqual(report.unsyncedDropped, []);
    assert.equal((await db.read('t', { tags: { sensor: 'LATE0' } })).length, 60);
    assert.equal((await db.read('t', { tags: { sensor: 'S0' } }))[0].time, T0 + 2 * HOUR);
    // a limit that only dropping the unsynced partition too can keep: the synced one goes first
    const tight = await db.runRetention({
      table: '*',
      maxBytes: db.diskBytes() - sizes[0] - sizes[3] + slack,
    });
    assert.equal(tight.partitionsDropped, 2);
    assert.deepEqual(tight.unsyncedDropped, [{ table: 't', from: T0 - 5 * HOUR, to: T0 - 4 * HOUR - 60000 }]);
    assert.equal((await db.read('t', { tags: { sensor: 'LATE0' } })).length, 0);
    await db.close();
    const reopened = await open(dir);
    assert.equal((await reopened.read('t')).length, 0);
    assert.deepEqual(reopened.cursors(), { sync: synced.lsn });
    await reopened.close();
  });
});

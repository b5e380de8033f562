// Where a new sync starts (docs/sync.md): an edge opened on a database that already holds rows
// whose log is gone sends them from a snapshot of the segments ('beginning', the default), or
// sends only what comes after ('now'); rows changed while the snapshot drains end with their
// newest version at the hub; a snapshot batch handed out again is the same batch.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine/index.js');
const { tempDir } = require('./helpers');

let NOW = Date.now();
/** small chunks: a snapshot batch holds whole chunks */
const EDGE = { chunkRows: 32 };

const readings = (n, start, step = 1000, s = 'a') =>
  Array.from({ length: n }, (_, i) => ({ time: start + i * step, tags: { s }, fields: { v: i } }));

/** A database holding `n` rows per series of 3 series, flushed in 4 writes, with no log left for them. */
async function oldDatabase(n = 400) {
  const dir = tempDir('helios-snap-edge-');
  const db = await open(dir, EDGE);
  for (let w = 0; w < 4; w++) {
    for (const s of ['a', 'b', 'c'])
      await db.write('t', readings(n / 4, NOW - 3_600_000 + w * n * 250, 1000, s));
    await db.flush();
  }
  await db.write('helios_alarms_test', [{ time: NOW - 1000, tags: { rule: 'r' }, fields: { state: 'ACK' } }]);
  await db.flush();
  return { dir, db };
}

const walFirstLsns = (dir) =>
  fs
    .readdirSync(path.join(dir, 'wal'))
    .filter((f) => f.endsWith('.wal'))
    .map((f) => Number.parseInt(f, 16));

async function drain(edge, hub, stopAfter = Number.POSITIVE_INFINITY) {
  const sent = [];
  while (sent.length < stopAfter) {
    const batch = await edge.next();
    if (!batch) break;
    sent.push(batch.meta);
    await edge.acknowledge((await hub.apply(batch.bytes)).ack);
  }
  return sent;
}

const byKey = (rows) =>
  rows
    .map((r) => `${r.s ?? r.rule}|${r.time}|${r.v ?? r.state}`)
    .sort()
    .join('\n');

describe('sync: where a new edge starts', function () {
  this.timeout(60_000);
  beforeEach(() => {
    NOW = Date.now();
  });

  it("sends the rows stored before it first opened ('beginning'), whose log is gone", async () => {
    const { dir, db } = await oldDatabase();
    // the premise: the log no longer holds the first writes, so only the segments have them
    assert.ok(Math.min(...walFirstLsns(dir)) > 1, `log files start at ${walFirstLsns(dir)}`);
    const hubDb = await open(tempDir('helios-snap-hub-'));
    const hub = await hubDb.openSyncHub();
    const edge = await db.openSyncEdge({ deviceId: 'gw-1', maxBackfillBatchRows: 150 });
    assert.ok(edge.status().backlogRows >= 1200, `backlog ${edge.status().backlogRows}`);
    const sent = await drain(edge, hub);
    assert.ok(
      sent.filter((m) => m.lane === 'backfill' && m.historical).length >= 8,
      'the snapshot in batches',
    );
    assert.equal(byKey(await hubDb.read('t')), byKey(await db.read('t')));
    assert.equal((await hubDb.read('t')).length, 1200);
    assert.equal(byKey(await hubDb.read('helios_alarms_test')), byKey(await db.read('helios_alarms_test')));
    assert.equal(edge.status().backlogRows, 0);
    assert.ok(!fs.existsSync(path.join(dir, 'sync', 'snapshot-gw-1')), 'the links go once it is sent');
    await edge.close();
    await db.close();
    await hub.close();
    await hubDb.close();
  });

  it("sends only what is written after it first opened with start 'now'", async () => {
    const { db } = await oldDatabase(40);
    const hubDb = await open(tempDir('helios-snap-hub-'));
    const hub = await hubDb.openSyncHub();
    const edge = await db.openSyncEdge({ deviceId: 'gw-1', start: 'now' });
    await db.write('t', readings(5, NOW, 1000, 'new'));
    await drain(edge, hub);
    assert.deepEqual(
      (await hubDb.read('t')).map((r) => r.s),
      ['new', 'new', 'new', 'new', 'new'],
    );
    await assert.rejects(
      db.openSyncEdge({ deviceId: 'gw-2', start: 'yesterday' }),
      /start must be "beginning"/,
    );
    await edge.close();
    await db.close();
    await hub.close();
    await hubDb.close();
  });

  it('ends with the newest version of rows changed or written while the snapshot drains, across a reopen', async () => {
    let { dir, db } = await oldDatabase();
    await db.deleteRows('t', { tags: { s: 'c' } }); // a range delete before sync started: not sent
    const hubDb = await open(tempDir('helios-snap-hub-'));
    const hub = await hubDb.openSyncHub();
    const options = { deviceId: 'gw-1', maxBackfillBatchRows: 100, maxBatchRows: 50 };
    let edge = await db.openSyncEdge(options);
    await db.write('t', readings(20, NOW, 1000, 'live'));
    await db.query("UPDATE t SET v = 1000 WHERE s = 'a' AND v = 3");
    await db.query("DELETE FROM t WHERE s = 'b' AND v = 4");
    await drain(edge, hub, 4);
    // batches in flight, then a restart: the same batches come again, then the rest
    const inFlight = [await edge.next(), await edge.next()].filter(Boolean);
    assert.ok(inFlight.length > 0);
    await edge.close();
    await db.close();
    db = await open(dir, EDGE);
    edge = await db.openSyncEdge(options);
    const again = [await edge.next(), await edge.next()].filter(Boolean);
    assert.deepEqual(
      again.map((b) => Buffer.from(b.bytes)),
      inFlight.map((b) => Buffer.from(b.bytes)),
    );
    edge.rewind();
    await db.compact(true); // the snapshot's files are links: compaction cannot take them away
    await db.write('t', readings(3, NOW + 60_000, 1000, 'live2'));
    await drain(edge, hub);
    const edgeRows = await db.read('t');
    assert.equal(edgeRows.filter((r) => r.s === 'c').length, 0);
    assert.equal(byKey(await hubDb.read('t')), byKey(edgeRows));
    assert.equal((await hubDb.read('t')).length, 1200 - 400 - 4 + 20 + 3);
    await edge.close();
    await db.close();
    await hub.close();
    await hubDb.close();
  });
});

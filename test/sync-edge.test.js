// SyncEdge and SyncHub behaviour: batches handed out again byte for byte after rewind and reopen,
// lanes (journal first, new readings before an old backlog), gaps, quarantine, new epochs, the WAL
// kept for sync until acknowledged, what stays local, and the downlink across restarts.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { open, decodeSyncBatch, InvalidInputError } = require('../dist/engine/index.js');
const { decodeDownDelivery } = require('../dist/engine/sync/messages');
const { tempDir } = require('./helpers');

/** now, as each test starts (set in beforeEach): the edge's live window is judged by the clock */
let NOW = Date.now();

async function pair(edgeOptions = {}) {
  const edgeDir = tempDir('helios-sync-edge-');
  const hubDir = tempDir('helios-sync-hub-');
  const db = await open(edgeDir);
  const hubDb = await open(hubDir);
  const edge = await db.openSyncEdge({ deviceId: 'gw-1', ...edgeOptions });
  const hub = await hubDb.openSyncHub();
  return { edgeDir, hubDir, db, hubDb, edge, hub };
}

async function closeAll(p) {
  await p.edge.close();
  await p.db.close();
  await p.hub.close();
  await p.hubDb.close();
}

/** Sends everything waiting; returns the metas in the order sent. */
async function drain(edge, hub) {
  const sent = [];
  for (let batch = await edge.next(); batch; batch = await edge.next()) {
    sent.push(batch.meta);
    await edge.acknowledge((await hub.apply(batch.bytes)).ack);
  }
  return sent;
}

const readings = (n, start, step = 1000, s = 'a') =>
  Array.from({ length: n }, (_, i) => ({ time: start + i * step, tags: { s }, fields: { v: i } }));

describe('sync edge and hub', function () {
  this.timeout(60_000);
  beforeEach(() => {
    NOW = Date.now();
  });

  it('hands out the same batches, byte for byte, after rewind and after reopen', async () => {
    const p = await pair({ maxBatchRows: 3 });
    for (let i = 0; i < 4; i++) await p.db.write('t', readings(3, NOW + i * 10_000));
    const first = [await p.edge.next(), await p.edge.next()];
    p.edge.rewind();
    const again = [await p.edge.next(), await p.edge.next()];
    assert.deepEqual(
      again.map((b) => Buffer.from(b.bytes)),
      first.map((b) => Buffer.from(b.bytes)),
    );
    assert.equal(p.edge.status().inFlight, 2);
    await p.edge.close();
    await p.db.close();
    p.db = await open(p.edgeDir);
    p.edge = await p.db.openSyncEdge({ deviceId: 'gw-1', maxBatchRows: 3 });
    const reopened = [await p.edge.next(), await p.edge.next()];
    assert.deepEqual(
      reopened.map((b) => Buffer.from(b.bytes)),
      first.map((b) => Buffer.from(b.bytes)),
    );
    p.edge.rewind();
    assert.deepEqual(
      (await drain(p.edge, p.hub)).map((m) => m.seq),
      [1, 2, 3, 4],
    );
    assert.equal((await p.hubDb.read('t')).length, 12);
    await closeAll(p);
  });

  it('sends the alarm journal first, and new readings before an old backlog', async () => {
    const p = await pair({ maxBatchRows: 10, maxBackfillBatchRows: 10 });
    const dayAgo = NOW - 86_400_000;
    for (let i = 0; i < 5; i++) await p.db.write('t', readings(10, dayAgo + i * 10_000));
    await p.db.write('helios_alarm_events', [
      { time: NOW, tags: { alarm: 'hi' }, fields: { state: 'active' } },
    ]);
    const journal = await p.edge.next();
    assert.equal(journal.meta.lane, 'journal');
    assert.deepEqual(journal.meta.tables, ['helios_alarm_events']);
    const old = await p.edge.next();
    assert.equal(old.meta.lane, 'backfill');
    assert.equal(old.meta.historical, true);
    // Date.now(), not NOW: the suite may reach this test minutes after the file loaded (live window: 60 s)
    await p.db.write('t', readings(2, Date.now(), 1000, 'b'));
    const live = await p.edge.next();
    assert.equal(live.meta.lane, 'live');
    assert.equal(live.meta.historical, false);
    assert.equal(live.meta.rows, 2);
    const rest = [];
    for (let b = await p.edge.next(); b; b = await p.edge.next()) rest.push(b.meta.lane);
    assert.deepEqual(rest, ['backfill', 'backfill', 'backfill', 'backfill']);
    p.edge.rewind();
    await drain(p.edge, p.hub);
    assert.equal((await p.hubDb.read('t')).length, 52);
    assert.equal((await p.hubDb.read('helios_alarm_events')).length, 1);
    await closeAll(p);
  });

  it('answers a missing batch with a gap, and the edge sends again from there', async () => {
    const p = await pair({ maxBatchRows: 2 });
    await p.db.write('t', readings(6, NOW));
    await p.db.write('t', readings(6, NOW + 100_000));
    const lost = await p.edge.next(); // never reaches the hub
    const second = await p.edge.next();
    const answer = await p.hub.apply(second.bytes);
    assert.deepEqual(
      { status: answer.ack.status, expectSeq: answer.ack.expectSeq },
      { status: 'gap', expectSeq: lost.meta.seq },
    );
    await p.edge.acknowledge(answer.ack);
    const sent = await drain(p.edge, p.hub);
    assert.equal(sent[0].seq, lost.meta.seq);
    assert.equal((await p.hubDb.read('t')).length, 12);
    await closeAll(p);
  });

  it('quarantines a batch the hub rejects for good, goes on past it, and can export, retry and drop it', async () => {
    const p = await pair();
    await p.hubDb.write('x', [{ time: NOW, fields: { v: 1.5 } }]);
    await p.db.write('x', [{ time: NOW + 1, fields: { v: 'text' } }]);
    const bad = await p.edge.next();
    const answer = await p.hub.apply(bad.bytes);
    assert.equal(answer.ack.status, 'rejected');
    assert.match(answer.ack.reason, /"v".*"x"/);
    await p.edge.acknowledge(answer.ack);
    assert.equal(p.edge.status().quarantined, 1);
    assert.deepEqual(
      p.edge.quarantined().map((q) => [q.seq, q.rows]),
      [[bad.meta.seq, 1]],
    );
    await p.db.write('y', [{ time: NOW, tags: { s: 'a' }, fields: { v: 2 } }]);
    assert.equal((await drain(p.edge, p.hub)).length, 1, 'the batch after it goes');
    assert.equal((await p.hubDb.read('y')).length, 1);
    const exported = decodeSyncBatch(await p.edge.exportQuarantined(bad.meta.seq));
    assert.equal(exported.tables[0].series[0].fields.get('v').values[0], 'text');
    await p.edge.retryQuarantined(bad.meta.seq);
    assert.equal(p.edge.status().quarantined, 0);
    const retried = await p.edge.next();
    assert.equal(retried.meta.rows, 1);
    const again = await p.hub.apply(retried.bytes);
    assert.equal(again.ack.status, 'rejected');
    await p.edge.acknowledge(again.ack);
    assert.equal(p.edge.status().quarantined, 1);
    await p.edge.dropQuarantined(bad.meta.seq);
    assert.equal(p.edge.status().quarantined, 0);
    await assert.rejects(p.edge.exportQuarantined(bad.meta.seq), /No quarantined batch has seq/);
    assert.deepEqual(await p.hubDb.read('x'), [{ time: NOW, v: 1.5 }]);
    await closeAll(p);
  });

  it('starts a new epoch when the database is created anew; late batches of the old one are duplicates', async () => {
    const p = await pair();
    await p.db.write('t', readings(3, NOW));
    const late = await p.edge.next();
    await p.edge.acknowledge((await p.hub.apply(late.bytes)).ack);
    const oldEpoch = p.edge.status().epoch;
    await p.edge.close();
    await p.db.close();
    fs.rmSync(p.edgeDir, { recursive: true, force: true });
    p.db = await open(p.edgeDir);
    p.edge = await p.db.openSyncEdge({ deviceId: 'gw-1' });
    assert.notEqual(p.edge.status().epoch, oldEpoch);
    await p.db.write('t', readings(3, NOW + 60_000));
    const sent = await drain(p.edge, p.hub);
    assert.deepEqual(
      sent.map((m) => m.seq),
      [1],
    );
    assert.equal((await p.hub.apply(late.bytes)).ack.status, 'duplicate');
    assert.equal(p.hub.devices()[0].epoch, p.edge.status().epoch);
    assert.equal((await p.hubDb.read('t')).length, 6);
    await closeAll(p);
  });

  it('keeps the WAL past flushes until the hub has the rows, then lets it go', async () => {
    const p = await pair({ maxBatchRows: 100 });
    for (let i = 0; i < 5; i++) {
      await p.db.write('t', readings(20, NOW + i * 100_000));
      await p.db.flush();
    }
    const walFiles = () =>
      fs.readdirSync(path.join(p.edgeDir, 'wal')).filter((f) => f.endsWith('.wal')).length;
    assert.ok(walFiles() >= 5, `kept ${walFiles()} WAL files for sync`);
    await drain(p.edge, p.hub);
    await p.db.flush();
    assert.ok(walFiles() <= 2, `${walFiles()} WAL files after the hub acknowledged everything`);
    assert.equal((await p.hubDb.read('t')).length, 100);
    await closeAll(p);
  });

  it('sends a gap batch first when the log a lane needs is gone, then goes on', async () => {
    const p = await pair();
    await p.db.write('t', readings(3, NOW));
    await p.db.removeCursor('sync:gw-1'); // nothing keeps the log now
    await p.db.flush();
    await p.db.write('t', readings(2, NOW + 60_000));
    const gap = await p.edge.next();
    assert.equal(gap.meta.kind, 'gap');
    assert.equal(gap.meta.fromLsn, 1);
    assert.ok(gap.meta.toLsn >= 1);
    const answer = await p.hub.apply(gap.bytes);
    assert.equal(answer.ack.status, 'applied');
    assert.deepEqual(answer.applied, []);
    await p.edge.acknowledge(answer.ack);
    const sent = await drain(p.edge, p.hub);
    assert.deepEqual(
      sent.map((m) => [m.kind, m.rows]),
      [['rows', 2]],
    );
    assert.equal((await p.hubDb.read('t')).length, 2, 'the rows after the gap arrive; the lost ones cannot');
    assert.ok('sync:gw-1' in p.db.cursors(), 'the edge keeps the log again');
    await closeAll(p);
  });

  it('keeps its log under maxLogBytes: the oldest files go, their unsent rows counted, and the hub told', async () => {
    const p = await pair({ maxLogBytes: 300, maxBatchRows: 1000 });
    let written = 0;
    for (let i = 0; i < 12; i++) {
      await p.db.write('t', readings(100, NOW + i * 100_000, 1013));
      written += 100;
      await p.db.flush();
    }
    const walBytes = () =>
      fs
        .readdirSync(path.join(p.edgeDir, 'wal'))
        .reduce((n, f) => n + fs.statSync(path.join(p.edgeDir, 'wal', f)).size, 0);
    const before = walBytes();
    const gap = await p.edge.next();
    assert.equal(gap.meta.kind, 'gap');
    const lost = p.edge.status().lostRows;
    assert.ok(lost > 0 && lost < written, `lost ${lost} of ${written}`);
    assert.equal(gap.meta.rows, lost);
    assert.ok(walBytes() < before && walBytes() <= 300 + 100, `log ${before} -> ${walBytes()} bytes`);
    // said in status and in the database's stats (the metrics read those)
    const st = p.edge.status();
    assert.equal(st.maxLogBytes, 300);
    assert.equal(st.logBytes, walBytes());
    const [edgeStats] = p.db.stats().syncEdges;
    assert.equal(edgeStats.deviceId, 'gw-1');
    assert.equal(edgeStats.lostRows, lost);
    await p.edge.acknowledge((await p.hub.apply(gap.bytes)).ack);
    await drain(p.edge, p.hub);
    assert.equal(p.hub.devices()[0].lostRows, lost);
    assert.equal((await p.hubDb.read('t')).length + lost, written, 'every row arrived or was counted lost');
    await closeAll(p);
  });

  it('bounds its log by default, by the size of the disk; 0 means no limit', async () => {
    const { defaultMaxLogBytes } = require('../dist/engine/sync/edge-options');
    const MiB = 2 ** 20;
    assert.equal(defaultMaxLogBytes(8e9), 8e8, 'a tenth of an 8 GB card');
    assert.equal(defaultMaxLogBytes(64e9), 1024 * MiB, 'at most 1 GiB');
    assert.equal(defaultMaxLogBytes(100 * MiB), 64 * MiB, 'at least 64 MiB');
    assert.equal(defaultMaxLogBytes(null), 1024 * MiB, 'unknown disk');
    const p = await pair();
    const limit = p.edge.status().maxLogBytes;
    assert.ok(limit >= 64 * MiB && limit <= 1024 * MiB, `default ${limit}`);
    await p.edge.close();
    p.edge = await p.db.openSyncEdge({ deviceId: 'gw-1', maxLogBytes: 0 });
    assert.equal(p.edge.status().maxLogBytes, Number.POSITIVE_INFINITY);
    await assert.rejects(
      p.db.openSyncEdge({ deviceId: 'gw-1', maxLogBytes: -5 }),
      /maxLogBytes must be a number of bytes/,
    );
    await closeAll(p);
  });

  it('a hub of a group applies what it has not, in any order, and answers for that seq alone', async () => {
    const p = await pair({ maxBatchRows: 3 });
    const otherDb = await open(tempDir('helios-sync-hub2-'));
    const a = await p.hubDb.openSyncHub({ group: true });
    const b = await otherDb.openSyncHub({ group: true });
    for (let i = 0; i < 4; i++) await p.db.write('t', readings(3, NOW + i * 10_000));
    const batches = [];
    for (let x = await p.edge.next(); x; x = await p.edge.next()) batches.push(x);
    assert.deepEqual(
      batches.map((x) => x.meta.seq),
      [1, 2, 3, 4],
    );
    // seq 2 and 4 reach hub a, 3 reaches hub b; 1 is lost on the way
    const answers = [
      await a.apply(batches[1].bytes),
      await b.apply(batches[2].bytes),
      await a.apply(batches[3].bytes),
    ];
    assert.deepEqual(
      answers.map((r) => [r.ack.seq, r.ack.status, r.ack.only]),
      [
        [2, 'applied', true],
        [3, 'applied', true],
        [4, 'applied', true],
      ],
    );
    for (const r of answers) await p.edge.acknowledge(r.ack);
    assert.equal(
      p.edge.status().inFlight,
      1,
      'seq 1 is still in flight: the answers were for their seq alone',
    );
    assert.ok(p.edge.status().ackedLsn < batches[0].meta.toLsn, 'the log of seq 1 is kept');
    p.edge.rewind();
    const again = await p.edge.next();
    assert.equal(again.meta.seq, 1);
    assert.deepEqual(Buffer.from(again.bytes), Buffer.from(batches[0].bytes));
    assert.equal((await a.apply(again.bytes)).ack.status, 'applied');
    assert.equal((await a.apply(batches[3].bytes)).ack.status, 'duplicate');
    await p.edge.acknowledge((await b.apply(again.bytes)).ack); // b too: both have seq 1 now
    assert.equal(await p.edge.next(), null);
    assert.equal(p.edge.status().inFlight, 0);
    assert.equal(p.edge.status().ackedLsn, p.edge.status().lastLsn);
    assert.equal((await p.hubDb.read('t')).length + (await otherDb.read('t')).length, 12 + 3);
    await a.close();
    await b.close();
    await otherDb.close();
    await closeAll(p);
  });

  it('estimates the backlog without saying more than is there', async () => {
    const p = await pair({ maxBatchRows: 500 });
    for (let i = 0; i < 50; i++) await p.db.write('t', readings(40, NOW + i * 100_000));
    await p.db.write('helios_sync_private', [{ time: NOW, fields: { v: 1 } }]); // never sent, never counted
    let seen = 0;
    for (let i = 0; i < 50 && seen < 2000; i++) {
      seen = p.edge.status().backlogRows;
      assert.ok(seen <= 2000, `backlog ${seen} of 2000`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(seen > 0, 'the counter counted');
    const batch = await p.edge.next();
    assert.ok(p.edge.status().backlogRows <= 2000, 'a batch handed out is counted once');
    await p.edge.acknowledge((await p.hub.apply(batch.bytes)).ack);
    assert.ok(p.edge.status().backlogRows <= 2000 - batch.meta.rows);
    await drain(p.edge, p.hub);
    assert.equal(p.edge.status().backlogRows, 0);
    await closeAll(p);
  });

  it('turns damage in a kept log file into a gap and goes on', async () => {
    const p = await pair({ maxBatchRows: 1000 });
    for (let i = 0; i < 4; i++) {
      await p.db.write('t', readings(10, NOW + i * 100_000));
      await p.db.flush();
    }
    const wal = path.join(p.edgeDir, 'wal');
    const second = path.join(wal, fs.readdirSync(wal).sort()[1]);
    const bytes = fs.readFileSync(second);
    bytes[bytes.length - 3] ^= 0xff; // a payload byte of its one record
    fs.writeFileSync(second, bytes);
    const sent = await drain(p.edge, p.hub);
    assert.deepEqual(
      sent.map((m) => m.kind),
      ['rows', 'gap', 'rows'],
    );
    assert.match(p.edge.status().lastDamage, /checksum/);
    assert.equal((await p.hubDb.read('t')).length, 30, 'the damaged record alone is missing');
    await closeAll(p);
  });

  it('keeps unsynced rows from age retention (the edge cursor guards them)', async () => {
    const p = await pair();
    await p.db.write('t', readings(10, NOW - 10 * 86_400_000, 3_600_000));
    await p.db.flush();
    const report = await p.db.runRetention({ table: 't', maxAge: '1d' });
    assert.equal(report.rowsDropped, 0);
    assert.equal(report.keptUnsynced.length, 1);
    await drain(p.edge, p.hub);
    assert.equal((await p.db.runRetention({ table: 't', maxAge: '1d' })).rowsDropped, 10);
    assert.equal((await p.hubDb.read('t')).length, 10, 'the hub keeps what the edge pruned');
    await closeAll(p);
  });

  it('sends updates and deletes of chosen rows, keeps range deletes local', async () => {
    const p = await pair();
    await p.db.write('t', readings(5, NOW));
    await p.db.query('UPDATE t SET v = 100 WHERE v = 1');
    await p.db.query('DELETE FROM t WHERE v = 2');
    await drain(p.edge, p.hub);
    const values = (rows) => rows.map((r) => r.v).sort((a, b) => a - b);
    assert.deepEqual(values(await p.hubDb.read('t')), [0, 3, 4, 100]);
    await p.db.deleteRows('t', { to: NOW + 10_000 });
    assert.deepEqual(await drain(p.edge, p.hub), []);
    assert.deepEqual(values(await p.hubDb.read('t')), [0, 3, 4, 100]);
    await closeAll(p);
  });

  it('delivers downlink messages in order, at least once, applied once, across restarts of both', async () => {
    const p = await pair();
    await p.db.write('t', readings(1, NOW));
    await drain(p.edge, p.hub);
    assert.equal(await p.hub.sendDown('gw-1', { set: 1 }), 1);
    assert.equal(await p.hub.sendDown('*', { set: 2 }), 1);
    await p.hub.close();
    await p.hubDb.close();
    p.hubDb = await open(p.hubDir);
    p.hub = await p.hubDb.openSyncHub();
    const delivery = p.hub.pendingDown('gw-1');
    assert.deepEqual(await p.edge.receiveDown(delivery), [
      { id: 1, payload: { set: 1 } },
      { id: 2, payload: { set: 2 } },
    ]);
    await p.edge.close();
    await p.db.close();
    p.db = await open(p.edgeDir);
    p.edge = await p.db.openSyncEdge({ deviceId: 'gw-1' });
    assert.deepEqual(await p.edge.receiveDown(delivery), [], 'delivered again: applied once');
    await p.hub.sendDown('gw-1', { set: 3 });
    assert.deepEqual(await p.edge.receiveDown(p.hub.pendingDown('gw-1')), [{ id: 3, payload: { set: 3 } }]);
    // an age retention over every table at the hub takes neither the marks nor waiting messages
    await p.hub.sendDown('gw-1', { set: 4 });
    await p.hubDb.runRetention({ table: '*', maxAge: '1d', now: NOW + 10 * 86_400_000 });
    assert.equal(p.hub.devices()[0].highSeq, 1);
    await p.hub.receiveDownAck(p.edge.downAck());
    assert.deepEqual(decodeDownDelivery(p.hub.pendingDown('gw-1')).messages, [
      { id: 4, payload: { set: 4 } },
    ]);
    assert.deepEqual(await p.edge.receiveDown(p.hub.pendingDown('gw-1')), [{ id: 4, payload: { set: 4 } }]);
    await p.hub.receiveDownAck(p.edge.downAck());
    assert.equal(p.hub.pendingDown('gw-1'), null);
    await p.hub.close();
    await p.hubDb.close();
    p.hubDb = await open(p.hubDir);
    p.hub = await p.hubDb.openSyncHub();
    assert.equal(p.hub.pendingDown('gw-1'), null, 'acknowledged messages stay acknowledged');
    assert.equal(p.hub.devices()[0].highSeq, 1, 'the mark survived the retention and the restart');
    assert.equal((await p.hubDb.read('helios_sync_down')).length, 0, 'acknowledged messages are deleted');
    await assert.rejects(
      p.edge.receiveDown(Buffer.from('not a delivery at all')),
      /not a Helios downlink delivery/,
    );
    await closeAll(p);
  });

  it('refuses bad options and foreign acks with a sentence', async () => {
    const db = await open(tempDir());
    await assert.rejects(
      db.openSyncEdge({ deviceId: 'has space' }),
      (err) => err instanceof InvalidInputError && /deviceId/.test(err.message),
    );
    await assert.rejects(db.openSyncEdge({ deviceId: 'gw', compression: 'lz4' }), /not available here/);
    const edge = await db.openSyncEdge({ deviceId: 'gw' });
    await assert.rejects(
      edge.acknowledge({ device: 'other', epoch: 'e', seq: 1, status: 'applied' }),
      /this edge is "gw"/,
    );
    await edge.close();
    await db.close();
  });
});

// The kill suite of issue #19: a writer SIGKILLed at random moments, also while a flush, a
// compaction, retention, downsampling or a sync cursor move is in progress, with durability
// 'always' and 'batch'. After each kill: the database opens, every acknowledged reading is there
// exactly once with its value, nothing appears that was never written, and the hub beside it holds
// no row twice and none the edge does not. CI runs 25 kills per mode; HELIOS_FAULT_LONG=1 runs 500
// per mode (`npm run test:faults`).
const assert = require('node:assert/strict');
const path = require('node:path');
const { open } = require('../../dist/engine');
const { tempDir } = require('../helpers');
const { runKilledAfterOpen } = require('../support/kill-after-open');

const WORKER = path.join(__dirname, '..', 'support', 'fault-worker.js');
const LONG = process.env.HELIOS_FAULT_LONG === '1';
const KILLS = LONG ? 500 : 25;
const valueAt = (t) => Math.round(Math.sin(t / 1000) * 10000) / 100;

function acksOf(lines) {
  return lines
    .filter((l) => l.startsWith('ack '))
    .map((l) => {
      const [, series, first, count] = l.split(' ');
      return { series, first: Number(first), count: Number(count) };
    });
}

/** Checks the edge holds exactly the acknowledged rows (plus unacknowledged ones that were written), the hub a subset. */
async function check(dir, acked, writtenUpTo) {
  const edge = await open(path.join(dir, 'edge'));
  const rows = await edge.read('live');
  await edge.close();
  const seen = new Map();
  for (const r of rows) {
    const key = `${r.sensor}@${r.time}`;
    assert.ok(!seen.has(key), `row ${key} is there twice`);
    seen.set(key, r.v);
    assert.ok(r.time < writtenUpTo, `row ${key} was never written`);
    assert.equal(r.v, valueAt(r.time), `row ${key} has another value`);
  }
  for (const a of acked) {
    for (let t = a.first; t < a.first + a.count; t++) {
      assert.ok(seen.has(`${a.series}@${t}`), `acknowledged row ${a.series}@${t} is lost`);
    }
  }
  const hub = await open(path.join(dir, 'hub'));
  const hubRows = await hub.read('live');
  await hub.close();
  const atHub = new Set();
  for (const r of hubRows) {
    const key = `${r.sensor}@${r.time}`;
    assert.ok(!atHub.has(key), `row ${key} is at the hub twice`);
    atHub.add(key);
    assert.equal(r.v, valueAt(r.time), `hub row ${key} has another value`);
  }
  return { rows: rows.length, hubRows: hubRows.length };
}

for (const durability of ['always', 'batch']) {
  describe(`faults: ${KILLS} SIGKILLs during writes, flush, compaction, retention, downsampling and sync (${durability})`, function () {
    this.timeout(LONG ? 0 : 240000);

    it('loses no acknowledged reading, doubles none, and always reopens', async () => {
      const dir = tempDir();
      const acked = [];
      let start = 1764000000000;
      let seed = durability === 'always' ? 17 : 71;
      let last = { rows: 0, hubRows: 0 };
      for (let kill = 0; kill < KILLS; kill++) {
        seed = (seed * 48271) % 2147483647;
        const killAfterMs = 30 + (seed % 400);
        const { lines } = await runKilledAfterOpen(WORKER, [dir, durability, start, seed], killAfterMs);
        const acks = acksOf(lines);
        acked.push(...acks);
        // the next run starts past anything this one may have written, acknowledged or not
        const lastAck = acks[acks.length - 1];
        const writtenUpTo = (lastAck ? lastAck.first + lastAck.count : start) + 300;
        last = await check(dir, acked, writtenUpTo);
        start = writtenUpTo;
      }
      const ackedRows = acked.reduce((n, a) => n + a.count, 0);
      console.log(
        `      ${KILLS} kills (${durability}): ${ackedRows} acknowledged readings checked, 0 lost, 0 doubled; ${last.rows} rows at the edge, ${last.hubRows} at the hub`,
      );
      assert.ok(acked.length > KILLS, 'the worker acknowledged writes between kills');
      assert.ok(last.hubRows > 0, 'sync moved rows to the hub');
    });
  });
}

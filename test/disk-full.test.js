// A full disk: writes fail with a sentence, nothing acknowledged is lost, and once space is freed
// the database takes writes again and reopens whole. Needs root to mount a small tmpfs (CI runs as
// root); elsewhere the test is skipped and says why.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

function mountSmallDisk(dir, size) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Readings whose values do not compress, so the disk fills quickly. */
function noisyBatch(start, n, seed) {
  const out = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    out.push({ time: start + i, tags: { s: `S${i % 4}` }, fields: { v: x / 7919.123 } });
  }
  return out;
}

describe('fault: disk full', function () {
  this.timeout(60000);
  let mountPoint;

  before(function () {
    mountPoint = tempDir('helios-full-');
    if (!mountSmallDisk(mountPoint, '3m')) this.skip(); // not root: cannot make a small disk here
  });

  after(() => {
    if (mountPoint) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
  });

  it('refuses writes with a sentence, loses nothing acknowledged, and recovers when space is freed', async () => {
    const dir = path.join(mountPoint, 'db');
    const filler = path.join(mountPoint, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(512 * 1024));
    const db = await open(dir, { durability: 'always', memoryLimitMB: 1 });
    const failures = [];
    db.on('background-error', () => {}); // flushes fail too while the disk is full; they are retried
    const acked = [];
    let t = T0;
    for (let i = 0; i < 400 && failures.length < 3; i++) {
      const batch = noisyBatch(t, 2000, i + 1);
      try {
        await db.write('full', batch);
        acked.push(...batch);
      } catch (err) {
        failures.push(err);
      }
      t += 2000;
    }
    assert.ok(failures.length > 0, 'the disk never filled; the test proved nothing');
    assert.ok(acked.length > 0);
    for (const err of failures) {
      assert.equal(err.code, 'HELIOS_DISK_FULL', String(err));
      assert.match(err.message, /is full.*not stored.*Free/);
    }

    const stored = new Map((await db.read('full')).map((r) => [`${r.s}|${r.time}`, r.v]));
    for (const r of acked) assert.equal(stored.get(`${r.tags.s}|${r.time}`), r.fields.v);

    fs.rmSync(filler);
    await db.close();
    const reopened = await open(dir, { durability: 'always' });
    const after = new Map((await reopened.read('full')).map((r) => [`${r.s}|${r.time}`, r.v]));
    for (const r of acked) assert.equal(after.get(`${r.tags.s}|${r.time}`), r.fields.v);
    const more = noisyBatch(t, 10, 99);
    await reopened.write('full', more);
    assert.equal((await reopened.read('full', { from: t })).length, 10);
    await reopened.close();
  });
});

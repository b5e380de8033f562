// The committed v1 fixture (test/fixtures/wal-v1/, written once by its generate.js) must keep
// reading back to exactly these payloads, and today's writer must still produce its bytes: a format
// change that breaks old logs fails here.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Wal } = require('../dist/engine/wal/wal');
const { writeFixture } = require('./fixtures/wal-v1/generate');

const FIXTURE = path.join(__dirname, 'fixtures', 'wal-v1', 'wal');
const OPTIONS = { durability: 'none', batchIntervalMs: 100, segmentBytes: 64 * 1024 * 1024 };

const text = (s) => Buffer.from(s, 'utf8');
const EXPECTED = [
  { lsn: 1, payload: Buffer.alloc(0) },
  { lsn: 2, payload: text('hello') },
  { lsn: 3, payload: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
  { lsn: 4, payload: text('helios wal v1') },
  { lsn: 5, payload: Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)) },
  { lsn: 6, payload: text('last') },
];
const FILES = ['00000000000000000001.wal', '00000000000000000004.wal', '00000000000000000007.wal'];

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'helios-walv1-'));
}

/** Opening may truncate, so tests open a copy, never the committed fixture. */
function fixtureCopy() {
  const dir = tempDir();
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

async function replay(dir, afterLsn) {
  const records = [];
  const result = await Wal.open(dir, OPTIONS, afterLsn, (lsn, payload) => {
    records.push({ lsn, payload: Buffer.from(payload) });
  });
  return { ...result, records };
}

describe('wal format v1 fixture', () => {
  const dirs = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds the files and header bytes of version 1', () => {
    assert.deepEqual(fs.readdirSync(FIXTURE).sort(), FILES);
    const header = fs.readFileSync(path.join(FIXTURE, FILES[1])).subarray(0, 20);
    assert.equal(header.subarray(0, 4).toString('latin1'), 'HWAL');
    assert.equal(header[4], 1, 'version');
    assert.equal(header.readUInt32LE(8), 4, 'first LSN, low word');
    assert.equal(header.readUInt32LE(12), 0, 'first LSN, high word');
  });

  it('replays to exactly the fixture payloads', async () => {
    const dir = fixtureCopy();
    dirs.push(dir);
    const { wal, replay: stats, records } = await replay(dir, 0);
    assert.deepEqual(records, EXPECTED);
    assert.deepEqual(stats, { records: 6, bytes: 0 + 5 + 256 + 13 + 1000 + 4 });
    assert.equal(wal.lastLsn, 6);
    assert.equal(wal.append(text('after')).lsn, 7);
    await wal.close();
    assert.deepEqual(fs.readdirSync(dir).sort(), FILES, 'appends continue the empty last file');
  });

  it('replays from a checkpoint inside the fixture', async () => {
    const dir = fixtureCopy();
    dirs.push(dir);
    const { wal, records } = await replay(dir, 4);
    assert.deepEqual(records, EXPECTED.slice(4));
    await wal.close();
  });

  it('is what the writer produces today, byte for byte', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await writeFixture(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), FILES);
    for (const name of FILES) {
      assert.ok(
        fs.readFileSync(path.join(dir, name)).equals(fs.readFileSync(path.join(FIXTURE, name))),
        `${name} differs from the committed v1 fixture`,
      );
    }
  });
});

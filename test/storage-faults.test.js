// Issue #19, the storage half: a small file missing or wrong never deletes what was acknowledged
// (D1, D2), one directory has one engine (D3), and files that are not what their names say are set
// aside (C3). Each finding of the issue is a named test; docs/storage.md has the rules.
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;
const HOLDER = path.join(__dirname, 'support', 'lock-holder.js');

function readings(from, n) {
  const out = [];
  for (let i = from; i < from + n; i++) out.push({ time: T0 + i * 1000, tags: { s: 'a' }, fields: { v: i } });
  return out;
}

/** A database of 3,001 rows: two flushed segments and a row in the WAL only, closed. */
async function threeSegments(dir) {
  const db = await open(dir);
  await db.write('t', readings(0, 1500));
  await db.flush();
  await db.write('t', readings(1500, 1500));
  await db.flush();
  await db.write('t', readings(5000, 1));
  await db.close();
}

async function countAndSum(dir) {
  const db = await open(dir);
  try {
    const { rows } = await db.query('SELECT count(*) AS n, sum(v) AS total, count(DISTINCT v) AS d FROM t');
    return { ...rows[0], quarantined: db.stats().quarantined };
  } finally {
    await db.close();
  }
}

const EXPECTED = { n: 3001, total: (2999 * 3000) / 2 + 5000, d: 3001 };

function segmentFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.seg')) out.push(p);
    }
  };
  walk(path.join(dir, 'data'));
  return out.sort();
}

describe('storage faults (#19)', () => {
  it('D1: a deleted CHECKPOINT deletes no segment; the rows are all there, once', async () => {
    const dir = tempDir();
    await threeSegments(dir);
    const before = segmentFiles(dir);
    fs.rmSync(path.join(dir, 'CHECKPOINT'));
    const got = await countAndSum(dir);
    assert.deepEqual({ n: got.n, total: got.total, d: got.d }, EXPECTED);
    for (const file of before) assert.ok(fs.existsSync(file), `${file} was deleted`);
    // and the checkpoint it wrote back makes the next open an ordinary one
    const again = await countAndSum(dir);
    assert.deepEqual({ n: again.n, total: again.total, d: again.d }, EXPECTED);
  });

  it('D1: a half-written CHECKPOINT is set aside and named; no row is lost', async () => {
    const dir = tempDir();
    await threeSegments(dir);
    fs.writeFileSync(path.join(dir, 'CHECKPOINT'), '{"lsn": 1');
    const got = await countAndSum(dir);
    assert.deepEqual({ n: got.n, total: got.total, d: got.d }, EXPECTED);
    assert.equal(got.quarantined.length, 1);
    assert.match(got.quarantined[0], /CHECKPOINT: unreadable checkpoint/);
    assert.ok(fs.existsSync(path.join(dir, 'CHECKPOINT.corrupt')));
  });

  it('D1: a stale CHECKPOINT (an old one restored) keeps every segment and doubles nothing', async () => {
    const dir = tempDir();
    await threeSegments(dir);
    fs.writeFileSync(path.join(dir, 'CHECKPOINT'), '{"lsn":1,"rowids":{}}');
    const got = await countAndSum(dir);
    assert.deepEqual({ n: got.n, total: got.total, d: got.d }, EXPECTED);
  });

  it('D1: rows written after the checkpoint was lost survive a crash before the next flush', async () => {
    const dir = tempDir();
    await threeSegments(dir);
    fs.rmSync(path.join(dir, 'CHECKPOINT'));
    let db = await open(dir);
    await db.write('t', readings(6000, 10));
    await db.flush();
    await db.write('t', readings(7000, 10));
    await db.close();
    db = await open(dir);
    const { rows } = await db.query('SELECT count(*) AS n, count(DISTINCT v) AS d FROM t');
    assert.deepEqual(rows, [{ n: 3021, d: 3021 }]);
    await db.close();
  });

  it('D2: a second copy of a segment under an overlapping name is set aside, the original kept', async () => {
    const dir = tempDir();
    await threeSegments(dir);
    const [first] = segmentFiles(dir);
    const copy = path.join(path.dirname(first), `zz-${path.basename(first)}`);
    fs.copyFileSync(first, copy);
    const got = await countAndSum(dir);
    assert.deepEqual({ n: got.n, total: got.total, d: got.d }, EXPECTED);
    assert.ok(fs.existsSync(first), 'the original segment is gone');
    assert.equal(got.quarantined.length, 1);
    assert.match(got.quarantined[0], /zz-.*a second copy, set aside/);
    assert.ok(fs.existsSync(`${copy}.corrupt`));
  });

  it('C3: a FIFO named like a segment neither hangs open() nor stops the rest', async function () {
    this.timeout(20000);
    const dir = tempDir();
    await threeSegments(dir);
    const [first] = segmentFiles(dir);
    const fifo = path.join(path.dirname(first), '00000000000000000900-00000000000000000900.seg');
    execFileSync('mkfifo', [fifo]);
    const got = await countAndSum(dir);
    assert.deepEqual({ n: got.n, total: got.total, d: got.d }, EXPECTED);
    assert.match(got.quarantined.join('\n'), /900\.seg: not a regular file/);
  });

  it('C1: a reading at the edge of the time range (±2^50 ms) is flushed, and later flushes go on', async () => {
    const dir = tempDir();
    let db = await open(dir);
    const edge = [2 ** 50, -(2 ** 50), 2 ** 50 - 1, -62135596800000, 253402300800000];
    await db.write(
      't',
      edge.map((time) => ({ time, tags: { s: 'edge' }, fields: { v: 1 } })),
    );
    await db.flush();
    await db.write('t', readings(0, 10));
    await db.flush();
    await db.close();
    db = await open(dir);
    const { rows } = await db.query("SELECT time FROM t WHERE s = 'edge' ORDER BY time");
    assert.deepEqual(
      rows.map((r) => r.time),
      [...edge].sort((a, b) => a - b),
    );
    assert.equal((await db.query('SELECT count(*) AS n FROM t')).rows[0].n, 15);
    assert.equal(db.stats().lastBackgroundError, null);
    await db.close();
  });

  it('C2: a flipped bit in a chunk costs that chunk only: reads, compaction and reopen go on', async function () {
    this.timeout(60000);
    const source = tempDir();
    const model = new Map();
    let db = await open(source, { chunkRows: 256 });
    const rows = [];
    for (let i = 0; i < 4000; i++) {
      // full-precision noise: the chunks, not the footer, are most of the file
      const r = { time: T0 + i * 1000, tags: { s: `s${i % 4}` }, fields: { v: Math.sin(i) * 1000 } };
      rows.push(r);
      model.set(`${r.tags.s}@${r.time}`, r.fields.v);
    }
    await db.write('t', rows.slice(0, 2000));
    await db.flush();
    await db.write('t', rows.slice(2000));
    await db.close();
    const [segment] = segmentFiles(source);
    const whole = fs.readFileSync(segment);
    const footerOffset = whole.readUInt32LE(whole.length - 20); // the trailer (segment/FORMAT.md)
    const flips = 12;
    for (let k = 0; k < flips; k++) {
      const dir = tempDir();
      fs.cpSync(source, dir, { recursive: true });
      const file = path.join(dir, path.relative(source, segment));
      const bytes = fs.readFileSync(file);
      const at = 8 + Math.floor(((k + 0.5) / flips) * (footerOffset - 8)); // a byte of some chunk
      bytes[at] ^= 1 << (k % 8);
      fs.writeFileSync(file, bytes);
      db = await open(dir, { chunkRows: 256 });
      const events = [];
      db.on('corruption', (e) => events.push(e));
      const got = (await db.query('SELECT s, time, v FROM t')).rows;
      assert.equal(events.length, 1, `flip at byte ${at}: one corruption event`);
      const [e] = events;
      const expected = [...model].filter(([key]) => {
        const [s, t] = key.split('@');
        return !(s === e.tags.s && Number(t) >= e.from && Number(t) <= e.to);
      });
      assert.equal(got.length, expected.length, `flip at byte ${at}: every row outside the chunk`);
      assert.equal(expected.length, 4000 - e.rows);
      for (const r of got) assert.equal(model.get(`${r.s}@${r.time}`), r.v);
      assert.match(
        db.stats().quarantined.join('\n'),
        new RegExp(`chunk at byte ${e.offset} \\(series s=${e.tags.s}`),
      );
      // counts agree with what can be read, and the same read again raises no second event
      assert.equal((await db.query('SELECT count(*) AS n FROM t')).rows[0].n, expected.length);
      await db.write('t', [{ time: T0 - 1000, tags: { s: 's0' }, fields: { v: -1 } }]);
      await db.flush();
      await db.compact(true);
      assert.equal(events.length, 1);
      await db.close();
      assert.ok(fs.existsSync(`${file}.corrupt`), 'the damaged file is kept as *.corrupt after compaction');
      db = await open(dir, { chunkRows: 256 });
      assert.equal((await db.query('SELECT count(*) AS n FROM t')).rows[0].n, expected.length + 1);
      await db.close();
    }
  });

  describe('C3: a damaged or replaced small file gives a sentence that names it, never a raw error or a hang', () => {
    // what each file is, and whether the engine can go on without it (set aside) or must stop
    const files = [
      ['CURSORS', 'stops', /sync has sent/],
      ['TABLES', 'stops', /CREATE TABLE/],
      ['VIEWS', 'stops', /CREATE VIEW/],
      ['TOMBSTONES', 'stops', /deleted rows would come back/],
      ['DOWNSAMPLE', 'set aside', null],
      ['CHECKPOINT', 'set aside', null],
    ];
    const damages = [
      ['garbled', (f) => fs.writeFileSync(f, '{"a": 1')],
      ['empty', (f) => fs.writeFileSync(f, '')],
      ['the wrong shape', (f) => fs.writeFileSync(f, '[1, "x", null]')],
      ['a folder', (f) => fs.mkdirSync(f)],
      ['a FIFO', (f) => execFileSync('mkfifo', [f])],
      ['a symlink out of the folder', (f) => fs.symlinkSync('/etc/hostname', f)],
    ];
    for (const [name, outcome, help] of files) {
      for (const [damage, make] of damages) {
        it(`${name} as ${damage}: ${outcome}`, async function () {
          this.timeout(20000);
          const dir = tempDir();
          const db = await open(dir);
          await db
            .query('CREATE TABLE d (sensor_id TEXT, v REAL, PRIMARY KEY (sensor_id, time))')
            .catch(() => {});
          await db.write('t', readings(0, 100));
          await db.deleteRows('t', { from: T0, to: T0 + 5000 });
          await db.flush();
          await db.close();
          const file = path.join(dir, name);
          fs.rmSync(file, { recursive: true, force: true });
          make(file);
          if (outcome === 'stops') {
            await assert.rejects(open(dir), (err) => {
              assert.equal(err.code, 'HELIOS_CORRUPTION', err.stack);
              assert.ok(err.message.startsWith(`The file ${file} is damaged: `), err.message);
              assert.match(err.message, help);
              return true;
            });
            // the folder is left as it was: no lock behind, and the file untouched
            assert.ok(!fs.existsSync(path.join(dir, 'LOCK')));
          } else {
            const again = await open(dir);
            assert.equal((await again.query('SELECT count(*) AS n FROM t')).rows[0].n, 94);
            assert.match(again.stats().quarantined.join('\n'), new RegExp(`${name}: `));
            await again.close();
          }
        });
      }
    }
  });

  // A stress test more than a regression test: the old lock's window (created empty, filled after)
  // was microseconds wide, and 50 races here did not hit it; the symlink and removed-LOCK tests
  // below fail on the old lock.
  it('D3: of two processes opening one folder in the same millisecond, one holds it at a time (20 races)', async function () {
    this.timeout(180000);
    let together = 0;
    let refused = 0;
    // 10 races at once on 10 folders, 2 rounds: each pair leaves its wait in the same millisecond
    for (let round = 0; round < 2; round++) {
      const at = Date.now() + 2500;
      const dirs = Array.from({ length: 10 }, () => tempDir());
      const races = await Promise.all(
        dirs.map((dir) => Promise.all([runHolder(dir, at, 300, true), runHolder(dir, at, 300, true)])),
      );
      for (const [i, outs] of races.entries()) {
        const name = `round ${round}, race ${i}`;
        for (const o of outs) assert.ok(o[0] === 'open' || o[0] === 'HELIOS_LOCKED', `${name}: ${o[0]}`);
        const held = outs.filter((o) => o[0] === 'open').map((o) => o[1].split(' ').slice(1).map(Number));
        assert.ok(held.length >= 1, `${name}: neither engine opened (${outs.map((o) => o[0])})`);
        if (held.length === 2 && held[0][0] < held[1][1] && held[1][0] < held[0][1]) together++;
        if (held.length === 1) refused++;
        const db = await open(dirs[i]);
        const { rows } = await db.query('SELECT count(*) AS n FROM t');
        await db.close();
        assert.equal(rows[0].n, held.length, `${name}: every acknowledged write is there`);
      }
    }
    assert.equal(together, 0, `${together} of 20 races had two engines in the folder at once`);
    assert.ok(refused > 0, 'no race was a race: every pair opened one after the other');
  });

  it('D3: the same folder through a symlink is the same lock', async () => {
    const dir = tempDir();
    const link = `${dir}-link`;
    fs.symlinkSync(dir, link);
    const db = await open(dir);
    try {
      await assert.rejects(open(link), { code: 'HELIOS_LOCKED' });
      const other = await runHolder(link, Date.now(), 0);
      assert.equal(other, 'HELIOS_LOCKED');
    } finally {
      await db.close();
      fs.rmSync(link);
    }
  });

  it('D3: a LOCK removed while open stops this engine writing once another took the folder', async function () {
    this.timeout(20000);
    const dir = tempDir();
    const db = await open(dir);
    const errors = [];
    db.on('background-error', (err) => errors.push(err));
    await db.write('t', readings(0, 10));
    fs.rmSync(path.join(dir, 'LOCK'));
    const other = runHolder(dir, Date.now(), 1500);
    await waitFor(() => fs.existsSync(path.join(dir, 'LOCK')));
    await assert.rejects(db.flush(), { code: 'HELIOS_LOCK_LOST' });
    await assert.rejects(db.write('t', readings(20, 1)), { code: 'HELIOS_LOCK_LOST' });
    assert.equal(await other, 'open');
    await db.close();
    const after = await open(dir);
    const { rows } = await after.query('SELECT count(*) AS n FROM t');
    assert.equal(rows[0].n, 11, 'the 10 acknowledged rows and the other engine`s row');
    await after.close();
  });
});

/** The holder's first line (all lines with `lines`). */
function runHolder(dir, at, holdMs, lines = false) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, dir, String(at), String(holdMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(err));
      else resolve(lines ? out.trim().split('\n') : out.trim().split('\n')[0]);
    });
  });
}

async function waitFor(check) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

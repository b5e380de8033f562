// UPDATE and DELETE of chosen rows, and scripts with BEGIN ... COMMIT, on a real Database: rows in
// the head and in segments, through flush, compaction and reopen; only the changed rows are
// written; changes counted; one WAL record per statement; transactions and scripts.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** s1, s2: tagged series, one row a minute; plain: rows without tags, three per millisecond. */
function readings(from, n) {
  const out = [];
  for (let i = from; i < from + n; i++) {
    out.push({ time: T0 + i * 60000, tags: { sensor_id: 's1' }, fields: { value: i, flag: false } });
    out.push({ time: T0 + i * 60000, tags: { sensor_id: 's2' }, fields: { value: 100 + i, flag: false } });
  }
  return out;
}

async function rows(db, sql) {
  return (await db.query(sql)).rows;
}

describe('UPDATE and DELETE of chosen rows', () => {
  let dir;
  let db;

  beforeEach(async () => {
    dir = tempDir('helios-update-');
    db = await open(dir, { chunkRows: 8 });
  });

  afterEach(async () => {
    await db?.close();
  });

  async function reopen() {
    await db.close();
    db = await open(dir, { chunkRows: 8 });
  }

  it('changes rows in segments and in the head, writing only the changed rows, through flush, compaction and reopen', async () => {
    await db.write('r', readings(0, 20));
    await db.flush();
    await db.write('r', readings(20, 10)); // in the head
    const before = db.stats();
    const res = await db.query('UPDATE r SET value = value * 10, flag = true WHERE value % 5 = 0');
    // s1: 0, 5, ..., 25 (6 rows); s2: 100, 105, ..., 125 (6 rows)
    assert.equal(res.changes, 12);
    assert.deepEqual(res.rows, [{ count: 12, lsn: before.lastLsn + 1 }]);
    const after = db.stats();
    assert.equal(after.lastLsn, before.lastLsn + 1, 'one WAL record');
    assert.equal(after.headRows - before.headRows, 12, 'only the changed rows are written');
    const expect = async () => {
      const got = await rows(db, 'SELECT sensor_id, value, flag FROM r WHERE flag ORDER BY sensor_id, time');
      assert.deepEqual(
        got.map((r) => `${r.sensor_id}:${r.value}`),
        [0, 5, 10, 15, 20, 25]
          .map((v) => `s1:${v * 10}`)
          .concat([100, 105, 110, 115, 120, 125].map((v) => `s2:${v * 10}`)),
      );
      assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 60);
      assert.equal((await rows(db, 'SELECT count(*) AS n FROM r WHERE NOT flag'))[0].n, 48);
    };
    await expect();
    await db.flush();
    await expect();
    await db.compact(true);
    await expect();
    await reopen();
    await expect();
  });

  it('changes and deletes rows that share a millisecond by their rowids, and keeps that through reopen', async () => {
    const plain = [];
    for (let i = 0; i < 30; i++) plain.push({ time: T0 + Math.floor(i / 3), fields: { n: i } });
    await db.write('p', plain.slice(0, 15));
    await db.flush();
    await db.write('p', plain.slice(15));
    let res = await db.query('UPDATE p SET n = n + 1000 WHERE n % 3 = 1');
    assert.equal(res.changes, 10);
    res = await db.query('DELETE FROM p WHERE n < 1000 AND (n % 3 = 2 OR n = 0)');
    assert.equal(res.changes, 11);
    const expect = async () => {
      const got = (await rows(db, 'SELECT n FROM p ORDER BY n')).map((r) => r.n);
      const want = [];
      for (let i = 1; i < 30; i++) if (i % 3 === 0) want.push(i);
      for (let i = 0; i < 30; i++) if (i % 3 === 1) want.push(i + 1000);
      assert.deepEqual(got, want);
    };
    await expect();
    await reopen();
    await expect();
    await db.flush();
    await db.compact(true);
    await expect();
    await reopen();
    await expect();
  });

  it('deletes by time range and tags with a tombstone and counts the rows it deleted', async () => {
    await db.write('r', readings(0, 20));
    await db.flush();
    await db.write('r', readings(20, 10));
    const res = await db.query("DELETE FROM r WHERE sensor_id = 's1' AND time >= ?", [T0 + 15 * 60000]);
    assert.equal(res.changes, 15);
    assert.equal(typeof res.rows[0].lsn, 'number');
    assert.equal((await rows(db, "SELECT count(*) AS n FROM r WHERE sensor_id = 's1'"))[0].n, 15);
    const all = await db.query('DELETE FROM r');
    assert.equal(all.changes, 45);
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 0);
  });

  it('writes a large UPDATE as one WAL record', async () => {
    const many = [];
    for (let i = 0; i < 20000; i++)
      many.push({ time: T0 + i, tags: { sensor_id: 's1' }, fields: { value: i } });
    await db.write('big', many);
    const before = db.stats().lastLsn;
    const started = performance.now();
    const res = await db.query('UPDATE big SET value = -value');
    const ms = performance.now() - started;
    assert.equal(res.changes, 20000);
    assert.equal(db.stats().lastLsn, before + 1);
    assert.equal((await rows(db, 'SELECT min(value) AS lo, max(value) AS hi FROM big'))[0].lo, -19999);
    assert.ok(ms < 10000, `${ms} ms`);
  });

  it('refuses an UPDATE of more rows than maxRows, changing nothing', async () => {
    await db.write('r', readings(0, 20));
    await assert.rejects(
      db.query('UPDATE r SET value = 0', [], { maxRows: 10 }),
      /more than 10 rows \(rows an UPDATE changes\)/,
    );
    await assert.rejects(
      db.query('DELETE FROM r WHERE value >= 0', [], { maxRows: 10 }),
      /rows a DELETE removes/,
    );
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r WHERE value = 0'))[0].n, 1);
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 40);
  });

  it('runs concurrent UPDATEs one after the other, so none is lost', async () => {
    await db.write('c', [{ time: T0, tags: { k: 'a' }, fields: { n: 0n } }]);
    await Promise.all(Array.from({ length: 20 }, () => db.query('UPDATE c SET n = n + 1')));
    assert.deepEqual(await rows(db, 'SELECT n FROM c'), [{ n: 20 }]);
  });

  it('explains an UPDATE and a DELETE of chosen rows without changing anything', async () => {
    await db.write('r', readings(0, 3));
    const plan = (
      await rows(db, "EXPLAIN UPDATE r SET value = value + 1 WHERE sensor_id = 's1' AND value > 1")
    ).map((r) => r.plan);
    assert.equal(plan[0], 'Update r: value = value + 1 [update]');
    assert.equal(plan[1], '  Filter: value > 1 [fusedScanProject]');
    assert.match(plan[2], /^ {4}Scan r: time \(unbounded\) \.\. \(unbounded\); tags sensor_id='s1'/);
    const del = (await rows(db, 'EXPLAIN DELETE FROM r WHERE value > 1')).map((r) => r.plan);
    assert.equal(del[0], 'Delete from r: the rows below, by delete markers [deleteByMarkers]');
    assert.equal(del[1], '  Filter: value > 1 [fusedScanProject]');
    assert.equal((await rows(db, 'SELECT sum(value) AS s FROM r'))[0].s, 306);
  });
});

describe('UPDATE of a table declared as SQLite declares them', () => {
  let db;

  beforeEach(async () => {
    db = await open(tempDir('helios-update-sqlite-'));
    await db.query(`CREATE TABLE a (
      id INTEGER PRIMARY KEY AUTOINCREMENT, floor INTEGER NOT NULL, name TEXT UNIQUE, note TEXT,
      CONSTRAINT floor_range CHECK (floor BETWEEN 1 AND 50))`);
    await db.query("INSERT INTO a (floor, name) VALUES (1, 'x'), (2, 'y'), (3, NULL)");
  });

  afterEach(async () => {
    await db?.close();
  });

  const refused = [
    ['UPDATE a SET floor = 51 WHERE id = 1', /CHECK constraint failed: floor_range/],
    ['UPDATE a SET floor = NULL WHERE id = 2', /NOT NULL constraint failed: a\.floor/],
    ["UPDATE a SET name = 'y' WHERE id = 1", /UNIQUE constraint failed: a\.name/],
    ["UPDATE a SET name = 'z'", /UNIQUE constraint failed: a\.name/],
    [
      'UPDATE a SET id = 5',
      /UPDATE cannot change "id": it is the row's rowid \(the INTEGER PRIMARY KEY\), part of what identifies the row at line 1, column 14/,
    ],
    [
      'UPDATE a SET rowid = 5',
      /UPDATE cannot change "rowid": it is the row's rowid, part of what identifies the row/,
    ],
    ["UPDATE a SET floor = 'high'", /holds whole numbers: 'high' \(text\) cannot be stored there/],
  ];
  for (const [sql, message] of refused) {
    it(`refuses ${sql} and changes nothing`, async () => {
      await assert.rejects(db.query(sql), message);
      assert.deepEqual(await rows(db, 'SELECT id, floor, name FROM a ORDER BY id'), [
        { id: 1, floor: 1, name: 'x' },
        { id: 2, floor: 2, name: 'y' },
        { id: 3, floor: 3, name: null },
      ]);
    });
  }

  it('converts by affinity, counts the matching rows, swaps unique values in one statement, returns the new rows', async () => {
    let res = await db.query(
      "UPDATE a SET floor = '7', note = 12 WHERE rowid = 3 RETURNING id, floor, typeof(floor) AS t, note",
    );
    assert.deepEqual(res.rows, [{ id: 3, floor: 7, t: 'integer', note: '12' }]);
    res = await db.query("UPDATE a SET name = CASE id WHEN 1 THEN 'y' ELSE 'x' END WHERE id < 3");
    assert.equal(res.changes, 2);
    res = await db.query('UPDATE a SET floor = floor WHERE floor < 10');
    assert.equal(res.changes, 3);
    assert.deepEqual(await rows(db, 'SELECT id, floor, name, note FROM a ORDER BY id'), [
      { id: 1, floor: 1, name: 'y', note: null },
      { id: 2, floor: 2, name: 'x', note: null },
      { id: 3, floor: 7, name: null, note: '12' },
    ]);
  });
});

describe('Scripts and transactions in SQL', () => {
  let db;

  beforeEach(async () => {
    db = await open(tempDir('helios-script-'));
    await db.write('r', readings(0, 5));
  });

  afterEach(async () => {
    await db?.close();
  });

  it('gives the last statement result, changes summed over the script and the last insert rowid', async () => {
    const res = await db.query(
      "BEGIN; INSERT INTO p (time, n) VALUES (1, 1), (2, 2); UPDATE r SET value = 0 WHERE sensor_id = 's1'; SELECT count(*) AS n FROM p; COMMIT",
    );
    assert.deepEqual(res.rows, [{ n: 2 }]);
    assert.equal(res.changes, 7);
    assert.equal(res.lastInsertRowid, 2);
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r WHERE value = 0'))[0].n, 5);
  });

  it('stores a committed script as one WAL record', async () => {
    const before = db.stats().lastLsn;
    await db.query(
      "BEGIN; UPDATE r SET flag = true WHERE value < 3; DELETE FROM r WHERE sensor_id = 's2'; INSERT INTO r (time, sensor_id, value, flag) VALUES (1, 's9', 1, true); COMMIT",
    );
    assert.equal(db.stats().lastLsn, before + 1);
    assert.deepEqual(
      await rows(db, 'SELECT sensor_id, count(*) AS n FROM r WHERE flag GROUP BY sensor_id ORDER BY 1'),
      [
        { sensor_id: 's1', n: 3 },
        { sensor_id: 's9', n: 1 },
      ],
    );
  });

  it('rolls back on a failing statement and says which one', async () => {
    const before = db.stats().lastLsn;
    await assert.rejects(
      db.query("BEGIN;\nDELETE FROM r WHERE sensor_id = 's1';\nUPDATE r SET value = 'x';\nCOMMIT"),
      (err) => {
        assert.equal(err.code, 'HELIOS_TYPE_CONFLICT');
        assert.match(
          err.message,
          /^Statement 3 of 4 of the script failed; the transaction was rolled back: /,
        );
        return true;
      },
    );
    assert.equal(db.stats().lastLsn, before);
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 10);
    // a bind error points into the whole text
    await assert.rejects(
      db.query('BEGIN;\nUPDATE r SET valeu = 1;\nCOMMIT'),
      /at line 2, column 14:\n {2}UPDATE r SET valeu = 1;\n {15}\^/,
    );
  });

  it('lets tx.query run scripts, UPDATE and DELETE inside db.transaction, and refuses BEGIN and COMMIT there', async () => {
    await db.transaction(async (tx) => {
      const res = await tx.query(
        "UPDATE r SET value = -1 WHERE sensor_id = 's1'; DELETE FROM r WHERE value = -1 AND time = ?",
        [T0],
      );
      assert.equal(res.changes, 6);
      await assert.rejects(tx.query('BEGIN; COMMIT'), /cannot start a transaction within a transaction/);
      await assert.rejects(
        tx.query('COMMIT'),
        /cannot commit here: this runs inside db.transaction\(\) or db.begin\(\)/,
      );
      assert.equal((await tx.query('SELECT count(*) AS n FROM r WHERE value = -1')).rows[0].n, 4);
      // not visible outside before commit
      assert.equal((await rows(db, 'SELECT count(*) AS n FROM r WHERE value = -1'))[0].n, 0);
    });
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r WHERE value = -1'))[0].n, 4);
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 9);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('DELETE FROM r');
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal((await rows(db, 'SELECT count(*) AS n FROM r'))[0].n, 9);
  });
});

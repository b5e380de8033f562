// Transactions and rows written again with their identity (docs/storage.md, "Transactions"):
// a transaction's writes are stored as one WAL record, seen by its own reads and by no one else
// before COMMIT; a rollback leaves nothing, and hands its rowids back. writeStored replaces rows
// by identity (UPDATE) and deletes them with markers (DELETE of chosen rows), through the head,
// flushes, compaction and reopen.
const assert = require('node:assert/strict');
const { open, markersFor } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

describe('transactions', () => {
  let dir;
  let db;
  beforeEach(async () => {
    dir = tempDir();
    db = await open(dir, { chunkRows: 16 });
  });
  afterEach(async () => {
    await db.close();
  });

  it('stores its writes together at commit; reads inside see them, reads outside do not', async () => {
    await db.transaction(async (tx) => {
      await tx.write('a', [{ time: T0, fields: { v: 1 } }]);
      await tx.write('b', [{ time: T0, tags: { s: 'x' }, fields: { v: 2 } }]);
      assert.deepEqual((await tx.query('SELECT v FROM a')).rows, [{ v: 1 }]);
      assert.deepEqual((await tx.query('SELECT s, v FROM b')).rows, [{ s: 'x', v: 2 }]);
      assert.equal(db.schema('a'), undefined, 'no one outside sees the new table yet');
    });
    assert.deepEqual(await db.read('a'), [{ time: T0, v: 1 }]);
    assert.deepEqual(await db.read('b'), [{ time: T0, s: 'x', v: 2 }]);
    await db.close();
    db = await open(dir);
    assert.deepEqual(await db.read('b'), [{ time: T0, s: 'x', v: 2 }]);
  });

  it('keeps nothing when the function throws, passes the error on, and gives rowids back', async () => {
    await db.write('a', [{ time: T0, fields: { v: 1 } }]);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.write('a', [
          { time: T0, fields: { v: 2 } },
          { time: T0, fields: { v: 3 } },
        ]);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.deepEqual(await db.read('a'), [{ time: T0, v: 1 }]);
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 4 } }])).lastRowid, 2);
  });

  it('does not give rowids back that another write numbered after them', async () => {
    const tx = db.begin();
    await tx.write('a', [{ time: T0, fields: { v: 1 } }]);
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 2 } }])).lastRowid, 2);
    tx.rollback();
    assert.equal((await db.write('a', [{ time: T0, fields: { v: 3 } }])).lastRowid, 3);
  });

  it('holds up no other writer or reader while it is open', async () => {
    const tx = db.begin();
    await tx.write('a', [{ time: T0, fields: { v: 1 } }]);
    // another caller writes and reads while the transaction is open, and sees only committed rows
    const other = await db.write('a', [{ time: T0 + 1, fields: { v: 2 } }]);
    assert.equal(other.count, 1);
    assert.deepEqual(await db.read('a'), [{ time: T0 + 1, v: 2 }]);
    assert.deepEqual(
      (await tx.query('SELECT v FROM a ORDER BY v')).rows.map((r) => r.v),
      [1, 2],
    );
    await tx.commit();
    assert.deepEqual(
      (await db.read('a')).map((r) => r.v),
      [1, 2],
    );
  });

  it('refuses work after commit or rollback', async () => {
    const tx = db.begin();
    await tx.commit();
    await assert.rejects(tx.write('a', [{ time: T0, fields: { v: 1 } }]), /committed already/);
  });
});

describe('rows written again with their identity', () => {
  let dir;
  let db;
  beforeEach(async () => {
    dir = tempDir();
    db = await open(dir, { chunkRows: 16 });
  });
  afterEach(async () => {
    await db.close();
  });

  async function rowsWithIds(table) {
    const out = [];
    for await (const rows of db.scan(table)) {
      const ids = rows.fields.get('\u0001rowid');
      for (let i = 0; i < rows.count; i++)
        out.push({ id: ids?.values[i] ?? null, v: rows.fields.get('v')?.values[i] });
    }
    return out;
  }

  it('replaces a row by its rowid and deletes rows by markers, in the head and in segments', async () => {
    const burst = Array.from({ length: 30 }, (_, i) => ({ time: T0, fields: { v: i } }));
    await db.write('t', burst);
    await db.flush();
    // a new version of row 5 and markers for rows 10..19
    await db.writeStored('t', [{ time: T0, fields: { v: 500 }, rowid: 5 }]);
    const doomed = [];
    for await (const rows of db.scan('t')) doomed.push(...markersFor(rows));
    await db.writeStored(
      't',
      doomed.filter((m) => m.rowid >= 10 && m.rowid < 20),
    );
    const expected = burst
      .map((r, i) => ({ id: i + 1, v: i === 4 ? 500 : r.fields.v }))
      .filter((r) => r.id < 10 || r.id >= 20);
    assert.deepEqual(await rowsWithIds('t'), expected);
    assert.equal((await db.query('SELECT count(*) AS n, sum(v) AS s FROM t')).rows[0].n, 20);
    await db.flush();
    assert.deepEqual(await rowsWithIds('t'), expected);
    await db.compact(true);
    assert.deepEqual(await rowsWithIds('t'), expected);
    await db.close();
    db = await open(dir, { chunkRows: 16 });
    assert.deepEqual(await rowsWithIds('t'), expected);
    const s = (await db.query('SELECT count(*) AS n, sum(v) AS s FROM t')).rows[0];
    assert.deepEqual(s, { n: 20, s: expected.reduce((a, r) => a + r.v, 0) });
  });

  it('deletes the newest row of a series with a marker, and latest-row queries see the one before', async () => {
    await db.write('t', [
      { time: T0, tags: { s: 'a' }, fields: { v: 1 } },
      { time: T0 + 1, tags: { s: 'a' }, fields: { v: 2 } },
    ]);
    await db.flush();
    await db.writeStored('t', [{ time: T0 + 1, tags: { s: 'a' }, fields: {}, rowid: null, deleted: true }]);
    const latest = await db.query('SELECT s, last(v, time) AS v FROM t GROUP BY s');
    assert.deepEqual(latest.rows, [{ s: 'a', v: 1 }]);
    await db.flush();
    await db.compact(true);
    assert.deepEqual(await db.read('t'), [{ time: T0, s: 'a', v: 1 }]);
  });
});

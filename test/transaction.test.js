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

  it('refuses the COMMIT of a transaction whose table changed after it read it, storing nothing', async () => {
    await db.query('CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)');
    await db.query('INSERT INTO c (id, n) VALUES (1, 0)');
    // two read-modify-write transactions: without the check, the second would undo the first
    const first = db.begin();
    const second = db.begin();
    const seen1 = (await first.query('SELECT n FROM c WHERE id = 1')).rows[0].n;
    const seen2 = (await second.query('SELECT n FROM c WHERE id = 1')).rows[0].n;
    await first.query('UPDATE c SET n = ? WHERE id = 1', [seen1 + 1]);
    await second.query('UPDATE c SET n = ? WHERE id = 1', [seen2 + 1]);
    await first.commit();
    await assert.rejects(second.commit(), (err) => {
      assert.equal(err.code, 'HELIOS_TX_CONFLICT');
      assert.equal(err.table, 'c');
      assert.match(
        err.message,
        /changed table "c" after this transaction read it.*Run the transaction again/,
      );
      return true;
    });
    assert.deepEqual((await db.query('SELECT n FROM c')).rows, [{ n: 1 }]);
    // the refused transaction's rowids were handed back: the next row is 2
    assert.equal((await db.query('INSERT INTO c (n) VALUES (7)')).lastInsertRowid, 2);
  });

  it('commits when the tables it read are unchanged, whatever else was written meanwhile', async () => {
    await db.write('a', [{ time: T0, fields: { v: 1 } }]);
    const tx = db.begin();
    assert.equal((await tx.query('SELECT count(*) AS n FROM a')).rows[0].n, 1);
    await tx.write('a', [{ time: T0 + 1, fields: { v: 2 } }]);
    await db.write('other', [{ time: T0, fields: { v: 9 } }]);
    await tx.commit();
    assert.deepEqual(
      (await db.read('a')).map((r) => r.v),
      [1, 2],
    );
  });

  it('never refuses a transaction that only writes (its rows simply land after the others)', async () => {
    const tx = db.begin();
    await tx.write('a', [{ time: T0, tags: { s: 'x' }, fields: { v: 1 } }]);
    await db.write('a', [{ time: T0, tags: { s: 'x' }, fields: { v: 2 } }]);
    await tx.commit();
    assert.deepEqual(await db.read('a'), [{ time: T0, s: 'x', v: 1 }]);
  });

  it('counts a delete of a table it read as a change, and a read-only transaction is checked too', async () => {
    await db.write('a', [{ time: T0, fields: { v: 1 } }]);
    const tx = db.begin();
    await tx.query('SELECT * FROM a');
    await db.deleteRows('a', { to: T0 });
    await assert.rejects(tx.commit(), { code: 'HELIOS_TX_CONFLICT' });
  });

  it('db.transaction runs the function again on a conflict when given retries, so no increment is lost', async () => {
    await db.query('CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)');
    await db.query('INSERT INTO c (id, n) VALUES (1, 0)');
    let runs = 0;
    const increment = () =>
      db.transaction(
        async (tx) => {
          runs++;
          const { n } = (await tx.query('SELECT n FROM c WHERE id = 1')).rows[0];
          await new Promise((resolve) => setImmediate(resolve)); // let the others read too
          await tx.query('UPDATE c SET n = ? WHERE id = 1', [n + 1]);
        },
        { retries: 10 },
      );
    await Promise.all([increment(), increment(), increment(), increment()]);
    assert.deepEqual((await db.query('SELECT n FROM c')).rows, [{ n: 4 }]);
    assert.ok(runs > 4, `the interleaved transactions conflicted and ran again (${runs} runs)`);
    // without retries the conflict reaches the caller
    const results = await Promise.allSettled([
      db.transaction(async (tx) => {
        const { n } = (await tx.query('SELECT n FROM c WHERE id = 1')).rows[0];
        await new Promise((resolve) => setImmediate(resolve));
        await tx.query('UPDATE c SET n = ? WHERE id = 1', [n + 1]);
      }),
      db.transaction(async (tx) => {
        const { n } = (await tx.query('SELECT n FROM c WHERE id = 1')).rows[0];
        await new Promise((resolve) => setImmediate(resolve));
        await tx.query('UPDATE c SET n = ? WHERE id = 1', [n + 1]);
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    assert.equal(results[1].reason.code, 'HELIOS_TX_CONFLICT');
    assert.deepEqual((await db.query('SELECT n FROM c')).rows, [{ n: 5 }]);
  });

  it('a script runs its BEGIN ... COMMIT again after a conflict: concurrent scripts lose no update', async () => {
    await db.query('CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)');
    await db.query('INSERT INTO c (id, n) VALUES (1, 0)');
    const script =
      'INSERT INTO c (n) VALUES (100); BEGIN; UPDATE c SET n = n + 1 WHERE id = 1; ' +
      'INSERT INTO c (n) SELECT n FROM c WHERE id = 1; COMMIT';
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => db.query(script)));
    // each script: its statement before BEGIN once, and its transaction's 2 changes once
    for (const r of results) assert.equal(r.changes, 3);
    const { rows } = await db.query('SELECT n FROM c ORDER BY id');
    assert.equal(rows[0].n, 5, 'every increment kept');
    const copies = rows
      .filter((r) => r.n !== 100)
      .slice(1)
      .map((r) => r.n)
      .sort((x, y) => x - y);
    assert.deepEqual(copies, [1, 2, 3, 4, 5], 'each transaction copied the value it made, once');
    assert.equal(rows.filter((r) => r.n === 100).length, 5);
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

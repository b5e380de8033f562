// Hostile input at write() and in SQL (issue #19, the input half): each finding's id is in its
// test's title. Names a device chooses (`__proto__`, `constructor`) are names like any other; times
// are parsed strictly; strings come back as written or are refused; errors quote little.
const assert = require('node:assert/strict');
const { open, InvalidInputError } = require('../dist/engine');
const { tempDir } = require('./helpers');

/** Own enumerable keys of `o`, sorted, and checks nothing was put on its prototype. */
function ownKeys(o) {
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  return Object.keys(o).sort();
}

describe('hostile input (#19)', function () {
  this.timeout(30000);

  describe('D4 / S2: names that are Object.prototype properties', () => {
    it('D4: keeps a tag named __proto__ as a tag, so two devices stay two series, through head, flush and reopen', async () => {
      const dir = tempDir('helios-d4-');
      let db = await open(dir);
      const readings = [
        { time: 1000, tags: JSON.parse('{"__proto__":"a"}'), fields: { v: 1 } },
        { time: 1000, tags: JSON.parse('{"__proto__":"b"}'), fields: { v: 2 } },
      ];
      const res = await db.write('p', readings);
      assert.equal(res.count, 2);
      assert.equal(res.replaced, 0);
      const check = async () => {
        const desc = (await db.query('DESCRIBE p')).rows.map((r) => `${r.column}:${r.role}`);
        assert.deepEqual(desc, ['time:time', '__proto__:tag', 'v:field']);
        const rows = (await db.query('SELECT * FROM p ORDER BY v')).rows;
        assert.deepEqual(rows.map(ownKeys), [
          ['__proto__', 'time', 'v'],
          ['__proto__', 'time', 'v'],
        ]);
        assert.deepEqual(
          rows.map((r) => [r.__proto__, r.v]),
          [
            ['a', 1],
            ['b', 2],
          ],
        );
        const plain = await db.read('p');
        assert.deepEqual(plain.map((r) => [Object.hasOwn(r, '__proto__') && r.__proto__, r.v]).sort(), [
          ['a', 1],
          ['b', 2],
        ]);
        const one = await db.query('SELECT v FROM p WHERE "__proto__" = ?', ['b']);
        assert.deepEqual(one.rows, [{ v: 2 }]);
      };
      await check(); // head
      await db.flush();
      await check(); // segments
      await db.close();
      db = await open(dir);
      try {
        await check(); // reopened
      } finally {
        await db.close();
      }
    });

    it('D4: keeps fields named __proto__ and constructor exactly, and a row without them has NULL there (never Object)', async () => {
      const dir = tempDir('helios-d4-');
      let db = await open(dir);
      await db.write('f', [
        { time: 1000, tags: { s: 'x' }, fields: JSON.parse('{"__proto__": 1.5, "constructor": 2}') },
        { time: 2000, tags: { s: 'x' }, fields: { v: 3 } },
      ]);
      const check = async () => {
        const rows = (await db.query('SELECT * FROM f ORDER BY time')).rows;
        assert.deepEqual(rows.map(ownKeys), [
          ['__proto__', 'constructor', 's', 'time', 'v'],
          ['__proto__', 'constructor', 's', 'time', 'v'],
        ]);
        assert.deepEqual(
          rows.map((r) => [r.__proto__, r.constructor, r.v]),
          [
            [1.5, 2, null],
            [null, null, 3],
          ],
        );
        const plain = await db.read('f');
        assert.deepEqual(plain.map(ownKeys), [
          ['__proto__', 'constructor', 's', 'time'],
          ['s', 'time', 'v'],
        ]);
        assert.equal(plain[0].__proto__, 1.5);
        assert.equal(plain[0].constructor, 2);
        const sum = await db.query('SELECT sum("__proto__") AS a, count("constructor") AS b FROM f');
        assert.deepEqual(sum.rows, [{ a: 1.5, b: 1 }]);
      };
      await check();
      await db.flush();
      await check();
      await db.close();
      db = await open(dir);
      try {
        await check();
        // SQL's INSERT and UPDATE name the same columns
        await db.query('INSERT INTO f (time, s, "__proto__") VALUES (3000, \'y\', 7)');
        await db.query('UPDATE f SET "constructor" = 9 WHERE s = \'y\'');
        const y = await db.query('SELECT "__proto__" AS p, "constructor" AS c FROM f WHERE s = \'y\'');
        assert.deepEqual(y.rows, [{ p: 7, c: 9 }]);
      } finally {
        await db.close();
      }
    });

    it('D4: a tag named constructor is NULL for a series without it, in SELECT, WHERE and GROUP BY', async () => {
      const db = await open(tempDir('helios-d4-'));
      try {
        await db.write('c', [
          { time: 1000, tags: { constructor: 'c1' }, fields: { v: 1 } },
          { time: 1000, tags: { s: 'x' }, fields: { v: 2 } },
        ]);
        const rows = (await db.query('SELECT "constructor" AS c, s, v FROM c ORDER BY v')).rows;
        assert.deepEqual(rows, [
          { c: 'c1', s: null, v: 1 },
          { c: null, s: 'x', v: 2 },
        ]);
        const nulls = await db.query('SELECT v FROM c WHERE "constructor" IS NULL');
        assert.deepEqual(nulls.rows, [{ v: 2 }]);
        const groups = await db.query(
          'SELECT "constructor" AS c, count(*) AS n FROM c GROUP BY "constructor" ORDER BY n, c',
        );
        assert.deepEqual(groups.rows.map((r) => r.c).sort(), ['c1', null].sort());
      } finally {
        await db.close();
      }
    });
  });
});

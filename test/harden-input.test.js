// Hostile input at write() and in SQL (issue #19, the input half): each finding's id is in its
// test's title. Names a device chooses (`__proto__`, `constructor`) are names like any other; times
// are parsed strictly; strings come back as written or are refused; errors quote little.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { open, InvalidInputError, HeliosError } = require('../dist/engine');
const { tempDir } = require('./helpers');

/** The own property `key` of `o` (`o.__proto__` would read the accessor where there is none). */
const own = (o, key) => (Object.hasOwn(o, key) ? o[key] : undefined);

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
          rows.map((r) => [own(r, '__proto__'), r.v]),
          [
            ['a', 1],
            ['b', 2],
          ],
        );
        const plain = await db.read('p');
        assert.deepEqual(plain.map((r) => [own(r, '__proto__'), r.v]).sort(), [
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
          rows.map((r) => [own(r, '__proto__'), r.constructor, r.v]),
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
        assert.equal(own(plain[0], '__proto__'), 1.5);
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

  describe('S1: times at write() are integer ms, a Date or a strict ISO-8601 string', () => {
    it("S1: refuses '0', 'Sensor 7' and impossible dates with a sentence, and stores nothing of the batch", async () => {
      const db = await open(tempDir('helios-s1-'));
      try {
        for (const bad of [
          '0',
          'Sensor 7',
          '2024-13-01',
          '2023-02-29',
          '2024-01-01T24:00',
          '12/31/2024',
          '',
        ]) {
          await assert.rejects(
            db.write('s', [
              { time: 1000, fields: { v: 1 } },
              { time: bad, fields: { v: 2 } },
            ]),
            (err) => {
              assert.ok(err instanceof InvalidInputError, `${bad}: ${err}`);
              assert.match(
                err.message,
                /Reading 2 of 2 for table "s" has time string .* not an ISO-8601 time/,
              );
              return true;
            },
          );
        }
        await assert.rejects(db.query('SELECT * FROM s'), /There is no table "s"/);
      } finally {
        await db.close();
      }
    });

    it('S1: a zone-less ISO string means UTC at write() and in SQL alike', async () => {
      const db = await open(tempDir('helios-s1-'));
      try {
        const texts = ['2024-03-01T10:20:30', '2024-03-01 10:20:30.250', '2024-03-01', '0050-06-15T00:00'];
        await db.write(
          's',
          texts.map((t, i) => ({ time: t, tags: { k: String(i) }, fields: { v: i } })),
        );
        const rows = (await db.query('SELECT k, time FROM s ORDER BY k')).rows;
        assert.deepEqual(
          rows.map((r) => r.time),
          [
            Date.UTC(2024, 2, 1, 10, 20, 30),
            Date.UTC(2024, 2, 1, 10, 20, 30, 250),
            Date.UTC(2024, 2, 1),
            new Date('0050-06-15T00:00:00Z').getTime(),
          ],
        );
        // the same literals in SQL find the same rows
        for (let i = 0; i < texts.length; i++) {
          const r = await db.query(`SELECT v FROM s WHERE time = '${texts[i]}'`);
          assert.deepEqual(r.rows, [{ v: i }], texts[i]);
        }
        const zoned = await db.query("SELECT v FROM s WHERE time = '2024-03-01T11:20:30+01:00'");
        assert.deepEqual(zoned.rows, [{ v: 0 }]);
        // a Date and integer ms are taken as they are
        await db.write('d', [
          { time: new Date(Date.UTC(2024, 0, 1)), fields: { v: 1 } },
          { time: 5, fields: { v: 2 } },
        ]);
        assert.deepEqual((await db.query('SELECT time FROM d ORDER BY time')).rows, [
          { time: 5 },
          { time: Date.UTC(2024, 0, 1) },
        ]);
      } finally {
        await db.close();
      }
    });
  });

  describe('S3: text with a lone surrogate is refused at write', () => {
    it('S3: refuses a lone surrogate in a field, a tag value and a column name; well-formed text round-trips byte-exact after flush', async () => {
      const dir = tempDir('helios-s3-');
      let db = await open(dir);
      try {
        const cases = [
          { time: 1, fields: { s: 'a\uD800b' } },
          { time: 1, fields: { s: '\uDFFF' } },
          { time: 1, tags: { k: 'x\uDC00' }, fields: { v: 1 } },
          { time: 1, fields: { 'n\uD801': 1 } },
        ];
        for (const reading of cases) {
          await assert.rejects(db.write('u', [reading]), (err) => {
            assert.ok(err instanceof InvalidInputError, String(err));
            assert.match(err.message, /lone surrogate/);
            return true;
          });
        }
        await assert.rejects(
          db.query('INSERT INTO u (time, s) VALUES (1, $s)', { s: 'a\uD800' }),
          /lone surrogate/,
        );
        await assert.rejects(db.query('SELECT * FROM u'), /There is no table "u"/);
        const texts = ['plain', 'ünïcödé', '😀 pair \uD83D\uDE00', '\u0000nul', '', 'x'.repeat(5000)];
        await db.write(
          'u',
          texts.map((s, i) => ({ time: i, tags: { k: `t${i}` }, fields: { s } })),
        );
        await db.flush();
        await db.close();
        db = await open(dir);
        const back = (await db.query('SELECT s FROM u ORDER BY time')).rows.map((r) => r.s);
        assert.deepEqual(back, texts);
        assert.deepEqual(
          back.map((s) => Buffer.from(s, 'utf16le').toString('hex')),
          texts.map((s) => Buffer.from(s, 'utf16le').toString('hex')),
        );
      } finally {
        await db.close();
      }
    });
  });

  describe('S4: arrays and objects as values; times past any calendar', () => {
    it('S4: refuses arrays and objects as tag or field values, naming the reading and the column', async () => {
      const db = await open(tempDir('helios-s4-'));
      try {
        const cases = [
          [
            { time: 1, tags: { t: ['x', 'y'] }, fields: { v: 1 } },
            /Reading 1 of 1 for table "a" has tag "t" = an array; tag values must be text/,
          ],
          [{ time: 1, tags: { t: { x: 1 } }, fields: { v: 1 } }, /has tag "t" = an object/],
          [
            { time: 1, fields: { v: [1, 2] } },
            /has field "v" = an array; field values must be numbers, booleans or text/,
          ],
          [{ time: 1, fields: { v: { deep: [1] } } }, /has field "v" = an object/],
          [
            { time: 1, tags: ['a'], fields: { v: 1 } },
            /has tags that are an array, not an object of tag values/,
          ],
          [{ time: 1, fields: Buffer.from('ab') }, /has fields that are a Buffer/],
          [{ time: 1, fields: [1, 2] }, /has fields that are an array, not an object of field values/],
        ];
        for (const [reading, message] of cases) {
          await assert.rejects(db.write('a', [reading]), (err) => {
            assert.ok(err instanceof InvalidInputError, String(err));
            assert.match(err.message, message);
            return true;
          });
        }
        await assert.rejects(db.query('SELECT * FROM a'), /There is no table "a"/);
      } finally {
        await db.close();
      }
    });

    it('S4: strftime, datetime, date, iso8601 and time_bucket of 1e300 are NULL, never garbage', async () => {
      const db = await open(tempDir('helios-s4-'));
      try {
        const r = await db.query(
          "SELECT strftime('%Y-%m-%d', 1e300, 'unixepoch') AS a, datetime(1e300) AS b, date(-1e300) AS c, " +
            "time_bucket('5m', 1e300) AS d, time_bucket('5m', -1e300) AS e, iso8601(1e300) AS f, " +
            "strftime('%Y', 1e300) AS g, time_bucket('1h', 3600000 * 5) AS ok",
        );
        assert.deepEqual(r.rows, [
          { a: null, b: null, c: null, d: null, e: null, f: null, g: null, ok: 18000000 },
        ]);
      } finally {
        await db.close();
      }
    });
  });

  describe('fuzz: write() of anything', () => {
    it('resolves or rejects with an engine error for any table and readings (fast-check), never a raw TypeError', async () => {
      const db = await open(tempDir('helios-fuzz-write-'));
      const cyclic = { time: 1, fields: { v: 1 } };
      cyclic.fields.self = cyclic;
      const anyValue = fc.anything({
        withBigInt: true,
        withDate: true,
        withTypedArray: true,
        withNullPrototype: true,
        withMap: true,
        withSet: true,
      });
      const reading = fc.record(
        {
          time: fc.oneof(
            anyValue,
            fc.integer(),
            fc.constantFrom('2024-01-01', '0', 'Sensor 7', 1e300, -0, 2 ** 51),
          ),
          tags: fc.oneof(
            anyValue,
            fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), anyValue)),
          ),
          fields: fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 6 }), anyValue)),
        },
        { requiredKeys: [] },
      );
      let cases = 0;
      let stored = 0;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.constantFrom('t', 'u', '__proto__', 'constructor'), anyValue),
            fc.oneof(
              fc.array(fc.oneof(reading, anyValue), { maxLength: 4 }),
              anyValue,
              fc.constant([cyclic]),
            ),
            async (table, readings) => {
              cases++;
              try {
                await db.write(table, readings);
                stored++;
              } catch (err) {
                if (!(err instanceof HeliosError)) assert.fail(`raw error: ${err?.stack ?? err}`);
                assert.ok(err.message.length <= 4100);
              }
            },
          ),
          { numRuns: 600 },
        );
      } finally {
        await db.close();
      }
      console.log(`      write() fuzz: ${cases} cases (${stored} stored)`);
    });
  });
});

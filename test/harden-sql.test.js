// Runaway and hostile SQL (issue #19): each finding's id is in its test's title. Deep nesting and
// huge texts give a SqlError (never a RangeError or an exhausted heap), LIKE and GLOB match in
// linear time and agree with SQLite, IN looks values up in a set, parameters are own properties.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const Sqlite = require('better-sqlite3');
const { open, SqlError } = require('../dist/engine');
const { tempDir } = require('./helpers');

/** Asserts `promise` rejects with a SqlError whose code is `code` and message matches `message`. */
async function rejectsSql(promise, code, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof SqlError, `not a SqlError: ${err?.stack}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    assert.ok(err.message.length < 1200, `message of ${err.message.length} characters`);
    return true;
  });
}

describe('hostile SQL (#19)', function () {
  this.timeout(30000);
  let db;
  before(async () => {
    db = await open(tempDir('helios-hsql-'));
    await db.write('t', [
      { time: 1, tags: { s: 'a' }, fields: { v: 1 } },
      { time: 2, tags: { s: 'b' }, fields: { v: 2 } },
    ]);
  });
  after(() => db.close());

  describe('E1: nesting past the limit is a SqlError, never a RangeError', () => {
    const deep = {
      '10,000 nested parentheses': `SELECT ${'('.repeat(10000)}1${')'.repeat(10000)}`,
      '3,000 nested calls': `SELECT ${'abs('.repeat(3000)}1${')'.repeat(3000)}`,
      '10,000 ORs': `SELECT v FROM t WHERE ${Array(10000).fill('v = 1').join(' OR ')}`,
      '10,000 ANDs in a CHECK': `CREATE TABLE c (x INTEGER CHECK (${Array(10000).fill('x > 0').join(' AND ')}))`,
      '5,000 NOTs': `SELECT ${'NOT '.repeat(5000)}1`,
      '5,000 nested CASEs': `SELECT ${'CASE WHEN 1 THEN '.repeat(5000)}1${' END'.repeat(5000)}`,
      '2,000 nested sub-selects': `SELECT * FROM ${'(SELECT * FROM '.repeat(2000)}t${')'.repeat(2000)}`,
    };
    for (const [name, sql] of Object.entries(deep)) {
      it(`E1: ${name}`, () =>
        rejectsSql(db.query(sql), 'HELIOS_SQL_TOO_COMPLEX', /nests deeper than 1000 levels.*\n.*\n.*\^/));
    }

    it('E1: 3,000 UNION ALLs are refused past 500 SELECTs (as SQLite), 500 still run', async () => {
      await rejectsSql(
        db.query(Array(3000).fill('SELECT 1 AS x').join(' UNION ALL ')),
        'HELIOS_SQL_TOO_COMPLEX',
        /more than 500 SELECTs with UNION/,
      );
      const ok = await db.query(Array(500).fill('SELECT 1 AS x').join(' UNION ALL '));
      assert.equal(ok.rows.length, 500);
    });

    it('E1: 900 levels still run to the right answer', async () => {
      const r = await db.query(
        `SELECT ${'abs('.repeat(900)}-3${')'.repeat(900)} AS a, ${'('.repeat(900)}4${')'.repeat(900)} AS b`,
      );
      assert.deepEqual(r.rows, [{ a: 3, b: 4 }]);
      const ors = await db.query(`SELECT v FROM t WHERE ${Array(900).fill('v = 2').join(' OR ')}`);
      assert.deepEqual(ors.rows, [{ v: 2 }]);
    });
  });

  describe('C4: SQL text over maxSqlBytes is refused before it is read', () => {
    it('C4: 50 MB of SQL is refused with a short sentence naming maxSqlBytes', async () => {
      const huge = `SELECT '${'x'.repeat(50 * 1024 * 1024)}'`;
      await rejectsSql(
        db.query(huge),
        'HELIOS_SQL_TOO_LONG',
        /over 1048576 bytes long, the limit \(maxSqlBytes\)/,
      );
    });

    it('C4: the limit counts UTF-8 bytes and is an option', async () => {
      const text = `SELECT '${'é'.repeat(600 * 1024)}' AS s`; // 600 K characters, 1.2 MB of UTF-8
      await rejectsSql(db.query(text), 'HELIOS_SQL_TOO_LONG', /maxSqlBytes/);
      const r = await db.query(text, undefined, { maxSqlBytes: 2 * 1024 * 1024 });
      assert.equal(r.rows[0].s.length, 600 * 1024);
      await rejectsSql(db.query('SELECT 12345', undefined, { maxSqlBytes: 5 }), 'HELIOS_SQL_TOO_LONG');
    });
  });

  describe('E2 / E3: what errors say', () => {
    it('E3: query(null) and other non-text say that SQL must be text', async () => {
      await rejectsSql(db.query(null), 'HELIOS_SQL_SYNTAX', /^SQL must be text, got null\./);
      await rejectsSql(db.query(undefined), 'HELIOS_SQL_SYNTAX', /^SQL must be text, got undefined\./);
      await rejectsSql(db.query(42), 'HELIOS_SQL_SYNTAX', /^SQL must be text, got number\./);
      await rejectsSql(
        db.query({ sql: 'SELECT 1' }),
        'HELIOS_SQL_SYNTAX',
        /^SQL must be text, got an object\./,
      );
      await rejectsSql(db.query(''), 'HELIOS_SQL_SYNTAX', /The SQL text is empty/);
    });

    it('E3: $constructor, :toString and $__proto__ never resolve an inherited property', async () => {
      for (const name of ['$constructor', ':toString', '$__proto__', '$hasOwnProperty']) {
        await rejectsSql(
          db.query(`SELECT ${name} AS x`, {}),
          'HELIOS_SQL_PARAM',
          /No value was given for parameter/,
        );
      }
      const own = await db.query('SELECT $constructor AS x', { constructor: 5 });
      assert.deepEqual(own.rows, [{ x: 5 }]);
      const proto = await db.query('SELECT $__proto__ AS x', JSON.parse('{"__proto__": "p"}'));
      assert.deepEqual(proto.rows, [{ x: 'p' }]);
    });

    it('E2: an error quotes at most ~200 characters of a huge input', async () => {
      const long = 'y'.repeat(900 * 1024);
      for (const sql of [
        `SELECT '${long}`, // never closed
        `SELECT ${long}`, // unknown column
        `SELECT 1 FROM ${long}`, // unknown table
        `SELECT '${long}' + `, // syntax at the end
      ]) {
        await assert.rejects(db.query(sql), (err) => {
          assert.ok(err instanceof SqlError, String(err));
          assert.ok(
            err.message.length < 1200,
            `${err.message.length} characters: ${err.message.slice(0, 300)}`,
          );
          return true;
        });
      }
      const huge = 'w'.repeat(10 * 1024 * 1024);
      for (const [sql, params] of [
        ['SELECT time_bucket($w, time) AS b FROM t', { w: huge }],
        ['SELECT v FROM t WHERE time > $w', { w: huge }],
        ['INSERT INTO t (time, s, v) VALUES ($w, $w, 1)', { w: huge }],
      ]) {
        await assert.rejects(db.query(sql, params), (err) => {
          assert.ok(err.code?.startsWith('HELIOS_'), String(err).slice(0, 300));
          assert.ok(err.message.length < 1200, `${sql}: ${err.message.length} characters`);
          return true;
        });
      }
      await assert.rejects(
        db.write('t', [{ time: 'z'.repeat(10 * 1024 * 1024), fields: { v: 1 } }]),
        (err) => {
          assert.ok(err.message.length < 1000, `${err.message.length} characters`);
          assert.match(err.message, /more characters/);
          return true;
        },
      );
      await assert.rejects(db.write('t', [{ time: 1, fields: { ['k'.repeat(1e6)]: 1 } }]), (err) => {
        assert.ok(err.message.length < 1000, `${err.message.length} characters`);
        return true;
      });
    });
  });

  describe('M1: LIKE and GLOB in linear time, as SQLite decides them', () => {
    let strings;
    before(async () => {
      strings = await open(tempDir('helios-like-'));
      await strings.write(
        'l',
        Array.from({ length: 2000 }, (_, i) => ({
          time: i,
          tags: { k: `s${i % 10}` },
          fields: { s: 'a'.repeat(300) },
        })),
      );
    });
    after(() => strings.close());

    it("M1: '%a%a%a%a%a%a%a%a%a%a%a%a%b' over 2,000 strings of 300 'a' answers (a backtracking regex took 1.5 s)", async () => {
      const started = Date.now();
      const like = await strings.query(
        "SELECT count(*) AS n FROM l WHERE s LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b'",
      );
      const glob = await strings.query(
        "SELECT count(*) AS n FROM l WHERE s GLOB '*a*a*a*a*a*a*a*a*a*a*a*a*b'",
      );
      const hit = await strings.query(
        "SELECT count(*) AS n FROM l WHERE s LIKE '%A%a%a%a%a%a%a%a%a%a%a%a%a'",
      );
      assert.deepEqual([like.rows, glob.rows, hit.rows], [[{ n: 0 }], [{ n: 0 }], [{ n: 2000 }]]);
      // a loose bound only (timings belong in bench/): the regex took 1.5 s here, 127 s in helios-query
      console.log(`      LIKE/GLOB over 2,000 x 300 characters: ${Date.now() - started} ms`);
    });

    it('M1: LIKE and GLOB agree with SQLite on random patterns and texts (fast-check)', () => {
      const sqlite = new Sqlite(':memory:');
      const likeQ = sqlite.prepare('SELECT ? LIKE ? AS m');
      const globQ = sqlite.prepare('SELECT ? GLOB ? AS m');
      let cases = 0;
      return fc
        .assert(
          fc.asyncProperty(
            fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'é', '😀', '%', '_', '-'), maxLength: 12 }),
            fc.string({
              unit: fc.constantFrom('a', 'b', 'A', 'B', 'é', '😀', '%', '_', '*', '?', '[', ']', '^', '-'),
              maxLength: 10,
            }),
            async (text, pattern) => {
              cases++;
              const r = await db.query('SELECT ?1 LIKE ?2 AS l, ?1 GLOB ?2 AS g', [text, pattern]);
              const want = { l: likeQ.get(text, pattern).m === 1, g: globQ.get(text, pattern).m === 1 };
              assert.deepEqual(r.rows[0], want, JSON.stringify({ text, pattern }));
            },
          ),
          { numRuns: 1500 },
        )
        .then(() => {
          console.log(`      ${cases} LIKE/GLOB cases compared with SQLite`);
          sqlite.close();
        });
    });
  });

  describe('M4: IN (list) by a hash set', () => {
    it('M4: IN and NOT IN over 20,000 values, mixed types and NULL, answer as SQLite does', async () => {
      const list = Array.from({ length: 20000 }, (_, i) => i * 2);
      const started = Date.now();
      const r = await db.query(`SELECT s FROM t WHERE v IN (${list.join(', ')}) ORDER BY s`);
      assert.deepEqual(r.rows, [{ s: 'b' }]);
      const sqlite = new Sqlite(':memory:');
      for (const sql of [
        `SELECT 2 IN (${list.join(', ')}) AS m`,
        `SELECT 3 IN (${list.join(', ')}) AS m`,
        `SELECT 3 NOT IN (${list.join(', ')}, NULL) AS m`,
        `SELECT 4 NOT IN (${list.join(', ')}, NULL) AS m`,
        `SELECT 'x' IN ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 1, 2, 'x') AS m`,
        `SELECT 1.0 IN ('1', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 1) AS m`,
        `SELECT NULL IN (${list.join(', ')}) AS m`,
      ]) {
        const got = (await db.query(sql)).rows[0].m;
        const want = sqlite.prepare(sql).get().m;
        assert.equal(got === null ? null : got ? 1 : 0, want, sql.slice(0, 40));
      }
      sqlite.close();
      console.log(`      IN over 20,000 values: ${Date.now() - started} ms`);
    });
  });
});

// Result rows are built by a function compiled per list of column names (engine/exec/objects.ts):
// names that are not plain identifiers must come out as written, and none may act as code or set
// the prototype.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { open } = require('../dist/engine');
const { tempDir } = require('./helpers');

describe('SQL: result rows as objects', () => {
  it('keys every row by its column names as written', async () => {
    const db = await open(tempDir('helios-objects-'));
    try {
      await db.write('r', [{ time: 1000, tags: { s: 'a' }, fields: { v: 1.5 } }]);
      const names = ['a"b', 'back\\slash', "it's", '}; throw 1; ({', 'ünï', '1', '', 'constructor'];
      const select = names.map((n, i) => `v + ${i} AS "${n.replaceAll('"', '""')}"`).join(', ');
      const res = await db.query(`SELECT ${select} FROM r`);
      assert.deepStrictEqual(
        res.columns.map((c) => c.name),
        names,
      );
      const expected = {};
      names.forEach((n, i) => {
        expected[n] = 1.5 + i;
      });
      assert.deepStrictEqual(res.rows, [expected]);
      assert.deepStrictEqual(Object.keys(res.rows[0]).sort(), [...names].sort());
    } finally {
      await db.close();
    }
  });

  it('makes __proto__ an own key, not the prototype', async () => {
    const db = await open(tempDir('helios-objects-'));
    try {
      await db.write('r', [{ time: 1000, tags: { s: 'a' }, fields: { v: 2 } }]);
      const res = await db.query('SELECT v AS "__proto__", s FROM r');
      const row = res.rows[0];
      assert.equal(Object.getPrototypeOf(row), Object.prototype);
      assert.ok(Object.hasOwn(row, '__proto__'));
      assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__').value, 2);
      assert.equal(row.s, 'a');
    } finally {
      await db.close();
    }
  });

  it('builds the same rows where code generation from strings is disabled', () => {
    const script = `
      const { open } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'engine'))});
      (async () => {
        const db = await open(process.argv[1]);
        await db.write('r', [{ time: 1000, tags: { s: 'a' }, fields: { v: 2 } }]);
        const res = await db.query('SELECT v AS "__proto__", s, v * 2 AS "a""b" FROM r');
        const row = res.rows[0];
        console.log(JSON.stringify([Object.getPrototypeOf(row) === Object.prototype, Object.entries(row)]));
        await db.close();
      })();`;
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '-e', script, tempDir('helios-objects-')],
      { encoding: 'utf8' },
    );
    assert.deepStrictEqual(JSON.parse(out), [
      true,
      [
        ['__proto__', 2],
        ['s', 'a'],
        ['a"b', 4],
      ],
    ]);
  });
});

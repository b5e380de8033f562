// Declared tables, deletes and DROP TABLE at the engine level (SQL drives them through these).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { open, InvalidInputError, TypeConflictError } = require('../dist/engine');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

/** Opens a copy of a live database directory: what recovery sees after a crash at this point. */
async function crashCopy(dir, options) {
  const copy = tempDir('helios-crash-copy-');
  fs.cpSync(dir, copy, { recursive: true });
  return open(copy, options);
}

describe('engine: createTable', () => {
  it('declares tags, field types, partition width and retention, kept across reopen', async () => {
    const dir = tempDir();
    let db = await open(dir);
    await db.createTable('meters', {
      tags: ['meter'],
      fields: { energy: 'int', ok: 'bool' },
      partitionDuration: '1h',
      retention: '30d',
    });
    await db.write('meters', [{ time: T0, tags: { meter: 'M1' }, fields: { energy: 42, ok: true } }]);
    await assert.rejects(
      db.write('meters', [{ time: T0 + 1, tags: { meter: 'M1' }, fields: { energy: 2.5 } }]),
      (err) => err instanceof TypeConflictError && /holds int values, but float was given/.test(err.message),
    );
    await assert.rejects(
      db.write('meters', [{ time: T0 + 1, tags: { energy: 'x' }, fields: { other: 1 } }]),
      /"energy" is a field of table "meters"/,
    );
    await db.close();
    db = await open(dir);
    const schema = db.schema('meters');
    assert.deepEqual(
      {
        tags: schema.tagKeys,
        fields: schema.fields,
        partitionMs: schema.partitionMs,
        retentionMs: schema.retentionMs,
        declared: schema.declared,
      },
      {
        tags: ['meter'],
        fields: [
          { name: 'energy', type: 'int' },
          { name: 'ok', type: 'bool' },
        ],
        partitionMs: 3600000,
        retentionMs: 30 * 86400000,
        declared: true,
      },
    );
    assert.deepEqual(await db.read('meters'), [{ time: T0, meter: 'M1', energy: 42, ok: true }]);
    await db.close();
  });

  it('refuses an existing table unless ifNotExists, and bad definitions with a sentence', async () => {
    const db = await open(tempDir());
    await db.write('t', [{ time: T0, fields: { v: 1 } }]);
    await assert.rejects(db.createTable('t', {}), (err) => err.code === 'HELIOS_TABLE_EXISTS');
    await db.createTable('t', {}, { ifNotExists: true });
    await assert.rejects(
      db.createTable('u', { fields: { v: 'double' } }),
      (err) => err instanceof InvalidInputError && /use float, int, bool or string/.test(err.message),
    );
    await assert.rejects(
      db.createTable('u', { tags: ['a'], fields: { a: 'float' } }),
      /both as a tag and as a field/,
    );
    await assert.rejects(db.createTable('bad name', {}), /Table name "bad name" is not allowed/);
    assert.equal(db.schema('u'), undefined);
    await db.close();
  });
});

describe('engine: deleteRows', () => {
  it('removes a time range of matching series only, keeps later writes, and survives reopen and crash', async () => {
    const dir = tempDir();
    const db = await open(dir, { chunkRows: 16 });
    const rows = [];
    for (let i = 0; i < 100; i++) {
      rows.push({ time: T0 + i, tags: { s: 'a' }, fields: { v: i } });
      rows.push({ time: T0 + i, tags: { s: 'b' }, fields: { v: -i } });
    }
    await db.write('t', rows.slice(0, 100));
    await db.flush();
    await db.write('t', rows.slice(100));
    await db.deleteRows('t', { from: T0 + 10, to: T0 + 19, tags: { s: 'a' } });
    await db.write('t', [{ time: T0 + 15, tags: { s: 'a' }, fields: { v: 1500 } }]);
    const check = async (d) => {
      const got = await d.read('t', { tags: { s: 'a' }, from: T0 + 8, to: T0 + 21 });
      assert.deepEqual(
        got.map((r) => [r.time - T0, r.v]),
        [
          [8, 8],
          [9, 9],
          [15, 1500],
          [20, 20],
          [21, 21],
        ],
      );
      assert.equal((await d.read('t', { tags: { s: 'b' } })).length, 100);
    };
    await check(db);
    const crashed = await crashCopy(dir);
    await check(crashed);
    await crashed.close();
    await db.flush();
    await db.compact(true);
    await check(db);
    await db.close();
    const reopened = await open(dir);
    await check(reopened);
    await reopened.close();
  });

  it('drops whole segments a delete covers without rewriting them', async () => {
    const dir = tempDir();
    const db = await open(dir, { partitionDuration: '1h', compactionTrigger: 0 });
    const hour = 3600000;
    await db.write('t', [
      { time: T0, fields: { v: 1 } },
      { time: T0 + 3 * hour, fields: { v: 2 } },
    ]);
    await db.flush();
    assert.equal(db.stats().tables.t.segments, 2);
    await db.deleteRows('t', { to: T0 + 2 * hour });
    assert.equal(db.stats().tables.t.segments, 1);
    assert.deepEqual(
      (await db.read('t')).map((r) => r.v),
      [2],
    );
    await db.close();
  });
});

describe('engine: dropTable', () => {
  it('removes rows, files and schema; the name can be reused with other types', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await db.write('t', [{ time: T0, tags: { s: 'a' }, fields: { v: 1.5 } }]);
    await db.flush();
    await db.write('t', [{ time: T0 + 1, tags: { s: 'a' }, fields: { v: 2.5 } }]);
    await db.dropTable('t');
    assert.deepEqual(db.tables(), []);
    assert.deepEqual(await db.read('t'), []);
    await db.write('t', [{ time: T0 + 2, tags: { s: 'a' }, fields: { v: 'text now' } }]);
    const expected = [{ time: T0 + 2, s: 'a', v: 'text now' }];
    assert.deepEqual(await db.read('t'), expected);
    const crashed = await crashCopy(dir);
    assert.deepEqual(await crashed.read('t'), expected);
    await crashed.close();
    await db.close();
    const reopened = await open(dir);
    assert.deepEqual(await reopened.read('t'), expected);
    assert.deepEqual(reopened.schema('t').fields, [{ name: 'v', type: 'string' }]);
    await reopened.close();
  });

  it('keeps a declaration made after the drop when the drop is replayed', async () => {
    const dir = tempDir();
    const db = await open(dir);
    await db.write('t', [{ time: T0, fields: { v: 1.5 } }]);
    await db.dropTable('t');
    await db.createTable('t', { fields: { v: 'int' } });
    await db.write('t', [{ time: T0 + 1, fields: { v: 7 } }]);
    const crashed = await crashCopy(dir);
    assert.deepEqual(crashed.schema('t').fields, [{ name: 'v', type: 'int' }]);
    assert.deepEqual(await crashed.read('t'), [{ time: T0 + 1, v: 7 }]);
    await crashed.close();
    await db.close();
  });
});

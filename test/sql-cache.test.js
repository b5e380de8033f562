// Parsed statements are kept by their text (engine/sql/cache.ts): the same text must still bind
// its new parameters and clock on every call, a shared tree must never change, and mistakes are
// reported every time, never remembered as a tree.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { parseCached } = require('../dist/engine/sql/cache');
const { tempDir } = require('./helpers');

const T0 = 1764000000000;

describe('SQL: parsed statements kept by text', () => {
  it('gives one frozen tree per text', () => {
    const sql = "SELECT sensor, max(value) FROM r WHERE time > now() - INTERVAL '1 hour' GROUP BY sensor";
    const a = parseCached(sql);
    assert.equal(parseCached(sql), a);
    assert.ok(Object.isFrozen(a));
    // every node down the tree, not only the root
    const nested = (node) => Object.values(node).filter((v) => v !== null && typeof v === 'object');
    const walk = (node) => [node, ...nested(node).flatMap(walk)];
    const nodes = walk(a);
    assert.ok(nodes.length > 10, `${nodes.length} nodes`);
    for (const node of nodes) assert.ok(Object.isFrozen(node));
    assert.notEqual(parseCached(`${sql} `), a);
  });

  it('parses a long text every time rather than keep it', () => {
    const values = Array.from({ length: 2000 }, (_, i) => `(${T0 + i}, 's', ${i})`).join(', ');
    const sql = `INSERT INTO r (time, sensor, value) VALUES ${values}`;
    assert.ok(sql.length > 16 * 1024);
    assert.notEqual(parseCached(sql), parseCached(sql));
  });

  it('reports a syntax error on every call', () => {
    for (let i = 0; i < 3; i++) assert.throws(() => parseCached('SELECT FROM WHERE'), /line 1, column/);
  });

  it('binds new parameters and a new clock for the same text', async () => {
    const db = await open(tempDir('helios-cache-'));
    try {
      await db.write(
        'r',
        Array.from({ length: 10 }, (_, i) => ({
          time: T0 + i * 1000,
          tags: { sensor: 's' },
          fields: { value: i },
        })),
      );
      const sql =
        "SELECT count(*) AS n, max(value) AS top FROM r WHERE time > now() - INTERVAL '3 seconds' AND time <= now() AND value < ?";
      const at = (ms, limit) => db.query(sql, [limit], { now: () => T0 + ms });
      assert.deepStrictEqual((await at(9000, 100)).rows, [{ n: 3, top: 9 }]);
      assert.deepStrictEqual((await at(5000, 100)).rows, [{ n: 3, top: 5 }]);
      assert.deepStrictEqual((await at(9000, 8)).rows, [{ n: 1, top: 7 }]);
      await assert.rejects(db.query('SELECT nope FROM r'), /nope/);
      await assert.rejects(db.query('SELECT nope FROM r'), /nope/);
    } finally {
      await db.close();
    }
  });
});

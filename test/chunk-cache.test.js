const assert = require('node:assert/strict');
const { ChunkCache } = require('../dist/engine/segment/chunk-cache');
const { open } = require('../dist/engine');
const { tempDir, sensorReadings } = require('./helpers');

describe('chunk cache', () => {
  it('keeps the most recently used chunks within its byte budget', () => {
    const cache = new ChunkCache(10);
    cache.set('a', new Uint8Array(4));
    cache.set('b', new Uint8Array(4));
    assert.ok(cache.get('a')); // a is now the most recent
    cache.set('c', new Uint8Array(4)); // over budget: b, the least recent, goes
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a') && cache.get('c'));
    assert.equal(cache.size, 8);
    cache.set('huge', new Uint8Array(11)); // larger than the budget: not kept
    assert.equal(cache.get('huge'), undefined);
    assert.equal(new ChunkCache(0).get('x'), undefined);
  });

  it('gives the same rows with and without a cache, read after read', async () => {
    const readings = [
      ...sensorReadings(5000, { sensor: 'A' }),
      ...sensorReadings(5000, { sensor: 'B', start: 1764000000000 + 7 }),
    ];
    const results = [];
    for (const cacheMB of [0, 8]) {
      const db = await open(tempDir(), { cacheMB, chunkRows: 512 });
      await db.write('t', readings);
      await db.flush();
      const first = await db.read('t');
      const second = await db.read('t', { from: 1764000000000 + 1000 * 1000 });
      const third = await db.read('t');
      assert.deepEqual(third, first);
      results.push({ first, second });
      await db.close();
    }
    assert.deepEqual(results[1], results[0]);
  });
});

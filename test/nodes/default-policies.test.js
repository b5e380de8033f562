// The TOML [time_series] / [storage] keys as a helios-db node's default policies.
const assert = require('node:assert');
const { open } = require('../../dist/engine');
const { defaultPolicies, applyDefaultRetention } = require('../../dist/nodes/lib/default-policies');
const { tempDir } = require('../helpers');

const DAY = 86400000;

describe('default policies from the TOML file', () => {
  it('reads retention, size limit and downsampling keys', () => {
    assert.deepStrictEqual(
      defaultPolicies({
        '[time_series] default_retention_days': 30,
        '[storage] max_db_size_mb': 512,
        '[time_series] downsample_enabled': true,
        '[time_series] downsample_after_hours': 24,
        '[time_series] downsample_interval_secs': 600,
      }),
      {
        retention: { table: '*', maxAge: 30 * DAY, maxBytes: 512 * 1024 * 1024 },
        downsample: { source: '*', bucket: 600000, after: 24 * 3600000 },
      },
    );
    assert.deepStrictEqual(defaultPolicies({ '[time_series] downsample_enabled': 'true' }), {
      retention: null,
      downsample: { source: '*', bucket: 300000, after: 48 * 3600000 },
    });
    assert.deepStrictEqual(defaultPolicies({}), { retention: null, downsample: null });
  });

  it('ages out raw tables but keeps the default rollups', async () => {
    const db = await open(tempDir());
    const now = Date.now();
    const old = now - 10 * DAY;
    await db.write('temps', [
      { time: old, fields: { v: 1 } },
      { time: now, fields: { v: 2 } },
    ]);
    const policies = defaultPolicies({
      '[time_series] default_retention_days': 7,
      '[time_series] downsample_enabled': true,
    });
    await db.runDownsample({ ...policies.downsample, now });
    assert.strictEqual((await db.read('temps_5m')).length, 1, 'the old reading is rolled up');
    await applyDefaultRetention(db, policies.retention, policies.downsample);
    assert.deepStrictEqual(
      (await db.read('temps')).map((r) => r.v),
      [2],
    );
    assert.strictEqual((await db.read('temps_5m')).length, 1, 'rollups keep their history');
    await db.close();
  });
});

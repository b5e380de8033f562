// EXPLAIN names the operator that actually runs, for every benchmark query (bench/query-queries.js)
// on a small dataset of the benchmark's shape (bench/workload.js: 500 sensors, one reading a second
// each), part in segments and part in the head. The names EXPLAIN prints after each node's first
// line (`[statsAggregate]`) must be exactly the operators the executor started (Runtime.ran), with
// statistics on and off, since that choice changes the operators.
const assert = require('node:assert/strict');
const { open } = require('../dist/engine');
const { runQueryTraced } = require('../dist/engine/query/query');
const { QUERIES } = require('../bench/query-queries');
const { Workload, toReadings } = require('../bench/workload');
const { tempDir } = require('./helpers');

const TABLE = 'sensor_readings';
/** ticks (seconds) of readings: 500 sensors each, the first half flushed to segments */
const TICKS = 40;

/** The operator names EXPLAIN prints, one per physical node, sorted. */
function explained(lines) {
  return lines
    .map((line) => /\[(\w+)\]$/.exec(line)?.[1])
    .filter((name) => name !== undefined)
    .sort();
}

describe('EXPLAIN names the operators that run, for every benchmark query', function () {
  this.timeout(60000);
  let db;
  let now = 0;

  before(async () => {
    db = await open(tempDir('helios-explain-ops-'), { durability: 'batch', batchIntervalMs: 100 });
    const workload = new Workload({});
    for (let tick = 0; tick < TICKS; tick++) {
      const batch = workload.nextBatch(workload.sensors.length);
      for (const t of batch.time) now = Math.max(now, t);
      await db.write(TABLE, toReadings(batch, workload.sensors));
      if (tick === TICKS / 2) await db.flush();
    }
  });

  after(() => db?.close());

  for (const q of QUERIES) {
    for (const statistics of [true, false]) {
      it(`${q.id}${statistics ? '' : ' (statistics off)'}`, async () => {
        const params = q.helios.params({ now });
        const options = { now: () => now, maxRows: 1_000_000, statistics };
        const plan = (await db.query(`EXPLAIN ${q.helios.sql}`, params, options)).rows.map((r) => r.plan);
        // (the threshold queries find no rows in 40 s of data; their operators run all the same)
        const { ran } = await runQueryTraced(db, q.helios.sql, params, options);
        assert.deepStrictEqual(explained(plan), [...ran].sort(), plan.join('\n'));
      });
    }
  }
});

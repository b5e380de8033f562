// helios-query's time limit and cancel on close (issue #19, M4 / item 6), through a real engine: a
// runaway query stops with a sentence at the node's limit, and closing the node (a redeploy)
// cancels a query still running instead of waiting for it.
const assert = require('node:assert');
const { helper, allNodes, flowWith, openDb, tempDir } = require('./support');

function queryFlow(queryConfig) {
  return flowWith(tempDir(), [
    { id: 'n-query', type: 'helios-query', db: 'n-db', wires: [['n-out']], ...queryConfig },
    { id: 'n-out', type: 'helper' },
  ]);
}

/** 20,000 rows: a self-join over them is 400 million pairs, minutes of work. */
async function seedRunaway() {
  const db = await openDb();
  const rows = [];
  for (let i = 0; i < 20000; i++)
    rows.push({ time: 1764000000000 + i, tags: { s: `k${i % 10}` }, fields: { v: i } });
  await db.write('big', rows);
}

const RUNAWAY = 'SELECT count(*) AS n FROM big a JOIN big b ON a.v < b.v';

describe('helios-query: time limit and cancel (#19)', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  it('M4: stops a runaway query at the node time limit with HELIOS_SQL_TIMEOUT, and the node goes on answering', async () => {
    await helper.load(allNodes, queryFlow({ sql: '', timeout: 0.3 }));
    await seedRunaway();
    const node = helper.getNode('n-query');
    const started = Date.now();
    const errored = new Promise((resolve) => node.on('call:error', (call) => resolve(call.args[0])));
    node.receive({ topic: RUNAWAY });
    const err = await errored;
    const took = Date.now() - started;
    assert.match(String(err), /ran longer than its limit of 300 ms \(timeoutMs\)/);
    // the unbounded query takes minutes; a loose bound that it was stopped, not finished
    assert.ok(took < 10000, `stopped after ${took} ms`);
    const answered = new Promise((resolve) => helper.getNode('n-out').on('input', resolve));
    node.receive({ topic: 'SELECT count(*) AS n FROM big' });
    assert.deepStrictEqual((await answered).payload, [{ n: 20000 }]);
  });

  it('M4: closing the node (a redeploy) cancels a query still running instead of waiting for it', async () => {
    await helper.load(allNodes, queryFlow({ sql: RUNAWAY, timeout: 0 }));
    await seedRunaway();
    const node = helper.getNode('n-query');
    const errored = new Promise((resolve) => node.on('call:error', (call) => resolve(call.args[0])));
    node.receive({ payload: 1 });
    await new Promise((r) => setTimeout(r, 200)); // let it run
    const started = Date.now();
    await new Promise((resolve) => node.close(false).then(resolve));
    const took = Date.now() - started;
    assert.ok(took < 10000, `close took ${took} ms`);
    assert.match(String(await errored), /cancelled before it finished/);
  });
});

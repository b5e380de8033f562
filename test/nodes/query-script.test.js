// helios-query with a script in one message: BEGIN ... COMMIT runs as one transaction through the
// real engine, UPDATE and DELETE of chosen rows report msg.changes, and a failing statement rolls
// the transaction back and reaches done(err) saying which statement (docs/sql.md, "Changing rows").
const assert = require('node:assert');
const { helper, allNodes, flowWith, nextMessage, openDb, tempDir } = require('./support');

function errorOf(id) {
  return new Promise((resolve) =>
    helper.getNode(id).on('call:error', (call) => resolve(String(call.args[0]))),
  );
}

describe('helios-query node: scripts, UPDATE and DELETE', () => {
  afterEach(async () => {
    await helper.unload();
  });

  async function load() {
    await helper.load(
      allNodes,
      flowWith(tempDir(), [
        { id: 'n-query', type: 'helios-query', db: 'n-db', wires: [['n-out']] },
        { id: 'n-out', type: 'helper' },
      ]),
    );
    const db = await openDb();
    await db.write(
      'env',
      [1, 2, 3, 4].map((i) => ({
        time: 1764000000000 + i * 60000,
        tags: { sensor_id: 'S-1' },
        fields: { temp: 20 + i },
      })),
    );
    return db;
  }

  it('runs BEGIN; ...; COMMIT from msg.topic as one transaction; msg.changes sums its statements', async () => {
    const db = await load();
    const got = nextMessage('n-out');
    helper.getNode('n-query').receive({
      topic:
        "BEGIN; UPDATE env SET temp = temp + 10 WHERE temp > 22; DELETE FROM env WHERE temp = 21; INSERT INTO env (time, sensor_id, temp) VALUES (1764000600000, 'S-2', 5); COMMIT",
    });
    const msg = await got;
    assert.strictEqual(msg.changes, 4);
    const rows = (await db.query('SELECT sensor_id, temp FROM env ORDER BY sensor_id, time')).rows;
    assert.deepStrictEqual(
      rows.map((r) => `${r.sensor_id}:${r.temp}`),
      ['S-1:22', 'S-1:33', 'S-1:34', 'S-2:5'],
    );
  });

  it('rolls the script back when a statement fails and tells done(err) which one', async () => {
    const db = await load();
    const errored = errorOf('n-query');
    helper.getNode('n-query').receive({ topic: 'BEGIN; DELETE FROM env; UPDATE env SET tmp = 1; COMMIT' });
    assert.match(
      await errored,
      /Statement 3 of 4 of the script failed; the transaction was rolled back: There is no column "tmp"/,
    );
    assert.strictEqual((await db.query('SELECT count(*) AS n FROM env')).rows[0].n, 4);
  });
});

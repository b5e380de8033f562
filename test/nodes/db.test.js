// helios-db in node-red-node-test-helper: engine lifecycle, TOML configuration, the directory lock,
// redeploys in the middle of a stream of writes, and close.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../../dist/engine');
const { helper, allNodes, flowWith, nextMessage, openDb, tempDir, tick } = require('./support');

const BASE = 1764000000000;

function storeFlow(dir, dbExtra = {}) {
  return flowWith(
    dir,
    [
      { id: 'n-store', type: 'helios-store', db: 'n-db', wires: [['n-out']] },
      { id: 'n-out', type: 'helper' },
    ],
    dbExtra,
  );
}

/** Calls of `method` (a proxied Node prototype method) made by node `id`, as argument lists. */
function callsOf(method, id, spy = helper.getNode(id)[method]) {
  return spy
    .getCalls()
    .filter((c) => c.thisValue.id === id)
    .map((c) => c.args);
}

function waitFor(check, what, ms = 5000) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

async function readAll(dir, table = 'readings') {
  const db = await open(dir);
  try {
    return await db.read(table);
  } finally {
    await db.close();
  }
}

describe('helios-db node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('opens the engine for its first user and closes it on stop: flushed and the lock released', async () => {
    const dir = tempDir();
    await helper.load(allNodes, storeFlow(dir));
    const db = await openDb();
    assert.strictEqual(db.dir, dir);
    assert.ok(fs.existsSync(path.join(dir, 'LOCK')));
    const got = nextMessage('n-out');
    helper
      .getNode('n-store')
      .receive({ topic: 'a', payload: Array.from({ length: 1000 }, (_, i) => ({ v: i, time: BASE + i })) });
    await got;
    await helper.unload();
    assert.ok(!fs.existsSync(path.join(dir, 'LOCK')), 'lock released');
    const reopened = await open(dir);
    try {
      assert.strictEqual(
        reopened.stats().headRows,
        0,
        `close flushed the head to segments ${JSON.stringify(reopened.stats())}`,
      );
      assert.strictEqual((await reopened.read('readings')).length, 1000);
    } finally {
      await reopened.close();
    }
  });

  it('defaults the data folder to <userDir>/helios/<node id>', async () => {
    const userDir = tempDir();
    helper.settings({ userDir });
    try {
      await helper.load(allNodes, storeFlow(''));
      const db = await openDb();
      assert.strictEqual(db.dir, path.join(userDir, 'helios', 'n-db'));
    } finally {
      helper.settings({ userDir: undefined });
    }
  });

  it('close waits for writes in flight (opening, or held back by a full head): stored, no error', async () => {
    const dir = tempDir();
    await helper.load(allNodes, storeFlow(dir, { durability: 'always', memoryLimitMB: 1 }));
    assert.strictEqual(helper.getNode('n-db').controller.database, null, 'still opening');
    const errorSpy = helper.getNode('n-store').error;
    for (let m = 0; m < 4; m++) {
      const payload = Array.from({ length: 20000 }, (_, i) => ({ v: i, time: BASE + m * 20000 + i }));
      helper.getNode('n-store').receive({ payload });
    }
    await tick(0);
    await helper.unload();
    assert.deepStrictEqual(callsOf('error', 'n-store', errorSpy), []);
    assert.strictEqual((await readAll(dir)).length, 80000);
  });

  it("closes within Node-RED's close timeout, by its own done(), with 200k readings unflushed", async function () {
    this.timeout(60000);
    const dir = tempDir();
    await helper.load(allNodes, storeFlow(dir, { memoryLimitMB: 512 }));
    const db = await openDb();
    for (let b = 0; b < 20; b++) {
      const readings = [];
      for (let i = 0; i < 10000; i++)
        readings.push({ time: BASE + b * 10000 + i, tags: { s: `S${i % 10}` }, fields: { v: i } });
      await db.write('big', readings);
    }
    assert.ok(db.stats().headRows >= 200000);
    const warnSpy = helper.getNode('n-db').warn;
    const logSpy = helper.log();
    const warnings = callsOf('warn', 'n-db', warnSpy).length;
    await helper.unload();
    assert.strictEqual(callsOf('warn', 'n-db', warnSpy).length, warnings, 'no "still closing" warning');
    const logged = logSpy.args.map((a) => JSON.stringify(a[0]));
    assert.ok(!logged.some((l) => /timed out/i.test(l)), 'Node-RED did not have to time the close out');
    assert.ok(!fs.existsSync(path.join(dir, 'LOCK')));
    assert.strictEqual((await readAll(dir, 'big')).length, 200000);
  });

  it('two config nodes on one directory: the second shows "database locked" and logs why', async () => {
    const dir = tempDir();
    await helper.load(allNodes, [
      { id: 'f1', type: 'tab' },
      { id: 'n-db1', type: 'helios-db', dir },
      { id: 'n-db2', type: 'helios-db', dir },
      { id: 'n-store1', z: 'f1', type: 'helios-store', db: 'n-db1', wires: [] },
      { id: 'n-store2', z: 'f1', type: 'helios-store', db: 'n-db2', wires: [] },
    ]);
    const lockedStatus = (id) =>
      helper
        .getNode(id)
        .status.getCalls()
        .some(
          (c) => c.thisValue.id === id && c.args[0].text === 'database locked' && c.args[0].fill === 'red',
        );
    await waitFor(() => lockedStatus('n-store1') || lockedStatus('n-store2'), 'a locked status');
    const loser = lockedStatus('n-store1') ? 'n-db1' : 'n-db2';
    assert.ok(!(lockedStatus('n-store1') && lockedStatus('n-store2')), 'only one of them is locked out');
    const errors = callsOf('error', loser).map((a) => String(a[0]));
    assert.ok(
      errors.some((e) =>
        /already open by another engine in this Node\.js process.*one helios-db config node per data directory/.test(
          e,
        ),
      ),
      errors.join('\n'),
    );
  });

  it('a directory locked by another live process: clear error to a writer, store status red', async () => {
    const dir = tempDir();
    fs.mkdirSync(dir, { recursive: true });
    // The parent of this process is alive and is not us: its lock is not stale.
    fs.writeFileSync(
      path.join(dir, 'LOCK'),
      JSON.stringify({ pid: process.ppid, hostname: require('node:os').hostname(), since: 'now' }),
    );
    await helper.load(allNodes, storeFlow(dir));
    const store = helper.getNode('n-store');
    const errored = new Promise((resolve) => store.on('call:error', resolve));
    store.receive({ topic: 'a', payload: 1 });
    const err = String((await errored).args[0]);
    assert.match(err, new RegExp(`already open by process ${process.ppid}`));
    assert.strictEqual(store.status.lastCall.args[0].text, 'database locked');
    fs.rmSync(path.join(dir, 'LOCK'));
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
  it('reads a TOML file: data folder and memory from it, ${VAR} from the environment, unknown keys warned', async () => {
    const conf = tempDir();
    process.env.HELIOS_NODE_TEST_DIR = path.join(conf, 'from-env');
    fs.writeFileSync(
      path.join(conf, 'helios.toml'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
      '[database]\npath = "${HELIOS_NODE_TEST_DIR}/db"\nmemory_limit_mb = 32\nflavour = "x"\n\n[sync]\nurl = "mqtt://hub"\n',
    );
    try {
      await helper.load(allNodes, storeFlow('', { configFile: path.join(conf, 'helios.toml') }));
      const db = await openDb();
      assert.strictEqual(db.dir, path.join(conf, 'from-env', 'db'));
      const node = helper.getNode('n-db');
      assert.deepStrictEqual(node.toml.sync, { url: 'mqtt://hub' });
      assert.strictEqual(node.toml.memoryLimitMB, 32);
      await waitFor(() => callsOf('warn', 'n-db').length > 0, 'a warning');
      assert.match(String(callsOf('warn', 'n-db')[0][0]), /Unknown key \[database\] flavour is ignored/);
    } finally {
      delete process.env.HELIOS_NODE_TEST_DIR;
    }
  });

  it('a TOML syntax error: the writer gets file, line and column; the store shows it red', async () => {
    const conf = tempDir();
    const file = path.join(conf, 'bad.toml');
    fs.writeFileSync(file, '[database]\n\npath = "x\n');
    await helper.load(allNodes, storeFlow('', { configFile: file }));
    const store = helper.getNode('n-store');
    const errored = new Promise((resolve) => store.on('call:error', resolve));
    store.receive({ payload: 1 });
    assert.match(
      String((await errored).args[0]),
      new RegExp(`${file.replace(/[.]/g, '\\.')}, line 3, column \\d+: invalid TOML`),
    );
    assert.strictEqual(store.status.lastCall.args[0].fill, 'red');
  });

  it('a missing TOML file: reported once by the database and once by the store, not for every message', async () => {
    const file = path.join(tempDir(), 'missing.toml');
    await helper.load(allNodes, storeFlow('', { configFile: file }));
    const store = helper.getNode('n-store');
    const dbNode = helper.getNode('n-db');
    await waitFor(() => callsOf('error', 'n-db').length > 0, 'the open error');
    for (let i = 0; i < 20; i++) {
      store.receive({ topic: 't', payload: i });
      await tick(5);
    }
    await tick(50);
    const storeErrors = callsOf('error', 'n-store');
    assert.strictEqual(storeErrors.length, 1, 'the store reports the open failure once');
    assert.match(String(storeErrors[0][0]), /Cannot read the configuration file .*missing\.toml \(ENOENT\)/);
    assert.strictEqual(callsOf('error', 'n-db').length, 1, 'the database logs it once');
    assert.strictEqual(store.status.lastCall.args[0].fill, 'red');
    assert.strictEqual(dbNode.controller.state.kind, 'error');
    assert.ok(!fs.existsSync(file), 'without the option, no file is created');
  });

  it('"create it from the example when missing": the first deploy writes examples/helios.toml and opens', async () => {
    const conf = tempDir();
    const file = path.join(conf, 'helios.toml');
    await helper.load(allNodes, storeFlow('', { configFile: file, configCreate: true }));
    const db = await openDb();
    const example = fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'helios.toml'), 'utf8');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), example);
    assert.strictEqual(db.dir, path.join(conf, 'helios-data'));
    await waitFor(() => callsOf('warn', 'n-db').length > 0, 'a warning');
    assert.match(
      String(callsOf('warn', 'n-db')[0][0]),
      /helios\.toml: There was no such file: created it from/,
    );
    const got = nextMessage('n-out');
    helper.getNode('n-store').receive({ topic: 't', payload: 1 });
    assert.strictEqual((await got).stored.count, 1);
  });

  it('"create it from the example when missing" never touches a file that is there', async () => {
    const conf = tempDir();
    const file = path.join(conf, 'helios.toml');
    fs.writeFileSync(file, '[database]\npath = "mine"\n');
    await helper.load(allNodes, storeFlow('', { configFile: file, configCreate: true }));
    const db = await openDb();
    assert.strictEqual(db.dir, path.join(conf, 'mine'));
    assert.strictEqual(fs.readFileSync(file, 'utf8'), '[database]\npath = "mine"\n');
  });

  it('redeploys in the middle of a stream of writes lose nothing acknowledged', async function () {
    this.timeout(60000);
    const dir = tempDir();
    const flow = storeFlow(dir);
    await helper.load(allNodes, flow);
    const acked = new Set();
    const seen = new Set();
    const listen = () => {
      const out = helper.getNode('n-out');
      if (seen.has(out)) return;
      seen.add(out);
      out.on('input', (m) => acked.add(m.payload));
    };
    listen();
    let offered = 0;
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        const node = helper.getNode('n-store');
        if (node) {
          node.receive({ topic: 'seq', payload: i, timestamp: BASE + i });
          offered++;
        }
        if (i % 25 === 0) await tick(1);
      }
    })();
    const modified = flow.map((n) => (n.id === 'n-db' ? { ...n, memoryLimitMB: 32 } : n));
    const engines = new Set();
    await waitFor(() => acked.size > 200, 'writes before the first deploy');
    engines.add(await openDb());
    await helper.setFlows(modified, 'nodes').catch(() => undefined); // the config node and its users restart
    listen();
    await waitFor(() => acked.size > 600, 'writes after the first deploy');
    engines.add(await openDb());
    await helper.setFlows(flow, 'full').catch(() => undefined); // everything restarts
    listen();
    engines.add(await openDb());
    assert.strictEqual(engines.size, 3, 'each deploy closed the engine and opened a new one');
    const mark = acked.size;
    await waitFor(() => acked.size > mark + 300, 'writes after the second deploy');
    streaming = false;
    await stream;
    await tick(100);
    await helper.unload();
    const stored = new Set((await readAll(dir)).map((r) => r.value));
    const lost = [...acked].filter((v) => !stored.has(v));
    assert.deepStrictEqual(lost, [], `${lost.length} acknowledged readings lost of ${acked.size}`);
    assert.ok(acked.size > 900 && offered >= acked.size);
  });
});

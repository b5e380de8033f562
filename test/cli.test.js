// The `helios` CLI (issue #17): run as a real child process (dist/cli/helios.js) against databases
// written by the engine, some of them held open by another process that keeps writing, flushing
// and compacting (test/support/live-writer.js), as Node-RED would.
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { open } = require('../dist/engine/index.js');
const { tempDir } = require('./helpers');

const CLI = path.join(__dirname, '..', 'dist', 'cli', 'helios.js');

/** Runs the CLI; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
function helios(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir` with its size, mtime and content hash: what "wrote nothing" compares. */
function treeOf(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const st = fs.statSync(full);
        const hash = crypto.createHash('sha1').update(fs.readFileSync(full)).digest('hex');
        out[path.relative(dir, full)] = `${st.size} ${st.mtimeMs} ${hash}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** A database with every field type, two tags (one with a comma and a space), flushed and not. */
async function typedDatabase(dir) {
  const db = await open(dir);
  const rows = [];
  for (let i = 0; i < 3000; i++) {
    rows.push({
      time: 1764000000000 + i * 1000,
      tags: { sensor: `s${i % 3}`, site: i % 2 ? 'hall, east' : 'yard' },
      fields: { value: i / 8, count: BigInt(i), ok: i % 5 === 0, note: i % 7 ? `n"${i}` : null },
    });
  }
  await db.write('plant', rows.slice(0, 2000));
  await db.flush();
  await db.write('plant', rows.slice(2000));
  await db.close();
}

async function allRows(dir, table) {
  const db = await open(dir);
  try {
    const { rows, columns } = await db.query(`SELECT * FROM ${table} ORDER BY sensor, site, time`);
    return { rows, types: Object.fromEntries(columns.map((c) => [c.name, c.type])) };
  } finally {
    await db.close();
  }
}

function startWriter(dir) {
  const child = spawn(process.execPath, [path.join(__dirname, 'support', 'live-writer.js'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const state = { child, acked: 0 };
  let buffer = '';
  const opened = new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        if (line === 'open') resolve();
        const m = /^acked (\d+)$/.exec(line);
        if (m) state.acked = Number(m[1]);
      }
    });
  });
  state.opened = opened;
  state.kill = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  return state;
}

describe('helios CLI', function () {
  this.timeout(60000);

  it('tables, stats and query read a database without writing a byte to it', async () => {
    const dir = tempDir('helios-cli-');
    await typedDatabase(dir);
    const before = treeOf(dir);
    const tables = await helios('tables', dir);
    assert.equal(tables.code, 0, tables.stderr);
    assert.equal(tables.stdout, 'plant\n');
    const stats = await helios('stats', dir, '--json');
    assert.equal(stats.code, 0, stats.stderr);
    const parsed = JSON.parse(stats.stdout);
    assert.equal(parsed.tables.plant.rows, 3000);
    assert.equal(parsed.tables.plant.series, 6);
    const text = await helios('stats', dir);
    assert.match(text.stdout, /^plant\s+3000\s+6\s/m);
    const q = await helios(
      'query',
      dir,
      'SELECT sensor, count(*) AS n FROM plant GROUP BY sensor ORDER BY sensor',
      '--format',
      'csv',
    );
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, 'sensor,n\ns0,1000\ns1,1000\ns2,1000\n');
    const json = await helios('query', dir, 'SELECT max(count) AS m FROM plant', '--format', 'json');
    assert.deepEqual(JSON.parse(json.stdout), [{ m: 2999 }]);
    assert.deepEqual(treeOf(dir), before, 'the CLI changed the database directory');
  });

  it('says what is wrong, in a sentence, for a write statement, bad SQL, a missing directory and a bad option', async () => {
    const dir = tempDir('helios-cli-');
    await typedDatabase(dir);
    const write = await helios('query', dir, 'DELETE FROM plant');
    assert.equal(write.code, 2);
    assert.match(write.stderr, /runs SELECT, SHOW, DESCRIBE and EXPLAIN only/);
    const bad = await helios('query', dir, 'SELECT valeu FROM plant');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /valeu/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    const missing = await helios('stats', path.join(dir, 'nope'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is not a Helios database directory \(it does not exist\)/);
    assert.ok(!fs.existsSync(path.join(dir, 'nope')), 'a read created the directory');
    const option = await helios('export', dir, '--table', 'plant', '--format', 'xml');
    assert.equal(option.code, 2);
    assert.match(option.stderr, /--format must be one of csv, jsonl, lp; got "xml"/);
    const unknown = await helios('frobnicate', dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /There is no command "frobnicate"/);
  });

  it('reads a consistent snapshot while another process writes, flushes and compacts, and import says it cannot write', async () => {
    const dir = tempDir('helios-cli-live-');
    const writer = startWriter(dir);
    try {
      await writer.opened;
      let checked = 0;
      while (checked < 12) {
        const ackedBefore = writer.acked;
        const r = await helios(
          'query',
          dir,
          'SELECT count(*) AS n, min(value) AS lo, max(value) AS hi FROM live',
          '--format',
          'json',
        );
        assert.equal(r.code, 0, r.stderr);
        const [{ n, lo, hi }] = JSON.parse(r.stdout);
        // every acknowledged batch is there, and no row is missing in between: one state of the log
        assert.ok(n >= ackedBefore, `snapshot has ${n} rows, ${ackedBefore} were acknowledged before it`);
        if (n > 0) assert.deepEqual([lo, hi], [0, n - 1], `rows 0..${n - 1} with none missing`);
        checked++;
      }
      const stats = JSON.parse((await helios('stats', dir, '--json')).stdout);
      assert.ok(stats.tables.live.segments >= 1, 'the writer flushed while the CLI read');
      const verify = await helios('verify', dir);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const file = path.join(tempDir('helios-cli-in-'), 'x.lp');
      fs.writeFileSync(file, 'live,sensor=s9 value=1 1764000000000000000\n');
      const imp = await helios('import', dir, file);
      assert.equal(imp.code, 2);
      assert.match(imp.stderr, /is already open by process \d+ .*stop Node-RED/s);
    } finally {
      await writer.kill();
    }
    const leftovers = fs
      .readdirSync(require('node:os').tmpdir())
      .filter((f) => f.startsWith('helios-snapshot-'));
    assert.deepEqual(leftovers, [], 'snapshot copies were removed');
  });

  it('verify: sound exits 0; a flipped bit in a segment chunk or a WAL record exits 1 and names the file', async () => {
    const dir = tempDir('helios-cli-verify-');
    await typedDatabase(dir);
    const ok = await helios('verify', dir);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /sound\n$/);
    const segDir = path.join(dir, 'data', 'plant');
    const seg = fs
      .readdirSync(segDir, { recursive: true })
      .map(String)
      .find((f) => f.endsWith('.seg'));
    const segFile = path.join(segDir, seg);
    const bytes = fs.readFileSync(segFile);
    bytes[8 + 20] ^= 0x10; // inside the first chunk (chunks start after the 8-byte header)
    fs.writeFileSync(segFile, bytes);
    const bad = await helios('verify', dir, '--json');
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.stdout);
    assert.equal(report.sound, false);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0].file, path.relative(dir, segFile));
    assert.match(report.problems[0].reason, /Chunk CRC does not match/);
    bytes[8 + 20] ^= 0x10;
    fs.writeFileSync(segFile, bytes);
    assert.equal((await helios('verify', dir)).code, 0, 'sound again once the bit is back');
    const checkpoint = fs.readFileSync(path.join(dir, 'CHECKPOINT'));
    fs.writeFileSync(path.join(dir, 'CHECKPOINT'), checkpoint.subarray(0, 5));
    const torn = await helios('verify', dir);
    assert.equal(torn.code, 1);
    assert.match(torn.stdout, /DAMAGED CHECKPOINT at byte 0: not valid JSON/);
    fs.writeFileSync(path.join(dir, 'CHECKPOINT'), checkpoint);

    // the WAL: a second record whose payload has one bit flipped (records follow the 20-byte header)
    // written by a process that exits without closing (a close would checkpoint the log away)
    const script = `
      const { open } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'engine', 'index.js'))});
      open(process.argv[1], { durability: 'always' }).then(async (db) => {
        await db.write('plant', [{ time: 1, tags: { sensor: 'w', site: 'w' }, fields: { value: 1 } }]);
        await db.write('plant', [{ time: 2, tags: { sensor: 'w', site: 'w' }, fields: { value: 2 } }]);
        process.exit(0);
      });`;
    await new Promise((resolve, reject) =>
      execFile(process.execPath, ['-e', script, dir], (err) => (err ? reject(err) : resolve())),
    );
    const walDir = path.join(dir, 'wal');
    const wal = path.join(
      walDir,
      fs.readdirSync(walDir).find((f) => f.endsWith('.wal')),
    );
    const log = fs.readFileSync(wal);
    assert.ok(log.length > 60, 'the WAL holds the records');
    log[20 + 16 + 2] ^= 0x01; // first record's payload
    fs.writeFileSync(wal, log);
    const walBad = await helios('verify', dir);
    assert.equal(walBad.code, 1);
    assert.match(walBad.stdout, /DAMAGED wal\/\S+\.wal at byte 20: record checksum mismatch/);
  });

  for (const format of ['lp', 'jsonl', 'csv']) {
    it(`export --format ${format} then import into a new database gives the same rows`, async () => {
      const dir = tempDir('helios-cli-rt-');
      await typedDatabase(dir);
      const out = path.join(tempDir('helios-cli-out-'), `plant.${format}`);
      const exp = await helios('export', dir, '--table', 'plant', '--format', format, '--out', out);
      assert.equal(exp.code, 0, exp.stderr);
      const target = tempDir('helios-cli-rt2-');
      const args = ['import', target, out, '--table', 'plant'];
      if (format === 'csv') args.push('--tags', 'sensor,site');
      if (format !== 'lp') {
        // CSV and JSON lines carry no integer type: the table is declared first, as docs/cli.md says
        const db = await open(target);
        await db.createTable('plant', { tags: ['sensor', 'site'], fields: { count: 'int' } });
        await db.close();
      }
      const imp = await helios(...args);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout, /^3000 rows imported into plant/);
      const a = await allRows(dir, 'plant');
      const b = await allRows(target, 'plant');
      assert.deepEqual(b.types, a.types);
      assert.deepEqual(b.rows, a.rows);
    });
  }

  it('--progress reports on stderr, leaving stdout to the data', async () => {
    const dir = tempDir('helios-cli-progress-');
    await typedDatabase(dir);
    const r = await helios('export', dir, '--table', 'plant', '--format', 'csv', '--progress');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3000 rows exported\n$/);
    assert.equal(r.stdout.trim().split('\n').length, 3001, 'header and rows only on stdout');
    const v = await helios('verify', dir, '--progress');
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+ segments \(\d+ chunks, 3000 rows\)/);
  });

  it('the snapshot links segments on one file system and copies them across two (--tmp on /dev/shm)', async function () {
    const dir = tempDir('helios-cli-xdev-');
    await typedDatabase(dir);
    const { copySnapshot } = require('../dist/engine/index.js');
    const same = await copySnapshot(dir);
    assert.ok(
      same.linked >= 1 && same.copiedBytes < 10_000,
      `linked ${same.linked}, copied ${same.copiedBytes} B`,
    );
    await same.remove();
    const shm = '/dev/shm';
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(dir).dev) return this.skip();
    const across = await copySnapshot(dir, { tmpDir: shm });
    assert.equal(across.linked, 0);
    assert.ok(across.copied >= same.linked + 1, 'every segment copied');
    await across.remove();
    const q = await helios('query', dir, 'SELECT count(*) AS n FROM plant', '--format', 'json', '--tmp', shm);
    assert.deepEqual(JSON.parse(q.stdout), [{ n: 3000 }]);
  });

  it('export keeps to --from/--to (inclusive) and takes ISO times', async () => {
    const dir = tempDir('helios-cli-range-');
    await typedDatabase(dir);
    const r = await helios(
      'export',
      dir,
      '--table',
      'plant',
      '--format',
      'jsonl',
      '--from',
      '2025-11-24T16:00:10Z',
      '--to',
      String(1764000000000 + 19000),
    );
    assert.equal(r.code, 0, r.stderr);
    const times = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).time)
      .sort((x, y) => x - y);
    assert.equal(times.length, 10);
    assert.equal(times[0], Date.parse('2025-11-24T16:00:10Z'));
    assert.equal(times.at(-1), 1764000000000 + 19000);
  });

  it('import points at the line that is not line protocol, and stores nothing of its batch', async () => {
    const dir = tempDir('helios-cli-badlp-');
    const file = path.join(dir, '..', `${path.basename(dir)}.lp`);
    fs.writeFileSync(file, 'm,a=1 v=1 1000000\nm,a=1 v=oops 2000000\n');
    const r = await helios('import', dir, file, '--table', 'm');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 2, column 9: "oops" is not a field value/);
    const db = await open(dir);
    assert.deepEqual(db.tables(), []);
    await db.close();
    fs.rmSync(file);
  });
});

// WAL recovery against real damage: the log cut at every byte offset of its last records, flipped
// bytes, garbage and zeros after the end, torn and foreign file headers. After any of them the log
// opens, returns exactly the intact prefix, and takes (and keeps) new appends.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const { Wal } = require('../dist/engine/wal/wal');
const { crc32c } = require('../dist/engine/util/crc32c');

const OPTIONS = { durability: 'none', batchIntervalMs: 100, segmentBytes: 64 * 1024 * 1024 };
const FILE_HEADER = 20;
const RECORD_HEADER = 16;

const temps = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-walrec-'));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

function payloadOf(size, seed) {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i * 7 + 1) & 0xff;
  return out;
}

function walFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

async function openCollect(dir, afterLsn = 0) {
  const records = [];
  const { wal, replay } = await Wal.open(dir, OPTIONS, afterLsn, (lsn, payload) => {
    records.push({ lsn, payload: Buffer.from(payload) });
  });
  return { wal, replay, records };
}

/**
 * Writes a log of records with the given sizes; a 'rotate' entry starts a new file. Returns the
 * payloads and, per record, its file and [start, end) offsets computed from the v1 layout.
 */
async function buildLog(dir, layout) {
  const { wal } = await openCollect(dir);
  const records = [];
  let file = '00000000000000000001.wal';
  let offset = FILE_HEADER;
  for (const entry of layout) {
    if (entry === 'rotate') {
      await wal.rotate();
      file = `${String(wal.lastLsn + 1).padStart(20, '0')}.wal`;
      offset = FILE_HEADER;
      continue;
    }
    const payload = payloadOf(entry, records.length + 1);
    const { lsn } = wal.append(payload);
    records.push({ lsn, payload, file, start: offset, end: offset + RECORD_HEADER + entry });
    offset += RECORD_HEADER + entry;
  }
  await wal.close();
  return records;
}

function copyDir(src) {
  const dst = tempDir();
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

/** Opens the damaged copy, checks it returns `expected` records, then that it appends and reopens. */
async function assertRecoversTo(dir, expected) {
  const { wal, records, replay } = await openCollect(dir);
  assert.deepEqual(
    records.map((r) => r.lsn),
    expected.map((r) => r.lsn),
  );
  records.forEach((r, i) => {
    assert.ok(r.payload.equals(expected[i].payload), `payload of LSN ${r.lsn}`);
  });
  const next = expected.length + 1;
  const extra = payloadOf(9, 1000 + next);
  assert.equal(wal.append(extra).lsn, next);
  await wal.close();

  const again = await openCollect(dir);
  assert.equal(again.replay.truncatedAt, undefined, 'the second open finds nothing to cut');
  assert.deepEqual(
    again.records.map((r) => r.lsn),
    [...expected.map((r) => r.lsn), next],
  );
  assert.ok(again.records[next - 1].payload.equals(extra));
  await again.wal.close();
  return replay;
}

describe('wal recovery: the log cut at every byte offset of its last 3 records', () => {
  it('in a single file', async () => {
    const source = tempDir();
    const records = await buildLog(source, [10, 0, 33, 7, 100]);
    const file = records[0].file;
    const last = records[records.length - 1];
    for (let cut = records[2].start; cut <= last.end; cut++) {
      const dir = copyDir(source);
      fs.truncateSync(path.join(dir, file), cut);
      const whole = records.filter((r) => r.end <= cut);
      const replay = await assertRecoversTo(dir, whole);
      const boundary = whole.length ? whole[whole.length - 1].end : FILE_HEADER;
      if (cut === boundary) assert.equal(replay.truncatedAt, undefined, `cut at ${cut}`);
      else {
        assert.equal(replay.truncatedAt.offset, boundary, `cut at ${cut}`);
        assert.equal(replay.truncatedAt.file, path.join(dir, file));
      }
    }
  });

  it('in a file of their own, header included', async () => {
    const source = tempDir();
    const records = await buildLog(source, [10, 25, 'rotate', 33, 0, 60]);
    const lastFile = records[records.length - 1].file;
    assert.equal(lastFile, '00000000000000000003.wal');
    const size = fs.statSync(path.join(source, lastFile)).size;
    for (let cut = 0; cut <= size; cut++) {
      const dir = copyDir(source);
      fs.truncateSync(path.join(dir, lastFile), cut);
      const whole = records.filter((r) => r.file !== lastFile || r.end <= cut);
      const replay = await assertRecoversTo(dir, whole);
      if (cut < FILE_HEADER) {
        assert.equal(replay.truncatedAt.offset, 0, `cut at ${cut}`);
        assert.match(replay.truncatedAt.reason, cut === 0 ? /empty/ : /header/);
      }
    }
  });
});

describe('wal recovery: damaged bytes', () => {
  let source;
  let records;
  before(async () => {
    source = tempDir();
    records = await buildLog(source, [10, 0, 33, 7, 100]);
  });

  it('drops the last record when any one of its bytes is flipped, and keeps the others', async () => {
    const last = records[records.length - 1];
    for (let at = last.start; at < last.end; at++) {
      const dir = copyDir(source);
      const file = path.join(dir, last.file);
      const bytes = fs.readFileSync(file);
      bytes[at] ^= 0x5a;
      fs.writeFileSync(file, bytes);
      const replay = await assertRecoversTo(dir, records.slice(0, -1));
      assert.equal(replay.truncatedAt.offset, last.start, `flipped byte ${at}`);
    }
  });

  it('cuts garbage appended after the last record', async () => {
    const size = records[records.length - 1].end;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (garbage) => {
        const dir = copyDir(source);
        fs.appendFileSync(path.join(dir, records[0].file), garbage);
        const replay = await assertRecoversTo(dir, records);
        assert.equal(replay.truncatedAt.offset, size);
      }),
      { numRuns: 60 },
    );
  });

  it('cuts zeros after the last record (a file extended but never written, as after power loss)', async () => {
    const dir = copyDir(source);
    fs.appendFileSync(path.join(dir, records[0].file), Buffer.alloc(4096));
    const replay = await assertRecoversTo(dir, records);
    assert.equal(replay.truncatedAt.offset, records[records.length - 1].end);
  });

  it('cuts an intact record with the wrong LSN (a stale copy of the last one)', async () => {
    const dir = copyDir(source);
    const file = path.join(dir, records[0].file);
    const last = records[records.length - 1];
    const bytes = fs.readFileSync(file);
    fs.appendFileSync(file, bytes.subarray(last.start, last.end));
    const replay = await assertRecoversTo(dir, records);
    assert.equal(replay.truncatedAt.offset, last.end);
    assert.match(replay.truncatedAt.reason, /LSN 5 where 6 was expected/);
  });

  it('a corrupt record in an earlier file ends the log there and deletes every later file', async () => {
    const src = tempDir();
    const recs = await buildLog(src, [10, 20, 30, 'rotate', 40, 'rotate', 50, 60]);
    const dir = copyDir(src);
    const victim = recs[1];
    const file = path.join(dir, victim.file);
    const bytes = fs.readFileSync(file);
    bytes[victim.start + RECORD_HEADER + 3] ^= 1;
    fs.writeFileSync(file, bytes);
    const replay = await assertRecoversTo(dir, recs.slice(0, 1));
    assert.equal(replay.truncatedAt.file, file);
    assert.equal(replay.truncatedAt.offset, victim.start);
    assert.match(replay.truncatedAt.reason, /checksum/);
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal']);
  });
});

describe('wal recovery: file headers', () => {
  let source;
  let records;
  before(async () => {
    source = tempDir();
    records = await buildLog(source, [10, 20, 'rotate', 30, 'rotate', 40]);
  });

  it('removes a zero-length last file (a crash while rotating)', async () => {
    const dir = copyDir(source);
    fs.writeFileSync(path.join(dir, '00000000000000000005.wal'), '');
    const replay = await assertRecoversTo(dir, records);
    assert.match(replay.truncatedAt.reason, /empty/);
  });

  it('removes a file whose header checksum fails, and every file after it', async () => {
    const dir = copyDir(source);
    const file = path.join(dir, '00000000000000000003.wal');
    const bytes = fs.readFileSync(file);
    bytes[9] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const replay = await assertRecoversTo(dir, records.slice(0, 2));
    assert.equal(replay.truncatedAt.file, file);
    assert.equal(replay.truncatedAt.offset, 0);
    assert.match(replay.truncatedAt.reason, /header checksum/);
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal']);
  });

  it('removes a file whose name and header disagree', async () => {
    const dir = copyDir(source);
    fs.renameSync(path.join(dir, '00000000000000000004.wal'), path.join(dir, '00000000000000000005.wal'));
    const replay = await assertRecoversTo(dir, records.slice(0, 3));
    assert.match(replay.truncatedAt.reason, /file name says 5/);
  });

  it('removes a file that does not continue the LSNs of the file before it', async () => {
    const dir = copyDir(source);
    const other = tempDir();
    const { wal } = await Wal.open(other, OPTIONS, 9, () => {});
    wal.append(payloadOf(5, 10));
    await wal.close();
    fs.copyFileSync(path.join(other, '00000000000000000010.wal'), path.join(dir, '00000000000000000010.wal'));
    const replay = await assertRecoversTo(dir, records);
    assert.match(replay.truncatedAt.reason, /starts at LSN 10 where 5 was expected/);
  });

  it('refuses, and leaves alone, a file of a newer format version', async () => {
    const dir = copyDir(source);
    const file = path.join(dir, '00000000000000000004.wal');
    const bytes = fs.readFileSync(file);
    bytes[4] = 2;
    bytes.writeUInt32LE(crc32c(bytes, 0, 16), 16);
    fs.writeFileSync(file, bytes);
    await assert.rejects(openCollect(dir), (err) => {
      assert.equal(err.code, 'HELIOS_WAL_VERSION');
      assert.match(err.message, /version 2/);
      return true;
    });
    assert.ok(fs.readFileSync(file).equals(bytes));
    assert.equal(walFiles(dir).length, 3);
  });

  it('ignores files that are not WAL files', async () => {
    const dir = copyDir(source);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir, '12.wal'), 'short name');
    await assertRecoversTo(dir, records);
    assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'hello');
  });
});

/** A child that appends records whose payload is a function of their LSN, and prints each LSN once written. */
const CHILD = `
const fs = require('node:fs');
const { Wal } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'engine', 'wal', 'wal'))});
const payloadFor = ${payloadForLsn.toString()};
(async () => {
  const options = { durability: 'batch', batchIntervalMs: 5, segmentBytes: 4096 };
  const { wal } = await Wal.open(process.argv[1], options, 0, () => {});
  for (;;) {
    for (let i = 0; i < 50; i++) {
      const lsn = wal.lastLsn + 1;
      wal.append(payloadFor(lsn));
      fs.writeSync(1, lsn + '\\n');
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
})();
`;

function payloadForLsn(lsn) {
  const out = new Uint8Array(lsn % 300);
  for (let i = 0; i < out.length; i++) out[i] = (lsn + i) & 0xff;
  return out;
}

/** Runs the child until it has acknowledged `atLeast` records, kills it with SIGKILL, returns the last one. */
function appendThenKill(dir, atLeast) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      if (lines.length) acked = Number(lines[lines.length - 1]);
      if (acked >= atLeast) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}`));
    });
  });
}

describe('wal recovery: a process killed with SIGKILL while appending', () => {
  it('loses no record it had written, across rotations and repeated kills', async () => {
    const dir = tempDir();
    let acked = 0;
    for (let round = 1; round <= 3; round++) {
      acked = await appendThenKill(dir, acked + 2000 + round * 137);
      const replayed = [];
      const { wal } = await Wal.open(dir, OPTIONS, 0, (lsn, payload) => replayed.push({ lsn, payload }));
      assert.ok(
        wal.lastLsn >= acked,
        `round ${round}: acknowledged ${acked}, recovered up to ${wal.lastLsn}`,
      );
      assert.equal(replayed.length, wal.lastLsn);
      replayed.forEach((r, i) => {
        assert.equal(r.lsn, i + 1);
        assert.ok(
          Buffer.from(r.payload).equals(Buffer.from(payloadForLsn(r.lsn))),
          `payload of LSN ${r.lsn}`,
        );
      });
      await wal.close();
      assert.ok(walFiles(dir).length > 1, 'the child rotated files');
    }
  });
});

// The WAL's contract: round trips, checkpoints (afterLsn, rotate, removeUpTo), durability modes and
// group commit, failures of write and fsync, and replay that lets the event loop breathe.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Wal } = require('../dist/engine/wal/wal');

const OPTIONS = { durability: 'batch', batchIntervalMs: 100, segmentBytes: 64 * 1024 * 1024 };

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'helios-wal-'));
}

function payloadOf(size, seed) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

/** Opens `dir` and returns the wal, the replay stats and the replayed records. */
async function openCollect(dir, afterLsn = 0, options = OPTIONS) {
  const records = [];
  const { wal, replay } = await Wal.open(dir, options, afterLsn, (lsn, payload) => {
    records.push({ lsn, payload: Buffer.from(payload) });
  });
  return { wal, replay, records };
}

function walFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

function diskBytes(dir) {
  return walFiles(dir).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
}

function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** 'resolved', 'rejected' or 'pending' after letting queued callbacks run. */
async function settledState(promise) {
  let state = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  await nextTurn();
  await nextTurn();
  return state;
}

/** Polls `condition`; gives up (failing the test) after ~2000 polls so no poll outlives its test. */
async function until(condition) {
  for (let polls = 0; !condition(); polls++) {
    assert.ok(polls < 2000, 'condition never became true');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function enospc() {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
}

describe('wal: append and replay', () => {
  let dir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('starts an empty log at LSN afterLsn + 1', async () => {
    const { wal, replay, records } = await openCollect(dir);
    assert.deepEqual(replay, { records: 0, bytes: 0 });
    assert.equal(records.length, 0);
    assert.equal(wal.lastLsn, 0);
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal']);
    assert.equal(wal.append(new Uint8Array([1])).lsn, 1);
    await wal.close();
  });

  it('creates the directory and its missing parents', async () => {
    const nested = path.join(dir, 'a', 'b', 'wal');
    const { wal } = await openCollect(nested);
    wal.append(new Uint8Array([9]));
    await wal.close();
    const again = await openCollect(nested);
    assert.deepEqual(
      again.records.map((r) => [...r.payload]),
      [[9]],
    );
    await again.wal.close();
  });

  it('replays exactly what was appended, in order, with consecutive LSNs', async () => {
    const sizes = [0, 1, 40, 1000, 0, 70000, 3];
    const { wal } = await openCollect(dir);
    const lsns = sizes.map((size, i) => wal.append(payloadOf(size, i)).lsn);
    assert.deepEqual(lsns, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(wal.lastLsn, 7);
    await wal.close();

    const again = await openCollect(dir);
    assert.equal(again.wal.lastLsn, 7);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      [1, 2, 3, 4, 5, 6, 7],
    );
    sizes.forEach((size, i) => {
      assert.deepEqual(again.records[i].payload, Buffer.from(payloadOf(size, i)));
    });
    assert.equal(again.replay.records, 7);
    assert.equal(
      again.replay.bytes,
      sizes.reduce((a, b) => a + b, 0),
    );
    assert.equal(again.replay.truncatedAt, undefined);
    assert.equal(again.wal.append(new Uint8Array(0)).lsn, 8);
    await again.wal.close();
  });

  it('hands out payload views that stay valid after the callback', async () => {
    const { wal } = await openCollect(dir);
    for (let i = 0; i < 5000; i++) wal.append(payloadOf(200, i));
    await wal.close();
    const kept = [];
    const { wal: again } = await Wal.open(dir, OPTIONS, 0, (_lsn, payload) => kept.push(payload));
    assert.equal(kept.length, 5000);
    kept.forEach((payload, i) => {
      assert.deepEqual(Buffer.from(payload), Buffer.from(payloadOf(200, i)));
    });
    await again.close();
  });

  it('skips records up to afterLsn but still continues the LSNs', async () => {
    const { wal } = await openCollect(dir);
    for (let i = 0; i < 6; i++) wal.append(payloadOf(10, i));
    await wal.close();
    const again = await openCollect(dir, 4);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      [5, 6],
    );
    assert.deepEqual(again.records[0].payload, Buffer.from(payloadOf(10, 4)));
    assert.deepEqual(again.replay, { records: 2, bytes: 20 });
    assert.equal(again.wal.lastLsn, 6);
    await again.wal.close();
  });

  it('continues from afterLsn when the checkpoint is past the end of the log', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(10, 1));
    wal.append(payloadOf(10, 2));
    await wal.close();

    const again = await openCollect(dir, 100);
    assert.equal(again.records.length, 0);
    assert.equal(again.wal.lastLsn, 100);
    assert.equal(again.wal.append(payloadOf(5, 101)).lsn, 101);
    await again.wal.close();
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal', '00000000000000000101.wal']);

    const third = await openCollect(dir, 100);
    assert.deepEqual(
      third.records.map((r) => r.lsn),
      [101],
    );
    assert.equal(third.replay.truncatedAt, undefined);
    await third.wal.close();
  });

  it('rejects an open when onRecord throws, and the log still opens afterwards', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(4, 1));
    await wal.close();
    await assert.rejects(
      Wal.open(dir, OPTIONS, 0, () => {
        throw new Error('bad batch');
      }),
      /bad batch/,
    );
    const again = await openCollect(dir);
    assert.equal(again.records.length, 1);
    await again.wal.close();
  });

  it('rejects bad options with a sentence', async () => {
    await assert.rejects(
      Wal.open(dir, { ...OPTIONS, durability: 'sometimes' }, 0, () => {}),
      {
        code: 'HELIOS_INVALID_INPUT',
      },
    );
    await assert.rejects(
      Wal.open(dir, OPTIONS, -1, () => {}),
      { code: 'HELIOS_INVALID_INPUT' },
    );
  });
});

describe('wal: files, rotate and removeUpTo', () => {
  let dir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rotates, removes checkpointed files and replays the rest', async () => {
    const { wal } = await openCollect(dir);
    for (let i = 1; i <= 3; i++) wal.append(payloadOf(20, i));
    assert.equal(await wal.rotate(), 3);
    for (let i = 4; i <= 5; i++) wal.append(payloadOf(20, i));
    assert.equal(await wal.rotate(), 5);
    wal.append(payloadOf(20, 6));
    assert.deepEqual(walFiles(dir), [
      '00000000000000000001.wal',
      '00000000000000000004.wal',
      '00000000000000000006.wal',
    ]);
    assert.equal(wal.bytes, diskBytes(dir));

    await wal.removeUpTo(3);
    assert.deepEqual(walFiles(dir), ['00000000000000000004.wal', '00000000000000000006.wal']);
    assert.equal(wal.bytes, diskBytes(dir));
    await wal.close();

    const again = await openCollect(dir, 3);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      [4, 5, 6],
    );
    assert.deepEqual(again.records[2].payload, Buffer.from(payloadOf(20, 6)));
    await again.wal.close();
  });

  it('removes only files whose every record is <= lsn, and never the current file', async () => {
    const { wal } = await openCollect(dir);
    for (let i = 1; i <= 3; i++) wal.append(payloadOf(8, i));
    await wal.rotate();
    for (let i = 4; i <= 6; i++) wal.append(payloadOf(8, i));
    await wal.removeUpTo(2);
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal', '00000000000000000004.wal']);
    await wal.removeUpTo(3);
    assert.deepEqual(walFiles(dir), ['00000000000000000004.wal']);
    await wal.rotate();
    wal.append(payloadOf(8, 7));
    await wal.removeUpTo(1e9);
    assert.deepEqual(walFiles(dir), ['00000000000000000007.wal']);
    assert.equal(wal.fileCount, 1);
    assert.equal(wal.bytes, diskBytes(dir));
    await wal.close();
  });

  it('keeps an empty current file on rotate and returns lastLsn', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(8, 1));
    assert.equal(await wal.rotate(), 1);
    assert.equal(await wal.rotate(), 1);
    assert.deepEqual(walFiles(dir), ['00000000000000000001.wal', '00000000000000000002.wal']);
    await wal.removeUpTo(1);
    await wal.close();
    const again = await openCollect(dir, 1);
    assert.equal(again.wal.lastLsn, 1);
    assert.equal(again.records.length, 0);
    assert.equal(again.wal.append(payloadOf(1, 2)).lsn, 2);
    await again.wal.close();
  });

  it('rotates by itself past segmentBytes', async () => {
    const options = { ...OPTIONS, segmentBytes: 200 };
    const { wal } = await openCollect(dir, 0, options);
    for (let i = 1; i <= 20; i++) wal.append(payloadOf(50, i));
    const names = walFiles(dir);
    assert.ok(names.length >= 5, `expected several files, got ${names.join(', ')}`);
    for (const name of names) {
      const size = fs.statSync(path.join(dir, name)).size;
      assert.ok(size <= 200 + 66, `${name} is ${size} bytes`);
      const firstLsn = Number(name.slice(0, 20));
      const header = fs.readFileSync(path.join(dir, name)).subarray(0, 20);
      assert.equal(header.readUInt32LE(8), firstLsn);
    }
    assert.equal(wal.bytes, diskBytes(dir));
    await wal.close();
    const again = await openCollect(dir, 0, options);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await again.wal.close();
  });

  it('skips reading checkpointed files, so damage in them costs nothing later', async () => {
    const { wal } = await openCollect(dir);
    for (let i = 1; i <= 3; i++) wal.append(payloadOf(8, i));
    await wal.rotate();
    wal.append(payloadOf(8, 4));
    await wal.close();
    const first = path.join(dir, '00000000000000000001.wal');
    const bytes = fs.readFileSync(first);
    bytes[30] ^= 0xff;
    fs.writeFileSync(first, bytes);

    const again = await openCollect(dir, 3);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      [4],
    );
    assert.equal(again.replay.truncatedAt, undefined);
    await again.wal.close();
  });
});

describe('wal: durability modes', () => {
  let dir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("'always': durable resolves only after an fsync that covers the record", async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'always' });
    const realFsync = wal.io.fsync;
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    wal.io = {
      ...wal.io,
      fsync: async (fd) => {
        await gate;
        await realFsync(fd);
      },
    };
    const before = wal.fsyncCount;
    const { durable } = wal.append(payloadOf(40, 1));
    assert.equal(await settledState(durable), 'pending');
    assert.equal(wal.fsyncCount, before);
    release();
    await durable;
    assert.equal(wal.fsyncCount, before + 1);
    await wal.close();
  });

  it("'always': concurrent appends share fsyncs (group commit)", async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'always' });
    const realFsync = wal.io.fsync;
    let appended = 0;
    let covered = 0;
    wal.io = {
      ...wal.io,
      fsync: async (fd) => {
        const coversUpTo = appended;
        await realFsync(fd);
        covered = Math.max(covered, coversUpTo);
      },
    };
    const before = wal.fsyncCount;
    const waits = [];
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 50; i++) {
        const index = ++appended;
        const { durable } = wal.append(payloadOf(40, index));
        waits.push(
          durable.then(() => assert.ok(covered >= index, `record ${index} resolved before its fsync`)),
        );
      }
      await nextTurn();
    }
    await Promise.all(waits);
    const fsyncs = wal.fsyncCount - before;
    assert.ok(fsyncs >= 1 && fsyncs <= 25, `${fsyncs} fsyncs for 1000 appends`);
    await wal.close();
  });

  it("'always': a record in a freshly rotated file waits for the old file, the directory and the new file", async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'always', segmentBytes: 0 });
    const synced = [];
    const io = wal.io;
    wal.io = {
      ...io,
      fsync: async (fd) => {
        await io.fsync(fd);
        synced.push('file');
      },
      fsyncDir: async (d) => {
        await io.fsyncDir(d);
        synced.push('dir');
      },
    };
    await wal.append(payloadOf(10, 1)).durable;
    synced.length = 0;
    await wal.append(payloadOf(10, 2)).durable;
    assert.deepEqual(synced, ['file', 'dir', 'file']);
    await wal.close();
  });

  it("'batch': durable resolves at once and a background fsync follows", async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'batch', batchIntervalMs: 5 });
    const before = wal.fsyncCount;
    const { durable } = wal.append(payloadOf(40, 1));
    assert.equal(await settledState(durable), 'resolved');
    await until(() => wal.fsyncCount > before);
    await wal.close();
  });

  it("'none': no fsync until close", async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'none' });
    const before = wal.fsyncCount;
    for (let i = 0; i < 100; i++) wal.append(payloadOf(40, i));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(wal.fsyncCount, before);
    await wal.close();
    assert.equal(wal.fsyncCount, before + 1);
  });

  it('sync() fsyncs written data in any mode', async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'none' });
    wal.append(payloadOf(40, 1));
    const before = wal.fsyncCount;
    await wal.sync();
    assert.equal(wal.fsyncCount, before + 1);
    await wal.sync();
    assert.equal(wal.fsyncCount, before + 1, 'nothing new to fsync');
    await wal.close();
  });
});

describe('wal: failures', () => {
  let dir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('throws on append, sync, rotate and removeUpTo after close', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(4, 1));
    await wal.close();
    await wal.close();
    assert.throws(() => wal.append(payloadOf(4, 2)), { code: 'HELIOS_CLOSED' });
    assert.equal(wal.lastLsn, 1);
    await assert.rejects(wal.sync(), { code: 'HELIOS_CLOSED' });
    await assert.rejects(wal.rotate(), { code: 'HELIOS_CLOSED' });
    await assert.rejects(wal.removeUpTo(1), { code: 'HELIOS_CLOSED' });
  });

  it('a write that fails half-way (disk full) consumes no LSN and leaves the file as it was', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(100, 1));
    wal.append(payloadOf(100, 2));
    const file = path.join(dir, walFiles(dir)[0]);
    const sizeBefore = fs.statSync(file).size;
    const bytesBefore = wal.bytes;
    const io = wal.io;
    wal.io = {
      ...io,
      writeSync: (fd, buffer, offset, length, position) => {
        io.writeSync(fd, buffer, offset, Math.floor(length / 2), position);
        throw enospc();
      },
    };
    assert.throws(
      () => wal.append(payloadOf(100, 3)),
      (err) => {
        assert.equal(err.code, 'HELIOS_DISK_FULL');
        assert.match(err.message, /full/);
        assert.equal(err.cause.code, 'ENOSPC');
        return true;
      },
    );
    assert.equal(wal.lastLsn, 2);
    assert.equal(wal.bytes, bytesBefore);
    assert.equal(fs.statSync(file).size, sizeBefore);

    wal.io = io;
    assert.equal(wal.append(payloadOf(100, 4)).lsn, 3);
    await wal.close();
    const again = await openCollect(dir);
    assert.equal(again.replay.truncatedAt, undefined);
    assert.deepEqual(
      again.records.map((r) => r.payload),
      [1, 2, 4].map((seed) => Buffer.from(payloadOf(100, seed))),
    );
    await again.wal.close();
  });

  it('a failed write whose truncate also fails still leaves a log that reopens with every record', async () => {
    const { wal } = await openCollect(dir);
    wal.append(payloadOf(10, 1));
    const io = wal.io;
    wal.io = {
      ...io,
      writeSync: (fd, buffer, offset, length, position) => {
        io.writeSync(fd, buffer, offset, length - 1, position);
        throw enospc();
      },
      ftruncateSync: () => {
        throw enospc();
      },
    };
    assert.throws(() => wal.append(payloadOf(500, 2)), { code: 'HELIOS_DISK_FULL' });
    wal.io = io;
    wal.append(payloadOf(10, 3));
    await wal.close();
    const again = await openCollect(dir);
    assert.deepEqual(
      again.records.map((r) => r.payload),
      [1, 3].map((seed) => Buffer.from(payloadOf(10, seed))),
    );
    assert.ok(again.replay.truncatedAt, 'the stray tail is cut');
    await again.wal.close();
  });

  it('a failed fsync rejects durable, then appends throw and close rejects; the log reopens', async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'always' });
    await wal.append(payloadOf(10, 1)).durable;
    const io = wal.io;
    wal.io = {
      ...io,
      fsync: async () => {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    };
    const { durable } = wal.append(payloadOf(10, 2));
    await assert.rejects(durable, (err) => {
      assert.equal(err.code, 'HELIOS_WAL_IO');
      assert.match(err.message, /fsync/);
      return true;
    });
    assert.throws(() => wal.append(payloadOf(10, 3)), { code: 'HELIOS_WAL_IO' });
    await assert.rejects(wal.sync(), { code: 'HELIOS_WAL_IO' });
    await assert.rejects(wal.close(), { code: 'HELIOS_WAL_IO' });
    const again = await openCollect(dir);
    assert.deepEqual(
      again.records.map((r) => r.lsn),
      [1, 2],
    );
    await again.wal.close();
  });

  it('a dropped durable promise of a failed fsync does not crash the process', async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'always' });
    wal.io = {
      ...wal.io,
      fsync: async () => {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    };
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on('unhandledRejection', onUnhandled);
    try {
      wal.append(payloadOf(10, 1));
      await nextTurn();
      await nextTurn();
      await wal.close().catch(() => {});
      await nextTurn();
      assert.equal(unhandled, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('wal: replay and the event loop', () => {
  let dir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets other callbacks run while replaying a big log', async () => {
    const { wal } = await openCollect(dir, 0, { ...OPTIONS, durability: 'none' });
    const payload = payloadOf(40, 1);
    for (let i = 0; i < 100000; i++) wal.append(payload);
    await wal.close();

    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    let records = 0;
    turns = 0;
    const { wal: again } = await Wal.open(dir, OPTIONS, 0, () => records++);
    running = false;
    assert.equal(records, 100000);
    assert.ok(turns >= 5, `only ${turns} event loop turns during replay of 5.6 MB`);
    await again.close();
  });
});

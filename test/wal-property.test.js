// Property: any sequence of appends (payloads from empty to 100 KB), rotations, checkpoints
// (rotate + removeUpTo) and reopens replays exactly the records after the last checkpoint, in order.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const { Wal } = require('../dist/engine/wal/wal');

function payloadOf(size, seed) {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (seed + i * 13) & 0xff;
  return out;
}

const payloadSize = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 0, max: 5000 }),
  fc.constant(100 * 1024),
);

const command = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('append'), size: payloadSize, seed: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'rotate' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' }) },
);

const scenario = fc.record({
  durability: fc.constantFrom('always', 'batch', 'none'),
  segmentBytes: fc.constantFrom(0, 1024, 64 * 1024, 64 * 1024 * 1024),
  commands: fc.array(command, { maxLength: 40 }),
});

async function openChecked(dir, options, afterLsn, model) {
  const replayed = [];
  const { wal } = await Wal.open(dir, options, afterLsn, (lsn, payload) => replayed.push({ lsn, payload }));
  const expected = model.filter((r) => r.lsn > afterLsn);
  assert.deepEqual(
    replayed.map((r) => r.lsn),
    expected.map((r) => r.lsn),
  );
  replayed.forEach((r, i) => {
    assert.ok(Buffer.from(r.payload).equals(expected[i].payload), `LSN ${r.lsn}`);
  });
  return wal;
}

describe('wal property: appends, rotations, checkpoints and reopens', () => {
  it('replays exactly the appended payloads after the checkpoint, in order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ durability, segmentBytes, commands }) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helios-walprop-'));
        const options = { durability, batchIntervalMs: 1, segmentBytes };
        try {
          const model = [];
          let afterLsn = 0;
          let wal = await openChecked(dir, options, afterLsn, model);
          for (const cmd of commands) {
            if (cmd.kind === 'append') {
              const payload = payloadOf(cmd.size, cmd.seed);
              const { lsn, durable } = wal.append(payload);
              assert.equal(lsn, model.length + 1);
              model.push({ lsn, payload });
              if (durability === 'always') await durable;
            } else if (cmd.kind === 'rotate') {
              assert.equal(await wal.rotate(), model.length);
            } else if (cmd.kind === 'checkpoint') {
              afterLsn = await wal.rotate();
              await wal.removeUpTo(afterLsn);
            } else {
              await wal.close();
              wal = await openChecked(dir, options, afterLsn, model);
            }
            assert.equal(wal.lastLsn, model.length);
          }
          await wal.close();
          const onDisk = fs.readdirSync(dir).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
          assert.equal(wal.bytes, onDisk);
          wal = await openChecked(dir, options, afterLsn, model);
          await wal.close();
          wal = await openChecked(
            dir,
            options,
            0,
            model.filter((r) => r.lsn > firstLsnOnDisk(dir) - 1),
          );
          await wal.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 80 },
    );
  });
});

/** The first LSN the oldest remaining file starts at. */
function firstLsnOnDisk(dir) {
  const names = fs.readdirSync(dir).sort();
  return Number(names[0].slice(0, 20));
}

// Modbus RTU over a pseudo-terminal pair made by socat: the RTU link (CRC, frame gap, reply length)
// and the bus against a simulated RTU slave (test/support/modbus-rtu-slave.js), then the node on it.
// Without socat on the machine the tests are skipped and say why (.ci/run should install it).
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir } = require('./helpers');

const socat = (() => {
  try {
    return execFileSync('which', ['socat'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

const tick = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, ms, what) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

/** socat linking two pseudo-terminals at `a` and `b`; resolves once both exist. */
async function ptyPair(dir) {
  const a = path.join(dir, 'master');
  const b = path.join(dir, 'slave');
  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: 'ignore',
  });
  await until(() => fs.existsSync(a) && fs.existsSync(b), 5000, 'the pty pair');
  return { a, b, child };
}

function kill(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('modbus RTU over a socat pty pair', function () {
  this.timeout(30000);
  before(function () {
    if (!socat) {
      console.log('    (skipped: socat is not installed; .ci/run should install it from Debian)');
      this.skip();
    }
  });

  const { RtuSlave } = require('./support/modbus-rtu-slave');
  const { RtuLink, frameGapMs } = require('../dist/nodes/lib/modbus/rtu-link.js');
  const { Bus } = require('../dist/nodes/lib/modbus/bus.js');
  const { readRequest, writeRegistersRequest } = require('../dist/nodes/lib/modbus/pdu.js');
  const TIMING = {
    timeoutMs: 200,
    pauseAfterConnectMs: 0,
    retryFirstMs: 100,
    retryMaxMs: 400,
    silentTimeouts: 3,
  };

  let pair;
  let slave;
  let bus;

  beforeEach(async () => {
    pair = await ptyPair(tempDir('helios-rtu-'));
    slave = new RtuSlave(pair.b, { units: [1, 2] });
    await slave.open();
    slave.image(1).set('holding', 0, [0x4049, 0x0fdb, 7, 8]);
    slave.image(2).set('holding', 0, [2000]);
    const serial = { path: pair.a, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 };
    bus = new Bus(new RtuLink(serial, TIMING), {
      timeoutMs: 200,
      betweenMs: 0,
      closeWhenIdle: false,
      maxQueued: 64,
    });
    bus.link.open();
    await until(() => bus.link.state.kind === 'connected', 3000, 'the port open');
  });

  afterEach(async () => {
    await bus?.close();
    await slave?.close();
    if (pair) await kill(pair.child);
  });

  const words = async (unit, address, count) =>
    Array.from((await bus.submit(unit, readRequest('holding', address, count, unit))).data);

  it('keeps the 3.5-character gap: 2 ms at 19200 baud, 1.75 ms above', () => {
    assert.strictEqual(Math.round(frameGapMs(19200) * 100) / 100, 2.01);
    assert.strictEqual(Math.round(frameGapMs(9600) * 100) / 100, 4.01);
    assert.strictEqual(frameGapMs(115200), 1.75);
  });

  it('reads and writes registers with CRC-checked frames', async () => {
    assert.deepStrictEqual(await words(1, 0, 4), [0x4049, 0x0fdb, 7, 8]);
    assert.deepStrictEqual(await words(2, 0, 1), [2000]);
    await bus.submit(1, writeRegistersRequest(10, [1, 2, 3], 1));
    assert.deepStrictEqual([...slave.image(1).holding.subarray(10, 13)], [1, 2, 3]);
    const coils = await bus.submit(1, readRequest('coil', 0, 9, 1));
    assert.deepStrictEqual([...coils.data], [0, 0]);
    for (let i = 0; i < 20; i++) await words(1, 0, 1);
    // Every request came at least the 3.5-character gap (2.0 ms at 19200 baud) after the last reply.
    const gaps = [];
    slave.log.forEach((e, i) => {
      if (e.kind === 'request' && slave.log[i - 1]?.kind === 'reply') gaps.push(e.at - slave.log[i - 1].at);
    });
    assert.strictEqual(gaps.length, 23); // 24 requests, each after the reply to the one before
    assert.ok(Math.min(...gaps) >= 1.9, `gaps ${gaps.map((g) => g.toFixed(2)).join(' ')} ms`);
  });

  it('a reply with a bad CRC is refused; the next one is taken', async () => {
    slave.badCrcOnce = true;
    await assert.rejects(words(1, 0, 2), { code: 'MODBUS_BAD_REPLY', message: /failed its CRC check/ });
    assert.deepStrictEqual(await words(1, 2, 2), [7, 8]);
  });

  it('a dead unit goes offline; a late reply is dropped and the other unit gets its own registers', async () => {
    slave.silent.add(2);
    for (let i = 0; i < 3; i++) await assert.rejects(words(2, 0, 1), { code: 'MODBUS_TIMEOUT' });
    await assert.rejects(words(2, 0, 1), { code: 'MODBUS_UNIT_OFFLINE' });
    assert.deepStrictEqual(await words(1, 0, 2), [0x4049, 0x0fdb]);
    slave.delayMs = 300; // past the 200 ms timeout
    await assert.rejects(words(1, 0, 2), { code: 'MODBUS_TIMEOUT' });
    slave.delayMs = 0;
    await tick(150); // the late reply arrives while nothing waits
    assert.deepStrictEqual(await words(1, 2, 2), [7, 8]);
    assert.ok(bus.link.counters.lateReplies >= 1);
  });

  it('the line goes away (socat killed) and comes back: the link reopens the port by itself', async () => {
    await kill(pair.child);
    await slave.close();
    await until(() => bus.link.state.kind === 'disconnected', 5000, 'disconnected');
    await assert.rejects(words(1, 0, 1), { code: 'MODBUS_NOT_CONNECTED' });
    const dir = path.dirname(pair.a);
    for (const f of [pair.a, pair.b]) fs.rmSync(f, { force: true });
    pair = await ptyPair(dir);
    slave = new RtuSlave(pair.b, { units: [1] });
    await slave.open();
    slave.image(1).set('holding', 0, [99]);
    await until(() => bus.link.state.kind === 'connected', 8000, 'connected again');
    assert.deepStrictEqual(await words(1, 0, 1), [99]);
  });

  it('helios-modbus polls an RTU device on the line', async () => {
    await bus.close();
    bus = null;
    const { helper, allNodes, flowWith, nextMessage } = require('./nodes/support');
    const nodes = [
      ...allNodes,
      require('../dist/nodes/helios-modbus-device.js'),
      require('../dist/nodes/helios-modbus.js'),
    ];
    const flow = flowWith(tempDir(), [
      {
        id: 'n-dev',
        type: 'helios-modbus-device',
        transport: 'rtu',
        serialPort: pair.a,
        baudRate: 19200,
        timeoutMs: 200,
      },
      {
        id: 'n-modbus',
        type: 'helios-modbus',
        device: 'n-dev',
        map: [
          { name: 'pi', unit: 1, address: 0, type: 'float32' },
          { name: 'other', unit: 2, address: 0 },
        ],
        wires: [['n-out']],
      },
      { id: 'n-out', type: 'helper' },
    ]);
    try {
      await helper.load(nodes, flow);
      const msg = await nextMessage('n-out');
      const values = Object.fromEntries(msg.payload.map((r) => [r.tags.unit, r.fields]));
      assert.strictEqual(values['1'].pi, Math.fround(Math.PI));
      assert.deepStrictEqual(values['2'], { other: 2000, quality: 'good' });
      assert.strictEqual(msg.payload[0].tags.device, pair.a);
    } finally {
      await helper.unload();
    }
  });
});

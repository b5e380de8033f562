// The Modbus TCP link and the bus against the fault server (test/support/modbus-fault-server.js):
// replies matched by transaction id, late and wrong replies dropped, reconnecting after the server
// went away, and one dead or slow unit not holding up the others.
const assert = require('node:assert/strict');
const { FaultServer } = require('./support/modbus-fault-server');
const { TcpLink } = require('../dist/nodes/lib/modbus/tcp-link.js');
const { Bus } = require('../dist/nodes/lib/modbus/bus.js');
const { readRequest, writeRegistersRequest, writeCoilsRequest } = require('../dist/nodes/lib/modbus/pdu.js');

const TIMING = {
  timeoutMs: 150,
  pauseAfterConnectMs: 0,
  retryFirstMs: 50,
  retryMaxMs: 200,
  silentTimeouts: 3,
};
const tick = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, ms = 5000, what = 'condition') {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

describe('modbus TCP link and bus (fault server)', function () {
  this.timeout(20000);
  let server;
  let bus;

  async function setup(units = [1, 2], timing = {}, busOptions = {}) {
    server = new FaultServer({ units });
    await server.start();
    for (const u of units)
      server.image(u).set(
        'holding',
        0,
        Array.from({ length: 100 }, (_, i) => u * 1000 + i),
      );
    const link = new TcpLink('127.0.0.1', server.port, { ...TIMING, ...timing });
    bus = new Bus(link, {
      timeoutMs: TIMING.timeoutMs,
      betweenMs: 0,
      closeWhenIdle: false,
      maxQueued: 64,
      ...busOptions,
    });
    link.open();
    await until(() => link.state.kind === 'connected', 2000, 'connected');
  }

  const read = (unit, address, count = 1) => bus.submit(unit, readRequest('holding', address, count, unit));
  const words = async (unit, address, count = 1) => Array.from((await read(unit, address, count)).data);

  afterEach(async () => {
    await bus?.close();
    await server?.stop();
    bus = null;
    server = null;
  });

  it('reads registers and coils, and writes them', async () => {
    await setup();
    assert.deepStrictEqual(await words(1, 5, 3), [1005, 1006, 1007]);
    assert.deepStrictEqual(await words(2, 0, 2), [2000, 2001]);
    await bus.submit(1, writeRegistersRequest(10, [0xabcd, 0x1234], 1));
    await bus.submit(1, writeRegistersRequest(20, [7], 1));
    await bus.submit(1, writeCoilsRequest(3, [true, false, true], 1));
    assert.deepStrictEqual(
      [...server.image(1).holding.subarray(10, 12), server.image(1).holding[20]],
      [0xabcd, 0x1234, 7],
    );
    assert.deepStrictEqual([...server.image(1).coil.subarray(3, 6)], [1, 0, 1]);
    const bits = await bus.submit(1, readRequest('coil', 3, 3, 1));
    assert.deepStrictEqual([...bits.data], [0b101]);
  });

  it('drops a reply that comes after its timeout: the next request gets its own registers, not the late ones', async () => {
    await setup();
    server.faults.push({ kind: 'late', ms: 250, unit: 1 });
    await assert.rejects(read(1, 0, 2), { code: 'MODBUS_TIMEOUT' });
    // The late reply (registers 0-1: 1000, 1001) arrives while this request for 50-51 is out.
    const next = read(1, 50, 2);
    await tick(150);
    assert.deepStrictEqual(Array.from((await next).data), [1050, 1051]);
    await until(() => bus.link.counters.lateReplies === 1, 1000, 'the late reply counted');
    assert.deepStrictEqual(await words(1, 60, 2), [1060, 1061]);
  });

  it('drops a reply with a wrong transaction id (counted) and times the request out', async () => {
    await setup();
    server.faults.push({ kind: 'wrongTid' });
    await assert.rejects(read(1, 0), { code: 'MODBUS_TIMEOUT' });
    assert.strictEqual(bus.link.counters.lateReplies, 1);
    assert.deepStrictEqual(await words(1, 1), [1001]);
  });

  it('refuses a reply of the wrong length with a sentence, and carries on', async () => {
    await setup();
    server.faults.push({ kind: 'wrongLength' });
    await assert.rejects(read(1, 0, 4), {
      code: 'MODBUS_BAD_REPLY',
      message:
        'The reply to holding registers 0-3 of unit 1 holds 6 data bytes (byte count 8), not 8: dropped.',
    });
    assert.deepStrictEqual(await words(1, 0, 4), [1000, 1001, 1002, 1003]);
  });

  it('passes a Modbus exception on, with its meaning', async () => {
    await setup();
    server.faults.push({ kind: 'exception', code: 2 });
    await assert.rejects(read(1, 0), {
      code: 'MODBUS_EXCEPTION',
      message: 'The device refused holding registers 0-0 of unit 1: exception 2 (illegal data address).',
    });
    assert.deepStrictEqual(bus.units(), new Map([[1, 'ok']]));
  });

  it('a connection reset in the middle of a reply fails that request; the link reconnects by itself', async () => {
    await setup();
    server.faults.push({ kind: 'resetMidReply' });
    await assert.rejects(read(1, 0, 10), { code: 'MODBUS_CONNECTION_LOST' });
    await until(() => bus.link.state.kind === 'connected', 3000, 'reconnected');
    assert.deepStrictEqual(await words(1, 3), [1003]);
    assert.strictEqual(server.connections, 2);
  });

  it('the server stopped and started again: requests fail fast while it is away, then work, with no restart of the link', async () => {
    await setup();
    const port = server.port;
    await server.stop();
    await until(() => bus.link.state.kind === 'disconnected', 2000, 'disconnected');
    const started = Date.now();
    await assert.rejects(read(1, 0), { code: 'MODBUS_NOT_CONNECTED' });
    assert.ok(Date.now() - started < 50, 'no waiting for a timeout while the link is down');
    await tick(400); // several refused attempts
    const again = new FaultServer({ units: [1], port });
    again.image(1).set('holding', 0, [42]);
    await again.start();
    server = again;
    await until(() => bus.link.state.kind === 'connected', 3000, 'reconnected');
    assert.deepStrictEqual(await words(1, 0), [42]);
    assert.ok(bus.link.counters.connects >= 2);
  });

  it('a unit that never answers goes offline after 3 timeouts; the others keep their pace', async () => {
    await setup([1, 2]);
    server.silent.add(2);
    const results = [];
    for (let i = 0; i < 10; i++) results.push(read(2, 0).catch((e) => e.code));
    const started = performance.now();
    const fast = [];
    for (let i = 0; i < 10; i++) fast.push(await words(1, i));
    const elapsed = performance.now() - started;
    const codes = await Promise.all(results);
    assert.deepStrictEqual(codes.slice(0, 3), ['MODBUS_TIMEOUT', 'MODBUS_TIMEOUT', 'MODBUS_TIMEOUT']);
    assert.ok(
      codes.slice(3).every((c) => c === 'MODBUS_UNIT_OFFLINE'),
      codes.join(),
    );
    assert.deepStrictEqual(fast.flat(), [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
    // Unit 2 cost three timeouts of bus time (450 ms), not ten (1.5 s).
    assert.ok(elapsed < 900, `unit 1 waited ${elapsed.toFixed(0)} ms`);
    assert.strictEqual(server.requests.get(2), 3);
    assert.deepStrictEqual(
      bus.units(),
      new Map([
        [2, 'offline'],
        [1, 'ok'],
      ]),
    );
    // The silent link detector did not fire: unit 1 answered in between.
    assert.strictEqual(bus.link.counters.connects, 1);
    // Unit 2 comes back: the probe after the backoff (about 1 s) finds it.
    server.silent.delete(2);
    await tick(1300);
    assert.deepStrictEqual(await words(2, 1), [2001]);
    assert.deepStrictEqual(bus.units().get(2), 'ok');
  });

  it('units take turns: a slow unit delays another by at most one request', async () => {
    await setup([1, 2]);
    server.delays.set(2, 60);
    const slow = Array.from({ length: 5 }, () => read(2, 0));
    const t0 = performance.now();
    await read(1, 0);
    const waited = performance.now() - t0;
    await Promise.all(slow);
    assert.ok(waited < 140, `unit 1 waited ${waited.toFixed(0)} ms behind unit 2's queue`);
  });

  it('starts the connection again when nothing at all answers (a pulled cable keeps the socket open)', async () => {
    await setup([1]);
    server.silent.add(1);
    for (let i = 0; i < 3; i++) await assert.rejects(read(1, 0), { code: 'MODBUS_TIMEOUT' });
    await until(() => bus.link.counters.connects === 2, 3000, 'a new connection');
    server.silent.delete(1);
    await until(() => bus.link.state.kind === 'connected', 3000, 'connected');
    // Unit 1 is offline now (3 timeouts): its probe is due after about 1 s.
    await tick(1200);
    assert.deepStrictEqual(await words(1, 2), [1002]);
  });

  it('never holds more requests than allowed', async () => {
    await setup([1], {}, { maxQueued: 4 });
    server.delays.set(1, 50);
    // One on the wire and four waiting; the sixth and seventh are refused at once.
    const all = Array.from({ length: 7 }, () =>
      read(1, 0).then(
        () => 'ok',
        (e) => e.code,
      ),
    );
    assert.deepStrictEqual(await Promise.all(all), [
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'MODBUS_QUEUE_FULL',
      'MODBUS_QUEUE_FULL',
    ]);
    assert.strictEqual(bus.waiting, 0);
  });

  it('close after poll: the connection closes when nothing waits and opens again for the next request', async () => {
    await setup([1], {}, { closeWhenIdle: true });
    assert.deepStrictEqual(await words(1, 0), [1000]);
    await until(() => bus.link.state.kind === 'idle', 1000, 'idle');
    await until(() => server.sockets.size === 0, 1000, 'the socket closed');
    assert.deepStrictEqual(await words(1, 1), [1001]);
    assert.strictEqual(server.connections, 2);
  });

  it('keeps the pause after connect and the pause between requests', async () => {
    server = new FaultServer({ units: [1] });
    await server.start();
    const arrivals = [];
    const original = server.request.bind(server);
    server.request = (socket, frame) => {
      arrivals.push(performance.now());
      original(socket, frame);
    };
    const link = new TcpLink('127.0.0.1', server.port, { ...TIMING, pauseAfterConnectMs: 200 });
    bus = new Bus(link, { timeoutMs: 150, betweenMs: 40, closeWhenIdle: false, maxQueued: 64 });
    const opened = performance.now();
    link.open();
    await Promise.all([read(1, 0), read(1, 1), read(1, 2)]);
    assert.ok(
      arrivals[0] - opened >= 195,
      `first request ${(arrivals[0] - opened).toFixed(0)} ms after open`,
    );
    assert.ok(arrivals[1] - arrivals[0] >= 39 && arrivals[2] - arrivals[1] >= 39, arrivals.join(' '));
  });
});

describe('modbus bus with requests to several units at once (TCP)', function () {
  this.timeout(20000);
  let server;
  let bus;
  afterEach(async () => {
    await bus?.close();
    await server?.stop();
  });

  async function setup(inFlight) {
    server = new FaultServer({ units: [1, 2, 3] });
    await server.start();
    for (const u of [1, 2, 3]) server.image(u).set('holding', 0, [u * 100]);
    const link = new TcpLink('127.0.0.1', server.port, TIMING);
    bus = new Bus(link, { timeoutMs: 150, betweenMs: 0, closeWhenIdle: false, maxQueued: 64, inFlight });
    link.open();
    await until(() => link.state.kind === 'connected', 2000, 'connected');
  }
  const read = (unit) => bus.submit(unit, readRequest('holding', 0, 1, unit)).then((a) => a.data[0]);

  it('a unit that answers late holds up the others for its timeout with one at a time, not with three', async () => {
    for (const inFlight of [1, 3]) {
      await setup(inFlight);
      server.silent.add(2);
      const dead = read(2).catch((e) => e.code);
      const t0 = performance.now();
      const others = await Promise.all([read(1), read(3)]);
      const waited = performance.now() - t0;
      assert.deepStrictEqual(others, [100, 300]);
      assert.strictEqual(await dead, 'MODBUS_TIMEOUT');
      if (inFlight === 1) assert.ok(waited >= 140, `one at a time: ${waited.toFixed(0)} ms`);
      else assert.ok(waited < 60, `three at once: ${waited.toFixed(0)} ms`);
      await bus.close();
      await server.stop();
    }
  });

  it('never two requests to one unit at once, and every reply to its own request', async () => {
    await setup(3);
    for (const u of [1, 2, 3]) server.delays.set(u, 10);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const unit = (i % 3) + 1;
        return read(unit).then((v) => [unit, v]);
      }),
    );
    for (const [unit, v] of replies) assert.strictEqual(v, unit * 100);
    assert.strictEqual(bus.waiting, 0);
    assert.deepStrictEqual(server.mostOutstanding, { all: 3, perUnit: 1 });
  });
});

describe('modbus unit breaker', () => {
  const { UnitBreaker } = require('../dist/nodes/lib/modbus/breaker.js');

  it('offline after 3 failures; one probe after 1 s, then 2 s, 4 s ...; an answer brings it back', () => {
    const b = new UnitBreaker(60_000, () => 0.5); // no jitter
    let now = 0;
    for (let i = 0; i < 2; i++) {
      assert.ok(b.admit(now));
      b.failed(now);
    }
    assert.strictEqual(b.health, 'failing');
    b.failed(now);
    assert.strictEqual(b.health, 'offline');
    assert.ok(!b.admit(now + 999));
    now += 1000;
    assert.ok(b.admit(now), 'the probe');
    assert.ok(!b.admit(now), 'one probe at a time');
    b.failed(now);
    assert.ok(!b.admit(now + 1999));
    assert.ok(b.admit(now + 2000));
    b.succeeded();
    assert.strictEqual(b.health, 'ok');
    assert.ok(b.admit(now + 2000));
  });
});

#!/usr/bin/env node
// A simulated manufacturing line behind one Modbus TCP gateway, for tests and the demo: modbus-serial's
// ServerTCP serving a register image that changes with time. `node test/support/modbus-plc.js [port]`
// runs it on 127.0.0.1 (default port 5020, the one examples/manufacturing-line.json polls).
//
// unit 1, press:    holding 0-1 temperature float32 (about 180 C), 2-3 pressure float32 (bar),
//                   4-5 cycles uint32, 6 vibration int16 x 0.01 mm/s, 10 set-point uint16 x 0.1 (writable),
//                   100-103 the string "PRESS-01"; coil 0 running (writable)
// unit 2, oven:     input 0-1 zone temperature float32 CDAB, input 2 fan rpm uint16
// unit 3, conveyor: holding 0 speed uint16 x 0.01 m/s; discrete input 0 jam
const net = require('node:net');
const ModbusRTU = require('modbus-serial');

const started = Date.now();
const seconds = () => (Date.now() - started) / 1000;

function float32Words(value, swapWords = false) {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value);
  const words = [b.readUInt16BE(0), b.readUInt16BE(2)];
  return swapWords ? words.reverse() : words;
}

function put(map, address, words) {
  words.forEach((w, i) => {
    map.set(address + i, w);
  });
}

/** The image of every unit now: unit -> table -> address -> word or bit. */
function image(state) {
  const t = seconds();
  const spike = state.spikeUntil > Date.now() ? 25 : 0;
  const press = new Map();
  put(press, 0, float32Words(180 + 5 * Math.sin(t / 30) + spike));
  put(press, 2, float32Words(120 + 3 * Math.cos(t / 20)));
  const cycles = Math.floor(t * 0.8);
  press.set(4, (cycles >>> 16) & 0xffff);
  press.set(5, cycles & 0xffff);
  press.set(6, Math.round((1.2 + 0.3 * Math.sin(t)) * 100) & 0xffff);
  press.set(10, state.setpoint);
  const text = Buffer.from('PRESS-01');
  put(
    press,
    100,
    Array.from({ length: 4 }, (_, i) => (text[2 * i] << 8) | text[2 * i + 1]),
  );
  const oven = new Map();
  put(oven, 0, float32Words(220 + 2 * Math.sin(t / 45), true));
  oven.set(2, 1400 + Math.round(20 * Math.sin(t / 5)));
  const conveyor = new Map([[0, Math.round((0.75 + 0.05 * Math.sin(t / 10)) * 100)]]);
  return { holding: { 1: press, 3: conveyor }, input: { 2: oven } };
}

/** A free loopback port (ServerTCP takes 0 as "the default, 502"). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the PLC on `port` (0: any free one); resolves with { port, close, state }. */
async function startPlc({ port = 5020, host = '127.0.0.1' } = {}) {
  if (port === 0) port = await freePort();
  const state = { setpoint: 1800, running: true, jam: false, spikeUntil: 0 };
  const words = (table) => (addr, length, unit) => {
    const map = image(state)[table][unit];
    if (!map) throw Object.assign(new Error('no such unit'), { modbusErrorCode: 0x0b });
    return Array.from({ length }, (_, i) => map.get(addr + i) ?? 0);
  };
  const vector = {
    getMultipleHoldingRegisters: words('holding'),
    getMultipleInputRegisters: words('input'),
    getHoldingRegister: (addr, unit) => words('holding')(addr, 1, unit)[0],
    getInputRegister: (addr, unit) => words('input')(addr, 1, unit)[0],
    getCoil: (addr, unit) => unit === 1 && addr === 0 && state.running,
    getDiscreteInput: (addr, unit) => unit === 3 && addr === 0 && state.jam,
    setCoil: (addr, value, unit) => {
      if (unit === 1 && addr === 0) state.running = value;
    },
    setRegister: (addr, value, unit) => {
      if (unit === 1 && addr === 10) state.setpoint = value;
    },
  };
  return new Promise((resolve, reject) => {
    const server = new ModbusRTU.ServerTCP(vector, { host, port, unitID: 255 });
    server.on('error', reject);
    server.on('initialized', () => {
      resolve({ port, state, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

module.exports = { startPlc, freePort };

if (require.main === module) {
  const port = Number(process.argv[2] ?? 5020);
  startPlc({ port }).then(({ port: p }) =>
    console.log(`Simulated PLC (units 1-3) on 127.0.0.1:${p}. Ctrl-C stops.`),
  );
}

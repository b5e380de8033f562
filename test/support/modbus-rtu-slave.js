// A simulated Modbus RTU slave on a serial port (one end of a socat pseudo-terminal pair in the tests),
// over the same device images as the fault server. Faults: silent units, a delay, a bad CRC once.
const path = require('node:path');
const { UnitImage, answer } = require('./modbus-image');
const { crc16 } = require('../../dist/nodes/lib/modbus/crc16.js');

function serialPort() {
  const base = path.dirname(require.resolve('modbus-serial/package.json'));
  return require(require.resolve('serialport', { paths: [base] })).SerialPort;
}

/** The length of the request frame that starts with `bytes`, or 0 while it is not known. */
function requestLength(bytes) {
  if (bytes.length < 2) return 0;
  const fc = bytes[1];
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return bytes.length < 7 ? 0 : 9 + bytes[6];
  return bytes.length; // unknown function: take what came
}

class RtuSlave {
  constructor(file, { units = [1], baudRate = 19200 } = {}) {
    this.file = file;
    this.baudRate = baudRate;
    this.images = new Map(units.map((u) => [u, new UnitImage()]));
    this.silent = new Set();
    this.delayMs = 0;
    this.badCrcOnce = false;
    this.requests = 0;
    /** [{ kind: 'request' | 'reply', at: performance.now() }] */
    this.log = [];
  }

  image(unit) {
    return this.images.get(unit);
  }

  open() {
    const SerialPort = serialPort();
    this.port = new SerialPort({ path: this.file, baudRate: this.baudRate, autoOpen: false });
    this.port.on('error', () => {});
    let inbox = Buffer.alloc(0);
    this.port.on('data', (chunk) => {
      inbox = Buffer.concat([inbox, chunk]);
      const length = requestLength(inbox);
      if (length === 0 || inbox.length < length) return;
      const frame = inbox.subarray(0, length);
      inbox = Buffer.alloc(0);
      this.request(frame);
    });
    return new Promise((resolve, reject) => this.port.open((err) => (err ? reject(err) : resolve())));
  }

  request(frame) {
    this.requests++;
    this.log.push({ kind: 'request', at: performance.now() });
    if (crc16(frame.subarray(0, frame.length - 2)) !== frame.readUInt16LE(frame.length - 2)) return;
    const unit = frame[0];
    const image = this.images.get(unit);
    if (!image || this.silent.has(unit)) return;
    const pdu = answer(image, frame.subarray(1, frame.length - 2));
    const out = Buffer.alloc(pdu.length + 3);
    out[0] = unit;
    pdu.copy(out, 1);
    out.writeUInt16LE(crc16(out.subarray(0, out.length - 2)), out.length - 2);
    if (this.badCrcOnce) {
      this.badCrcOnce = false;
      out[out.length - 1] ^= 0xff;
    }
    const send = () => {
      if (!this.port?.isOpen) return;
      this.port.write(out);
      this.log.push({ kind: 'reply', at: performance.now() });
    };
    if (this.delayMs > 0) setTimeout(send, this.delayMs);
    else send();
  }

  close() {
    return new Promise((resolve) => (this.port?.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

module.exports = { RtuSlave };

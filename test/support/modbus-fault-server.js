// A Modbus TCP server for tests, over net.Server speaking raw MBAP frames, so that faults can be
// injected: units that never answer, answers after a delay, wrong transaction ids, wrong lengths,
// exceptions, connections reset in the middle of a reply, and the whole server stopped and started
// again on the same port. Loopback only.
const net = require('node:net');
const { UnitImage, answer, exception } = require('./modbus-image');

class FaultServer {
  /** `units`: the unit ids that answer (each with its own image). */
  constructor({ units = [1], port = 0 } = {}) {
    this.images = new Map(units.map((u) => [u, new UnitImage()]));
    this.port = port;
    /** unit id -> ms to wait before answering */
    this.delays = new Map();
    /** unit ids that get requests and never answer */
    this.silent = new Set();
    /** one-shot faults, applied to the next requests in order: { kind, unit?, code? } */
    this.faults = [];
    this.requests = new Map();
    /** requests received and not answered yet, per unit, and the most there ever were (all units, per unit) */
    this.outstanding = new Map();
    this.mostOutstanding = { all: 0, perUnit: 0 };
    this.sockets = new Set();
    this.connections = 0;
    this.server = null;
  }

  image(unit) {
    return this.images.get(unit);
  }

  start() {
    return new Promise((resolve, reject) => {
      this.server = net.createServer((socket) => this.accept(socket));
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  /** Closes the listener and every connection (a device switched off). */
  stop() {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  accept(socket) {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let inbox = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      inbox = Buffer.concat([inbox, chunk]);
      while (inbox.length >= 7 && inbox.length >= 6 + inbox.readUInt16BE(4)) {
        const frame = inbox.subarray(0, 6 + inbox.readUInt16BE(4));
        inbox = inbox.subarray(frame.length);
        this.request(socket, frame);
      }
    });
  }

  request(socket, frame) {
    const tid = frame.readUInt16BE(0);
    const unit = frame[6];
    const pdu = frame.subarray(7);
    this.requests.set(unit, (this.requests.get(unit) ?? 0) + 1);
    this.outstanding.set(unit, (this.outstanding.get(unit) ?? 0) + 1);
    const all = [...this.outstanding.values()].reduce((a, b) => a + b, 0);
    this.mostOutstanding.all = Math.max(this.mostOutstanding.all, all);
    this.mostOutstanding.perUnit = Math.max(this.mostOutstanding.perUnit, this.outstanding.get(unit));
    const image = this.images.get(unit);
    if (!image || this.silent.has(unit)) return;
    const faultIndex = this.faults.findIndex((f) => f.unit === undefined || f.unit === unit);
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : null;
    let reply = answer(image, pdu);
    let replyTid = tid;
    if (fault?.kind === 'exception') reply = exception(pdu[0], fault.code ?? 4);
    if (fault?.kind === 'wrongTid') replyTid = (tid + 1000) & 0xffff;
    if (fault?.kind === 'wrongLength') reply = reply.subarray(0, reply.length - 2);
    if (fault?.kind === 'silentOnce') return;
    const out = Buffer.alloc(7 + reply.length);
    out.writeUInt16BE(replyTid, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(reply.length + 1, 4);
    out[6] = unit;
    reply.copy(out, 7);
    const send = () => {
      this.outstanding.set(unit, this.outstanding.get(unit) - 1);
      if (socket.destroyed) return;
      if (fault?.kind === 'resetMidReply') {
        socket.write(out.subarray(0, 9), () => socket.resetAndDestroy());
        return;
      }
      socket.write(out);
    };
    const delay = fault?.kind === 'late' ? fault.ms : (this.delays.get(unit) ?? 0);
    if (delay > 0) setTimeout(send, delay);
    else send();
  }
}

module.exports = { FaultServer };

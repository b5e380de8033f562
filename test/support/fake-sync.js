// An in-memory stand-in for the engine's SyncEdge / SyncHub (docs: /work/briefs/sync-contract.md),
// so the transports can be tested without engine/sync. Batches are JSON; the rules are the
// contract's: the cursor advances only on an applied/duplicate answer, rewind() hands out again
// after the last acknowledged batch, the hub applies each (device, epoch, seq) once and answers a
// gap with the sequence number it expects.
const enc = (o) => new Uint8Array(Buffer.from(JSON.stringify(o)));
const dec = (b) => JSON.parse(Buffer.from(b).toString());

const codec = {
  encodeSyncAck: enc,
  decodeSyncAck: dec,
  readSyncBatchMeta: (b) => {
    const { rows, ...meta } = dec(b);
    return meta;
  },
  decodeSyncBatch: (b) => {
    const { rows, ...meta } = dec(b);
    const byTable = new Map();
    for (const r of rows) {
      if (!byTable.has(r.table)) byTable.set(r.table, []);
      byTable.get(r.table).push({
        tags: r.tags,
        times: [r.time],
        fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, [v]])),
      });
    }
    return { meta, tables: [...byTable].map(([table, series]) => ({ table, series })) };
  },
};

class FakeEdge {
  constructor(device, { batchRows = 100, epoch = `e${Math.random().toString(36).slice(2, 10)}` } = {}) {
    this.device = device;
    this.epoch = epoch;
    this.batchRows = batchRows;
    this.log = []; // rows in LSN order (index = lsn - 1)
    this.made = new Map(); // seq -> batch
    this.ackedSeq = 0; // every seq <= this is acknowledged (durable cursor)
    this.doneSeqs = new Set();
    this.nextSeq = 1;
    this.lastAckAt = null;
    this.quarantine = new Map();
    this.downApplied = 0;
    this.handedOut = 0;
  }
  write(rows) {
    for (const r of rows) this.log.push(r);
  }
  async next() {
    while (this.quarantine.has(this.nextSeq) || this.doneSeqs.has(this.nextSeq)) this.nextSeq++;
    let batch = this.made.get(this.nextSeq);
    if (!batch) {
      const last = this.made.get(this.nextSeq - 1);
      const from = last ? last.meta.toLsn : 0;
      if (from >= this.log.length) return null;
      const rows = this.log.slice(from, from + this.batchRows);
      const meta = {
        device: this.device,
        epoch: this.epoch,
        seq: this.nextSeq,
        lane: rows[0].lane ?? 'live',
        historical: false,
        fromLsn: from + 1,
        toLsn: from + rows.length,
        rows: rows.length,
        tables: [...new Set(rows.map((r) => r.table))],
        kind: 'rows',
      };
      batch = { bytes: enc({ ...meta, rows }), meta };
      this.made.set(this.nextSeq, batch);
    }
    this.nextSeq++;
    this.handedOut++;
    return batch;
  }
  async acknowledge(ack) {
    if (ack.epoch !== this.epoch) return;
    if (ack.status === 'applied' || ack.status === 'duplicate') {
      this.doneSeqs.add(ack.seq);
      while (this.doneSeqs.has(this.ackedSeq + 1) || this.quarantine.has(this.ackedSeq + 1)) this.ackedSeq++;
      this.lastAckAt = Date.now();
    } else if (ack.status === 'gap') {
      this.nextSeq = Math.min(this.nextSeq, ack.expectSeq);
    } else if (ack.status === 'rejected') {
      const b = this.made.get(ack.seq);
      this.quarantine.set(ack.seq, {
        seq: ack.seq,
        reason: ack.reason,
        rows: b ? b.meta.rows : 0,
        at: Date.now(),
      });
      while (this.doneSeqs.has(this.ackedSeq + 1) || this.quarantine.has(this.ackedSeq + 1)) this.ackedSeq++;
    }
  }
  rewind() {
    this.nextSeq = this.ackedSeq + 1;
  }
  status() {
    const last = this.made.get(this.ackedSeq);
    const sent = last ? last.meta.toLsn : 0;
    return {
      deviceId: this.device,
      epoch: this.epoch,
      backlogRows: this.log.length - sent,
      backlogBytes: 0,
      inFlight: 0,
      lastAckSeq: this.ackedSeq,
      lastAckAt: this.lastAckAt,
      lostRows: 0,
      quarantined: this.quarantine.size,
    };
  }
  quarantined() {
    return [...this.quarantine.values()];
  }
  async retryQuarantined(seq) {
    this.quarantine.delete(seq);
    this.doneSeqs.delete(seq);
    this.nextSeq = Math.min(this.nextSeq, seq);
    this.ackedSeq = Math.min(this.ackedSeq, seq - 1);
  }
  async dropQuarantined(seq) {
    this.quarantine.delete(seq);
    this.doneSeqs.add(seq);
  }
  async exportQuarantined(seq) {
    return this.made.get(seq).bytes;
  }
  async receiveDown(bytes) {
    const { messages } = dec(bytes);
    const fresh = messages.filter((m) => m.id > this.downApplied);
    if (fresh.length) this.downApplied = fresh[fresh.length - 1].id;
    return fresh;
  }
  downAck() {
    return enc({ device: this.device, upTo: this.downApplied });
  }
  async close() {}
}

class FakeHub {
  constructor() {
    this.high = new Map(); // device -> {epoch, seq}
    this.rows = [];
    this.down = new Map(); // device -> [{id, payload}]
    this.downId = 0;
    this.applies = 0;
    this.rejectTable = null;
    this.gaps = 0;
  }
  async apply(bytes) {
    this.applies++;
    const b = dec(bytes);
    const { device, epoch, seq } = b;
    const h = this.high.get(device);
    const high = h && h.epoch === epoch ? h.seq : 0;
    if (seq <= high) return { ack: { device, epoch, seq, status: 'duplicate' }, applied: [] };
    if (seq > high + 1) this.gaps++;
    if (seq > high + 1)
      return { ack: { device, epoch, seq, status: 'gap', expectSeq: high + 1 }, applied: [] };
    this.high.set(device, { epoch, seq });
    if (this.rejectTable && b.tables.includes(this.rejectTable)) {
      return { ack: { device, epoch, seq, status: 'rejected', reason: 'schema conflict' }, applied: [] };
    }
    for (const r of b.rows) this.rows.push({ device, ...r });
    const applied = b.tables.map((table) => {
      const rs = b.rows.filter((r) => r.table === table);
      return {
        device,
        table,
        rows: rs.length,
        from: Math.min(...rs.map((r) => r.time)),
        to: Math.max(...rs.map((r) => r.time)),
      };
    });
    return { ack: { device, epoch, seq, status: 'applied' }, applied };
  }
  devices() {
    return [...this.high].map(([device, h]) => ({ device, epoch: h.epoch, highSeq: h.seq, lastAt: 0 }));
  }
  async sendDown(device, payload) {
    const targets = device === '*' ? [...this.high.keys()] : [device];
    const id = ++this.downId;
    for (const d of targets) {
      if (!this.down.has(d)) this.down.set(d, []);
      this.down.get(d).push({ id, payload });
    }
    return id;
  }
  pendingDown(device) {
    const q = this.down.get(device);
    return q?.length ? enc({ messages: q }) : null;
  }
  async receiveDownAck(bytes) {
    const { device, upTo } = dec(bytes);
    const q = this.down.get(device) ?? [];
    this.down.set(
      device,
      q.filter((m) => m.id > upTo),
    );
  }
  async close() {}
}

/** rows for the fake edge: `n` readings of table `table`, times from `t0` */
function fakeRows(n, { table = 'sensor', t0 = 1764028800000, sensor = 'S1' } = {}) {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push({ table, time: t0 + i * 1000, tags: { sensor_id: sensor }, fields: { value: i } });
  return out;
}

module.exports = { codec, FakeEdge, FakeHub, fakeRows };

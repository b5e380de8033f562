// A Modbus device's memory for the test servers: per unit id, 65536 coils, discrete inputs, holding
// and input registers, and the function codes 1-6, 15 and 16 over it (PDU in, PDU out). Shared by
// the fault server (raw MBAP frames) and the RTU slave (serial frames).

class UnitImage {
  constructor() {
    this.coil = new Uint8Array(65536);
    this.discrete = new Uint8Array(65536);
    this.holding = new Uint16Array(65536);
    this.input = new Uint16Array(65536);
  }

  /** Writes `words` into `table` from `address`. */
  set(table, address, words) {
    for (let i = 0; i < words.length; i++) this[table][address + i] = words[i];
  }
}

const exception = (fc, code) => Buffer.from([fc | 0x80, code]);

function readBits(bits, pdu) {
  const address = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  if (count < 1 || count > 2000) return exception(pdu[0], 3);
  if (address + count > 65536) return exception(pdu[0], 2);
  const bytes = Math.ceil(count / 8);
  const out = Buffer.alloc(2 + bytes);
  out[0] = pdu[0];
  out[1] = bytes;
  for (let i = 0; i < count; i++) if (bits[address + i]) out[2 + (i >> 3)] |= 1 << (i & 7);
  return out;
}

function readWords(words, pdu) {
  const address = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  if (count < 1 || count > 125) return exception(pdu[0], 3);
  if (address + count > 65536) return exception(pdu[0], 2);
  const out = Buffer.alloc(2 + count * 2);
  out[0] = pdu[0];
  out[1] = count * 2;
  for (let i = 0; i < count; i++) out.writeUInt16BE(words[address + i], 2 + i * 2);
  return out;
}

/** The reply PDU to `pdu` for the unit's image `u`. */
function answer(u, pdu) {
  const fc = pdu[0];
  switch (fc) {
    case 1:
      return readBits(u.coil, pdu);
    case 2:
      return readBits(u.discrete, pdu);
    case 3:
      return readWords(u.holding, pdu);
    case 4:
      return readWords(u.input, pdu);
    case 5:
      u.coil[pdu.readUInt16BE(1)] = pdu.readUInt16BE(3) === 0xff00 ? 1 : 0;
      return Buffer.from(pdu.subarray(0, 5));
    case 6:
      u.holding[pdu.readUInt16BE(1)] = pdu.readUInt16BE(3);
      return Buffer.from(pdu.subarray(0, 5));
    case 15: {
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      for (let i = 0; i < count; i++) u.coil[address + i] = (pdu[6 + (i >> 3)] >> (i & 7)) & 1;
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 16: {
      const address = pdu.readUInt16BE(1);
      const count = pdu.readUInt16BE(3);
      for (let i = 0; i < count; i++) u.holding[address + i] = pdu.readUInt16BE(6 + i * 2);
      return Buffer.from(pdu.subarray(0, 5));
    }
    default:
      return exception(fc, 1);
  }
}

module.exports = { UnitImage, answer, exception };

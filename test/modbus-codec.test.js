// Register values to numbers and back (nodes/lib/modbus/codec.ts): every type and byte order
// against register images written down here in hex, then round trips over random values.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
  decodeRegisters,
  encodeRegisters,
  registerCount,
  bitAt,
} = require('../dist/nodes/lib/modbus/codec.js');

const layout = (type, order = 'ABCD', extra = {}) => ({
  type,
  order,
  length: 1,
  bit: null,
  scale: 1,
  offset: 0,
  ...extra,
});

// Each case: a value and its registers in every order. Bytes named A (most significant) to D/H.
// float32 pi = 0x40490FDB, int32 -123456789 = 0xF8A432EB, uint32 0xDEADBEEF,
// float64 pi = 0x400921FB54442D18 (IEEE 754 binary64), as every device manual tabulates them.
const CASES = [
  {
    type: 'float32',
    value: Math.fround(Math.PI),
    ABCD: [0x4049, 0x0fdb],
    CDAB: [0x0fdb, 0x4049],
    BADC: [0x4940, 0xdb0f],
    DCBA: [0xdb0f, 0x4940],
  },
  {
    type: 'float32',
    value: 12.5,
    ABCD: [0x4148, 0x0000],
    CDAB: [0x0000, 0x4148],
    BADC: [0x4841, 0x0000],
    DCBA: [0x0000, 0x4841],
  },
  {
    type: 'int32',
    value: -123456789,
    ABCD: [0xf8a4, 0x32eb],
    CDAB: [0x32eb, 0xf8a4],
    BADC: [0xa4f8, 0xeb32],
    DCBA: [0xeb32, 0xa4f8],
  },
  {
    type: 'uint32',
    value: 0xdeadbeef,
    ABCD: [0xdead, 0xbeef],
    CDAB: [0xbeef, 0xdead],
    BADC: [0xadde, 0xefbe],
    DCBA: [0xefbe, 0xadde],
  },
  { type: 'int16', value: -2, ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] },
  { type: 'uint16', value: 0x1234, ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] },
  {
    type: 'float64',
    value: Math.PI,
    ABCD: [0x4009, 0x21fb, 0x5444, 0x2d18],
    CDAB: [0x2d18, 0x5444, 0x21fb, 0x4009],
    BADC: [0x0940, 0xfb21, 0x4454, 0x182d],
    DCBA: [0x182d, 0x4454, 0xfb21, 0x0940],
  },
  {
    type: 'int64',
    value: 1234567890123, // 0x0000011F71FB04CB: exact in a double, so a number
    ABCD: [0x0000, 0x011f, 0x71fb, 0x04cb],
    CDAB: [0x04cb, 0x71fb, 0x011f, 0x0000],
    BADC: [0x0000, 0x1f01, 0xfb71, 0xcb04],
    DCBA: [0xcb04, 0xfb71, 0x1f01, 0x0000],
  },
  {
    type: 'int64',
    value: 81985529216486895n, // 0x0123456789ABCDEF: past 2^53, written exactly, read as the nearest double
    read: 81985529216486900,
    ABCD: [0x0123, 0x4567, 0x89ab, 0xcdef],
    CDAB: [0xcdef, 0x89ab, 0x4567, 0x0123],
    BADC: [0x2301, 0x6745, 0xab89, 0xefcd],
    DCBA: [0xefcd, 0xab89, 0x6745, 0x2301],
  },
  { type: 'int64', value: -1, ABCD: [0xffff, 0xffff, 0xffff, 0xffff] },
  { type: 'uint64', value: 18446744073709551615n, read: 2 ** 64, ABCD: [0xffff, 0xffff, 0xffff, 0xffff] },
];

describe('modbus codec: known register images', () => {
  for (const c of CASES) {
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA']) {
      if (!c[order]) continue;
      it(`${c.type} ${order}: ${c.value} <-> ${c[order].map((w) => w.toString(16).padStart(4, '0')).join(' ')}`, () => {
        assert.deepStrictEqual(decodeRegisters(c[order], layout(c.type, order)), c.read ?? c.value);
        assert.deepStrictEqual(encodeRegisters(c.value, layout(c.type, order)), c[order]);
      });
    }
  }

  it('strings: two characters a register, high byte first; NUL padding and trailing spaces dropped', () => {
    const s = layout('string', 'ABCD', { length: 4 });
    assert.strictEqual(decodeRegisters([0x4845, 0x4c49, 0x4f53, 0x2d37], s), 'HELIOS-7');
    assert.strictEqual(decodeRegisters([0x4142, 0x0000, 0x4344, 0x0000], s), 'AB');
    assert.strictEqual(decodeRegisters([0x4142, 0x2020, 0x2020, 0x2020], s), 'AB');
    const swapped = layout('string', 'BADC', { length: 2 });
    assert.strictEqual(decodeRegisters([0x4548, 0x494c], swapped), 'HELI');
    assert.deepStrictEqual(encodeRegisters('HELI', swapped), [0x4548, 0x494c]);
    assert.deepStrictEqual(encodeRegisters('AB', s), [0x4142, 0, 0, 0]);
    assert.throws(() => encodeRegisters('too long for four', s), /longer than 8 characters/);
  });

  it('scale and offset: value = raw x scale + offset, and back for writes', () => {
    assert.strictEqual(decodeRegisters([215], layout('int16', 'ABCD', { scale: 0.1 })), 21.5);
    assert.strictEqual(decodeRegisters([0xff38], layout('int16', 'ABCD', { scale: 0.1 })), -20); // -200
    assert.strictEqual(decodeRegisters([1000], layout('uint16', 'ABCD', { scale: 0.01, offset: -5 })), 5);
    assert.deepStrictEqual(encodeRegisters(21.5, layout('int16', 'ABCD', { scale: 0.1 })), [215]);
    assert.deepStrictEqual(encodeRegisters(5, layout('uint16', 'ABCD', { scale: 0.01, offset: -5 })), [1000]);
  });

  it('bits of a register, and of a coil reply (packed least significant bit first)', () => {
    assert.strictEqual(decodeRegisters([0b100100], layout('bool', 'ABCD', { bit: 2 })), true);
    assert.strictEqual(decodeRegisters([0b100100], layout('bool', 'ABCD', { bit: 3 })), false);
    assert.strictEqual(decodeRegisters([0b100100], layout('bool', 'ABCD', { bit: 5 })), true);
    assert.strictEqual(decodeRegisters([0], layout('bool')), false);
    assert.strictEqual(decodeRegisters([7], layout('bool')), true);
    // Spec 6.1's example: coils 20-38 answered as CD 6B 05: coil 20 on, 21 off, 22 on, 23 on ...
    const bytes = Uint8Array.from([0xcd, 0x6b, 0x05]);
    assert.deepStrictEqual(
      Array.from({ length: 19 }, (_, i) => (bitAt(bytes, i) ? 1 : 0)).join(''),
      '1011001111010110101',
    );
  });

  it('writes refuse what the type cannot hold, with a reason', () => {
    assert.throws(() => encodeRegisters(70000, layout('int16')), /outside int16 \(-32768 to 32767\)/);
    assert.throws(() => encodeRegisters(-1, layout('uint32')), /outside uint32/);
    assert.throws(() => encodeRegisters(1.5, layout('int32')), /not a whole number/);
    assert.throws(() => encodeRegisters('12', layout('float32')), /takes a number/);
    assert.throws(() => encodeRegisters(Number.NaN, layout('int16')), /not a finite number/);
    assert.throws(() => encodeRegisters(true, layout('bool', 'ABCD', { bit: 3 })), /one bit of a register/);
    assert.throws(() => encodeRegisters(2n ** 64n, layout('uint64')), /outside uint64/);
  });

  it('counts registers per type', () => {
    const counts = [
      'bool',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'float32',
      'int64',
      'uint64',
      'float64',
    ].map((t) => registerCount(layout(t)));
    assert.deepStrictEqual(counts, [1, 1, 1, 2, 2, 2, 4, 4, 4]);
    assert.strictEqual(registerCount(layout('string', 'ABCD', { length: 10 })), 10);
    assert.throws(() => decodeRegisters([1], layout('int32')), /int32 takes 2 register\(s\), got 1/);
  });
});

describe('modbus codec: round trips (fast-check)', () => {
  const order = fc.constantFrom('ABCD', 'CDAB', 'BADC', 'DCBA');
  const check = (type, value) =>
    fc.assert(
      fc.property(value, order, (v, o) => {
        const l = layout(type, o);
        const words = encodeRegisters(v, l);
        assert.strictEqual(words.length, registerCount(l));
        for (const w of words) assert.ok(Number.isInteger(w) && w >= 0 && w <= 0xffff);
        const back = decodeRegisters(words, l);
        // 64-bit integers come back as the nearest double (exact up to 2^53).
        const expected = typeof v === 'bigint' ? Number(v) : v;
        if (typeof v === 'number' && Number.isNaN(v)) assert.ok(Number.isNaN(back));
        else assert.ok(Object.is(back, expected), `${type} ${o}: ${v} came back as ${back}`);
      }),
      { numRuns: 500 },
    );
  it('int16', () => check('int16', fc.integer({ min: -32768, max: 32767 })));
  it('uint16', () => check('uint16', fc.integer({ min: 0, max: 65535 })));
  it('int32', () => check('int32', fc.integer()));
  it('uint32', () => check('uint32', fc.integer({ min: 0, max: 0xffffffff })));
  it('float32, with NaN, infinities and -0', () => check('float32', fc.float()));
  it('float64, with NaN, infinities and -0', () => check('float64', fc.double()));
  it('int64 (exact to 2^53, the nearest double past it)', () =>
    check(
      'int64',
      fc
        .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        .map((b) => (b >= -(2n ** 53n) && b <= 2n ** 53n ? Number(b) : b)),
    ));
  it('uint64', () =>
    check(
      'uint64',
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => (b <= 2n ** 53n ? Number(b) : b)),
    ));
});

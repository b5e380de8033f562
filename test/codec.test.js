// Column codecs (engine/codec): round trips (fast-check), codec choice and size targets, committed
// v1 byte fixtures, and corrupt-input handling. The byte layout is specified in engine/codec/FORMAT.md.

const assert = require('node:assert/strict');
const fc = require('fast-check');
const codec = require('../dist/engine/codec/index.js');
const { CorruptionError, InvalidInputError } = require('../dist/engine/errors.js');

const MAX = Number.MAX_SAFE_INTEGER;
const SENTINEL = 123456.789;
const T0 = 1700000000000;

// ---------------------------------------------------------------------------------------------------
// Helpers

/** Same float64 for storage: -0 differs from 0, any NaN equals any NaN (payloads may change). */
function sameFloat(a, b) {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

function assertSameFloats(actual, expected, count, label) {
  for (let i = 0; i < count; i++) {
    if (!sameFloat(actual[i], expected[i])) {
      assert.fail(`${label}: value ${i} decoded as ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** values followed by `extra` junk entries that must not be encoded. */
function withTail(values, extra, Type = Float64Array) {
  const arr = new Type(values.length + extra);
  arr.set(values);
  for (let i = values.length; i < arr.length; i++) arr[i] = Type === Uint8Array ? 1 : 987654321.5;
  return arr;
}

/** Encodes the first values.length entries of a longer array, decodes into a longer array, compares. */
function roundTripNumbers(kind, values, extra = 3) {
  const count = values.length;
  const block = codec[`encode${kind}`](withTail(values, extra), count);
  const out = new Float64Array(count + 2).fill(SENTINEL);
  codec[`decode${kind}`](block, count, out);
  assertSameFloats(out, values, count, `${kind} via ${codec.codecName(block)}`);
  assert.equal(out[count], SENTINEL, 'decode wrote past count');
  assert.equal(out[count + 1], SENTINEL, 'decode wrote past count');
  return block;
}

function roundTripBooleans(values, extra = 3) {
  const count = values.length;
  const block = codec.encodeBooleans(withTail(values, extra, Uint8Array), count);
  const out = new Uint8Array(count + 1).fill(7);
  codec.decodeBooleans(block, count, out);
  for (let i = 0; i < count; i++) assert.equal(out[i], values[i] ? 1 : 0, `boolean ${i}`);
  assert.equal(out[count], 7, 'decode wrote past count');
  return block;
}

function roundTripStrings(values, extra = 2) {
  const count = values.length;
  const block = codec.encodeStrings([...values, ...Array(extra).fill('tail')], count);
  const out = codec.decodeStrings(block, count);
  assert.deepEqual(
    out,
    values.map((s) => s.toWellFormed()),
  );
  return block;
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

/** Deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sensor's random walk quantized to `quantum` (0.01, 0.1), steps of up to `maxSteps` quanta. */
function randomWalk(rnd, n, start, quantum, maxSteps = 2) {
  const scale = Math.round(1 / quantum);
  let q = Math.round(start * scale);
  return Array.from({ length: n }, () => {
    q += Math.round((rnd() * 2 - 1) * maxSteps);
    return q / scale;
  });
}

function jitteredClock(rnd, n, step = 1000, jitter = 5) {
  return Array.from({ length: n }, (_, i) => T0 + i * step + Math.round((rnd() * 2 - 1) * jitter));
}

/** A jittered clock that skips grid points now and then (missing samples) and pauses (a machine idle). */
function gappedClock(
  rnd,
  n,
  { step = 1000, jitter = 10, missing = 0.02, pauseEvery = 900, pauseSteps = 600 } = {},
) {
  const out = [];
  for (let k = 0; out.length < n; k++) {
    if (k % pauseEvery === pauseEvery - 1) k += pauseSteps;
    if (rnd() < missing) continue;
    out.push(T0 + k * step + Math.round((rnd() * 2 - 1) * jitter));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries

const SPECIAL_FLOATS = [
  Number.NaN,
  -0,
  0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308,
  1.7e308,
  -1.7e308,
  Number.MAX_VALUE,
  MAX,
  -MAX,
  2 ** 52 + 0.5,
  1e-300,
  0.1 + 0.2,
];

const specialFloat = fc.constantFrom(...SPECIAL_FLOATS);
const quantized = fc.oneof(
  fc.integer({ min: -1e7, max: 1e7 }).map((n) => n / 100),
  fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 10),
  fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1e6),
);
const anyFloat = fc.oneof(
  { arbitrary: quantized, weight: 6 },
  { arbitrary: fc.double(), weight: 3 },
  { arbitrary: specialFloat, weight: 2 },
);
/** Mostly a quantized walk (so float-decimal with exceptions is exercised), sometimes anything. */
const walkWithSpecials = fc
  .array(
    fc.oneof(
      { arbitrary: fc.integer({ min: -3, max: 3 }), weight: 9 },
      { arbitrary: specialFloat, weight: 1 },
    ),
    {
      maxLength: 600,
    },
  )
  .map((steps) => {
    let q = 2150;
    return steps.map((s) =>
      Number.isInteger(s) && !Object.is(s, -0) && Math.abs(s) <= 3 ? (q += s) / 100 : s,
    );
  });

const safeInt = fc.maxSafeInteger();
const hugeInt = fc.constantFrom(MAX, -MAX, MAX - 1, -MAX + 1, 2 ** 52, -(2 ** 52), 0);
/** Start plus cumulative steps: rising, equal and falling clocks. */
const clock = fc
  .record({
    start: fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
    steps: fc.array(fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constantFrom(0, 1000, -1000)), {
      maxLength: 700,
    }),
  })
  .map(({ start, steps }) => {
    let t = start;
    return [start, ...steps.map((s) => (t += s))];
  });
const gridClock = fc
  .record({
    start: fc.integer({ min: 0, max: 2 ** 45 }),
    step: fc.integer({ min: 1, max: 60000 }),
    jitter: fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 700 }),
  })
  .map(({ start, step, jitter }) => jitter.map((j, i) => start + i * step + j));

/** Grid clocks with skipped points: each sample `skip` grid points after the one before. */
const gappedGridClock = fc
  .record({
    start: fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
    step: fc.integer({ min: 1, max: 60000 }),
    samples: fc.array(
      fc.record({ skip: fc.oneof(fc.constant(1), fc.nat(5000)), jitter: fc.integer({ min: -40, max: 40 }) }),
      {
        maxLength: 700,
      },
    ),
  })
  .map(({ start, step, samples }) => {
    let k = 0;
    return samples.map(({ skip, jitter }) => start + (k += skip) * step + jitter);
  });

// ---------------------------------------------------------------------------------------------------

describe('codec', () => {
  describe('round trips (fast-check)', () => {
    it('floats: any float64, bit-exact (NaN as NaN)', () => {
      fc.assert(
        fc.property(fc.array(anyFloat, { maxLength: 400 }), fc.nat(3), (values, extra) => {
          roundTripNumbers('Floats', values, extra);
        }),
        { numRuns: 300 },
      );
    });

    it('floats: quantized walks with NaN, infinities, -0 and denormals mixed in', () => {
      fc.assert(
        fc.property(walkWithSpecials, (values) => {
          roundTripNumbers('Floats', values);
        }),
        { numRuns: 200 },
      );
    });

    it('floats: runs of repeated values', () => {
      const runs = fc.array(fc.record({ v: anyFloat, n: fc.integer({ min: 1, max: 300 }) }), {
        maxLength: 8,
      });
      fc.assert(
        fc.property(runs, (rs) => {
          roundTripNumbers(
            'Floats',
            rs.flatMap(({ v, n }) => Array(n).fill(v)),
          );
        }),
      );
    });

    it('timestamps: any safe integers, including huge jumps', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(safeInt, hugeInt), { maxLength: 300 }), (values) => {
          roundTripNumbers('Timestamps', values);
        }),
        { numRuns: 300 },
      );
    });

    it('timestamps: rising, equal and decreasing clocks', () => {
      fc.assert(
        fc.property(clock, (values) => {
          roundTripNumbers('Timestamps', values);
        }),
        { numRuns: 300 },
      );
    });

    it('timestamps: jittered grids', () => {
      fc.assert(
        fc.property(gridClock, (values) => {
          roundTripNumbers('Timestamps', values);
        }),
      );
    });

    it('timestamps: grids with skipped points and pauses', () => {
      fc.assert(
        fc.property(gappedGridClock, (values) => {
          roundTripNumbers('Timestamps', values);
        }),
        { numRuns: 300 },
      );
    });

    it('timestamps: ts-grid still writes its own offsets after ts-grid-gaps was priced (regression)', () => {
      // Both plans once shared one scratch array: ts-grid won here and wrote the gapped offsets.
      const block = roundTripNumbers(
        'Timestamps',
        [0, 1, 10, 11, 12, 13, 14, 15, 16, 18].map((t) => T0 + t),
      );
      assert.equal(codec.codecName(block), 'ts-grid');
    });

    it('timestamps and integers: any double still comes back exactly (raw fallback)', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.double(), safeInt), { maxLength: 200 }), (values) => {
          roundTripNumbers('Timestamps', values);
          roundTripNumbers('Integers', values);
        }),
      );
    });

    it('integers: any safe integers, counters and constants', () => {
      const counter = fc
        .record({ start: safeInt, steps: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 600 }) })
        .map(({ start, steps }) => {
          let v = Math.min(start, MAX - 100 * 600);
          return steps.map((s) => (v += s));
        });
      const values = fc.oneof(
        fc.array(fc.oneof(safeInt, hugeInt, fc.integer()), { maxLength: 400 }),
        counter,
        fc.tuple(safeInt, fc.nat(500)).map(([v, n]) => Array(n).fill(v)),
      );
      fc.assert(
        fc.property(values, (vs) => {
          roundTripNumbers('Integers', vs);
        }),
        { numRuns: 300 },
      );
    });

    it('booleans: any pattern, any non-zero byte is true', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.boolean(), fc.constant(true)), { maxLength: 300 }), (bools) => {
          roundTripBooleans(bools.map((b) => (b ? 1 : 0)));
        }),
      );
      roundTripBooleans([0, 5, 255, 0]);
    });

    it('strings: any text, repeated values and unit-like columns', () => {
      const text = fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.constantFrom('mm/s', '°C', 'bar', '', '🌡️'),
      );
      fc.assert(
        fc.property(fc.array(text, { maxLength: 400 }), (values) => {
          roundTripStrings(values);
        }),
      );
      fc.assert(
        fc.property(text, fc.nat(2000), (s, n) => {
          roundTripStrings(Array(n).fill(s));
        }),
      );
    });
  });

  describe('edge cases', () => {
    it('count 0 encodes to the one-byte empty block for every type', () => {
      for (const kind of ['Timestamps', 'Floats', 'Integers']) {
        const block = codec[`encode${kind}`](new Float64Array(4), 0);
        assert.equal(hex(block), '00');
        assert.equal(codec.codecName(block), 'empty');
        codec[`decode${kind}`](block, 0, new Float64Array(0));
      }
      assert.equal(hex(codec.encodeBooleans(new Uint8Array(2), 0)), '00');
      assert.equal(hex(codec.encodeStrings(['a'], 0)), '00');
      assert.deepEqual(codec.decodeStrings(unhex('00'), 0), []);
    });

    it('count 1 of every kind of value', () => {
      for (const v of [...SPECIAL_FLOATS, 21.37, -5, T0]) roundTripNumbers('Floats', [v]);
      for (const v of [0, 1, -1, MAX, -MAX, T0, 2 ** 52]) {
        roundTripNumbers('Timestamps', [v]);
        roundTripNumbers('Integers', [v]);
      }
      roundTripBooleans([1]);
      roundTripStrings(['only']);
    });

    it('frame boundaries: 127, 128, 129, 256, 257 values', () => {
      const rnd = prng(7);
      for (const n of [127, 128, 129, 255, 256, 257, 1000]) {
        roundTripNumbers('Floats', randomWalk(rnd, n, 20, 0.01));
        roundTripNumbers('Timestamps', jitteredClock(rnd, n));
        roundTripNumbers(
          'Integers',
          Array.from({ length: n }, () => Math.floor(rnd() * 2 ** 40)),
        );
        roundTripBooleans(Array.from({ length: n }, () => (rnd() < 0.5 ? 1 : 0)));
        roundTripStrings(Array.from({ length: n }, () => ['a', 'b', 'c'][Math.floor(rnd() * 3)]));
      }
    });

    it('wide frames: ranges of 33 to 53 bits', () => {
      for (const bits of [31, 32, 33, 40, 52, 53]) {
        const values = Array.from(
          { length: 300 },
          (_, i) => (i % 7 === 0 ? 2 ** bits - 1 : i * 3) - 2 ** (bits - 1),
        );
        roundTripNumbers('Integers', values);
        roundTripNumbers('Timestamps', values);
      }
      roundTripNumbers('Integers', [-MAX, MAX]);
      roundTripNumbers('Integers', [MAX, 0, MAX, 0, MAX]);
      roundTripNumbers('Timestamps', [-MAX, MAX, -MAX]);
    });

    it('equal, decreasing and huge timestamp steps', () => {
      roundTripNumbers('Timestamps', [5, 5, 5, 5]);
      roundTripNumbers('Timestamps', [T0, T0 - 1000, T0 - 2000, T0 - 2500]);
      const huge = roundTripNumbers('Timestamps', [-MAX, MAX, 0, MAX]);
      assert.equal(codec.codecName(huge), 'ts-raw');
      roundTripNumbers('Timestamps', [0, 2 ** 52, 0, 2 ** 52, 2 ** 53 - 1]);
    });

    it('NaN payloads decode as NaN', () => {
      const bits = new Float64Array(3);
      new Uint32Array(bits.buffer).set([1, 0x7ff00000, 0, 0xfff80000, 0xdeadbeef, 0x7ffabcde]);
      for (const v of bits) assert.ok(Number.isNaN(v));
      const out = new Float64Array(3);
      codec.decodeFloats(codec.encodeFloats(bits, 3), 3, out);
      assert.ok(out.every(Number.isNaN));
    });

    it('rejects a count beyond the array and an output array that is too short', () => {
      assert.throws(() => codec.encodeFloats(new Float64Array(2), 3), InvalidInputError);
      assert.throws(() => codec.encodeStrings(['a'], -1), InvalidInputError);
      const block = codec.encodeFloats(new Float64Array([1, 2, 3]), 3);
      assert.throws(() => codec.decodeFloats(block, 3, new Float64Array(2)), InvalidInputError);
    });
  });

  describe('codec choice and size', () => {
    const ROWS = 2000;

    function bytesOf(kind, values) {
      return roundTripNumbers(kind, values, 0);
    }

    it('regular timestamps cost a few header bytes in total', () => {
      const block = bytesOf(
        'Timestamps',
        Array.from({ length: ROWS }, (_, i) => T0 + i * 1000),
      );
      assert.equal(codec.codecName(block), 'ts-regular');
      assert.ok(block.length <= 12, `${block.length} bytes`);
    });

    it('random-walk 0.01 temperatures choose float-decimal at a few bits per value', () => {
      const rnd = prng(1);
      for (const [start, quantum] of [
        [21.5, 0.01],
        [1013.2, 0.1],
        [-4.25, 0.01],
      ]) {
        const block = bytesOf('Floats', randomWalk(rnd, ROWS, start, quantum));
        assert.equal(codec.codecName(block), 'float-decimal');
        assert.ok((block.length * 8) / ROWS < 4, `${(block.length * 8) / ROWS} bits per value`);
      }
    });

    it('jittered 1 s clock with a 0.01 walk stays well under 1.5 bytes per row', () => {
      const rnd = prng(2);
      const ts = bytesOf('Timestamps', jitteredClock(rnd, ROWS));
      const values = bytesOf('Floats', randomWalk(rnd, ROWS, 21.5, 0.01));
      const perRow = (ts.length + values.length) / ROWS;
      assert.ok(perRow < 1.2, `${perRow} bytes per row`);
      assert.match(codec.codecName(ts), /^ts-(grid|delta|dod)$/);
    });

    it('a jittered clock with missing samples and pauses keeps its jitter price (ts-grid-gaps)', () => {
      // ±10 ms is 21 offsets, 5 bits; 2% missing samples and pauses cost a few bytes each. Without
      // gaps in the grid the offsets shift at every missing sample and ts-delta won at ~1.3 bytes.
      const block = bytesOf('Timestamps', gappedClock(prng(12), ROWS));
      assert.equal(codec.codecName(block), 'ts-grid-gaps');
      const perRow = block.length / ROWS;
      assert.ok(perRow < 0.8, `${perRow} bytes per row`);
    });

    it('regular clock with a 0.01 walk stays under 0.5 bytes per row', () => {
      const rnd = prng(3);
      const ts = bytesOf(
        'Timestamps',
        Array.from({ length: ROWS }, (_, i) => T0 + i * 1000),
      );
      const values = bytesOf('Floats', randomWalk(rnd, ROWS, 21.5, 0.01, 1));
      const perRow = (ts.length + values.length) / ROWS;
      assert.ok(perRow < 0.5, `${perRow} bytes per row`);
    });

    it('a few NaN and -0 readings become exceptions, not a codec change', () => {
      const values = randomWalk(prng(4), ROWS, 21.5, 0.01);
      values[0] = Number.NaN;
      values[100] = -0;
      values[1999] = Number.POSITIVE_INFINITY;
      values[500] = 21.1234567891234;
      const block = bytesOf('Floats', values);
      assert.equal(codec.codecName(block), 'float-decimal');
      assert.ok(block.length < ROWS * 0.5 + 60, `${block.length} bytes`);
    });

    it('full-precision doubles fall back to float-xor (or raw when XOR cannot win)', () => {
      const smooth = Array.from({ length: ROWS }, (_, i) => 20 + Math.sin(i / 300));
      const block = bytesOf('Floats', smooth);
      assert.equal(codec.codecName(block), 'float-xor');
      assert.ok(block.length < ROWS * 8);
      const rnd = prng(5);
      const noise = bytesOf(
        'Floats',
        Array.from({ length: ROWS }, () => rnd() * 1e6),
      );
      assert.ok(['float-xor', 'float-raw'].includes(codec.codecName(noise)));
      assert.ok(noise.length <= ROWS * 8 + 1);
    });

    it('constant and run-length floats', () => {
      assert.equal(codec.codecName(bytesOf('Floats', Array(ROWS).fill(3.3))), 'float-const');
      const runs = [...Array(500).fill(Math.PI), ...Array(500).fill(Math.E), ...Array(500).fill(Number.NaN)];
      assert.equal(codec.codecName(bytesOf('Floats', runs)), 'float-rle');
    });

    it('integers: counters pack to a few bits, constants to almost nothing', () => {
      const counter = bytesOf(
        'Integers',
        Array.from({ length: ROWS }, (_, i) => 1e9 + i * 17 + (i % 4)),
      );
      assert.match(codec.codecName(counter), /^int-(delta|dod)$/);
      assert.ok(counter.length < ROWS * 0.5, `${counter.length} bytes`);
      assert.ok(bytesOf('Integers', Array(ROWS).fill(42)).length < 40);
    });

    it('booleans: constant columns cost two bytes, others one bit per row', () => {
      assert.equal(hex(roundTripBooleans(Array(ROWS).fill(1))), '3001');
      const block = roundTripBooleans(Array.from({ length: ROWS }, (_, i) => i % 3 === 0));
      assert.equal(codec.codecName(block), 'bool-bitmap');
      assert.equal(block.length, 1 + ROWS / 8);
    });

    it('strings: a unit column is one run, a few tags pack into bits', () => {
      const unit = roundTripStrings(Array(ROWS).fill('mm/s'));
      assert.equal(codec.codecName(unit), 'string-rle');
      assert.ok(unit.length < 12, `${unit.length} bytes`);
      const rnd = prng(6);
      const states = roundTripStrings(
        Array.from({ length: ROWS }, () => ['idle', 'run', 'fault'][Math.floor(rnd() * 3)]),
      );
      assert.equal(codec.codecName(states), 'string-dict');
      assert.ok(states.length < ROWS / 3, `${states.length} bytes`);
    });
  });

  describe('format v1 fixtures', () => {
    // Committed bytes of format version 1. Decoding them must never change. If an encoder improvement
    // legitimately picks other bytes, keep these decode fixtures as they are and add new ones.
    const T = T0;
    const FIXTURES = [
      ['Timestamps', 'ts-regular', [T, T + 1000, T + 2000, T + 3000, T + 4000], '0280a0abfef962a80f'],
      [
        'Timestamps',
        'ts-grid',
        [T, T + 1003, T + 1998, T + 3001, T + 4000, T + 4996, T + 6002, T + 7000, T + 8001, T + 8999],
        '0680a0abfef962a80f8304bc4a981d',
      ],
      [
        'Timestamps',
        'ts-grid-gaps',
        [
          0, 1003, 1998, 4001, 4997, 6002, 7000, 7999, 60002, 60998, 62001, 63003, 64999, 66000, 67002, 67997,
        ].map((t) => T + t),
        '0780a0abfef962a80f03030205340402830373884e0dad150000',
      ],
      [
        'Timestamps',
        'ts-delta',
        [T, T + 10, T + 25, T + 25, T + 20, T + 100, T + 90, T + 300],
        '0480a0abfef962880a14190a055a00dc00',
      ],
      [
        'Timestamps',
        'ts-dod',
        Array.from({ length: 12 }, (_, i) => T + i * i * 500),
        '0580a0abfef962b40740e807',
      ],
      ['Timestamps', 'ts-raw', [0, MAX, -MAX], '010000000000000000ffffffffffff3f43ffffffffffff3fc3'],
      [
        'Floats',
        'float-decimal',
        [21.5, 21.52, 21.49, Number.NaN, -0, 21.51, 21.5, 21.47],
        '130200020300000000000000f87f000000000000008043e310ab240e00',
      ],
      [
        'Floats',
        'float-xor',
        Array.from({ length: 12 }, (_, i) => 20 + Math.sin(i / 10)),
        '1400000000000034404f767971d9d5312fd91b7c2354d57a64a7480864befcb2bd3b92efbe40330cac535ac886ef84015bf28d' +
          '7ac51af71b6734e13c7f553f4d442b71adcbf25749a92eaef8477d23198e4c330000',
      ],
      ['Floats', 'float-const', [7.25, 7.25, 7.25], '110000000000001d40'],
      [
        'Floats',
        'float-rle',
        [...Array(100).fill(Math.PI), ...Array(100).fill(Math.E), ...Array(100).fill(Math.SQRT2)],
        '120364182d4454fb210940646957148b0abf054064cd3b7f669ea0f63f',
      ],
      [
        'Floats',
        'float-raw',
        [Math.PI, Math.E, 1 / 3, Math.PI],
        '10182d4454fb2109406957148b0abf0540555555555555d53f182d4454fb210940',
      ],
      ['Integers', 'int-for', [1, 5, 9, 1000, -3, 4, 4, 4], '218a030420c0c0fa001c70c0010000'],
      [
        'Integers',
        'int-delta',
        Array.from({ length: 12 }, (_, i) => 1e6 + i * 1000 + (i % 3)),
        '2280897a42e607cff33c00',
      ],
      ['Integers', 'int-dod', Array.from({ length: 12 }, (_, i) => i * i * 500), '2300b40740e807'],
      ['Integers', 'int-raw', [1.5, -0], '20000000000000f83f0000000000000080'],
      ['Booleans', 'bool-bitmap', [1, 0, 1, 1, 0, 0, 0, 0, 1], '310d01'],
      ['Booleans', 'bool-const', [1, 1, 1], '3001'],
      [
        'Strings',
        'string-dict',
        ['mm/s', '°C', 'mm/s', 'bar', '°C', 'mm/s', '°C', 'bar'],
        '4103046d6d2f7303c2b043036261720284910000',
      ],
      ['Strings', 'string-rle', ['mm/s', 'mm/s', 'mm/s', '°C'], '4002046d6d2f7303c2b0430200030101'],
    ];

    function input(kind, values) {
      if (kind === 'Strings') return values;
      if (kind === 'Booleans') return Uint8Array.from(values);
      return Float64Array.from(values);
    }

    function decode(kind, bytes, count) {
      if (kind === 'Strings') return codec.decodeStrings(bytes, count);
      const out = kind === 'Booleans' ? new Uint8Array(count) : new Float64Array(count);
      codec[`decode${kind}`](bytes, count, out);
      return out;
    }

    it('the packed-frame example of FORMAT.md', () => {
      const block = codec.encodeIntegers(Float64Array.from([7, 9, 8, 7, 12]), 5);
      assert.equal(hex(block), '21430750500000');
    });

    for (const [kind, name, values, bytes] of FIXTURES) {
      it(`${name}: committed bytes decode to the values`, () => {
        const block = unhex(bytes);
        assert.equal(codec.codecName(block), name);
        const out = decode(kind, block, values.length);
        if (kind === 'Strings') assert.deepEqual(out, values);
        else if (kind === 'Booleans') assert.deepEqual([...out], values);
        else assertSameFloats(out, values, values.length, name);
      });

      it(`${name}: the encoder still produces the committed bytes`, () => {
        assert.equal(hex(codec[`encode${kind}`](input(kind, values), values.length)), bytes);
      });
    }
  });

  describe('corrupt input', () => {
    const rnd = prng(9);
    const SAMPLES = [
      ['Timestamps', Array.from({ length: 300 }, (_, i) => T0 + i * 1000)],
      ['Timestamps', jitteredClock(rnd, 300)],
      ['Timestamps', gappedClock(rnd, 300, { pauseEvery: 100, pauseSteps: 40 })],
      ['Timestamps', Array.from({ length: 300 }, (_, i) => T0 + i * i)],
      ['Timestamps', [0, MAX, -MAX]],
      ['Floats', randomWalk(rnd, 300, 21.5, 0.01).map((v, i) => (i % 50 === 0 ? Number.NaN : v))],
      ['Floats', Array.from({ length: 300 }, (_, i) => Math.sin(i / 30))],
      ['Floats', [...Array(100).fill(Math.PI), ...Array(100).fill(Math.E)]],
      ['Floats', [1.5, 1.5]],
      ['Floats', [Math.PI, Math.E, 1 / 3, Math.PI]],
      ['Integers', Array.from({ length: 300 }, (_, i) => i * 37 + (i % 5) * 2 ** 40)],
      ['Integers', [1.5, 2.5]],
      ['Booleans', Array.from({ length: 300 }, () => (rnd() < 0.5 ? 1 : 0))],
      ['Booleans', [1, 1, 1]],
      ['Strings', Array.from({ length: 300 }, () => ['a', 'bé', 'c'][Math.floor(rnd() * 3)])],
      ['Strings', ['x', 'x', 'y']],
    ];

    function encode(kind, values) {
      if (kind === 'Strings') return codec.encodeStrings(values, values.length);
      if (kind === 'Booleans') return codec.encodeBooleans(Uint8Array.from(values), values.length);
      return codec[`encode${kind}`](Float64Array.from(values), values.length);
    }

    function decode(kind, bytes, count) {
      if (kind === 'Strings') return codec.decodeStrings(bytes, count);
      const out = kind === 'Booleans' ? new Uint8Array(count) : new Float64Array(count);
      codec[`decode${kind}`](bytes, count, out);
      return out;
    }

    it('every truncation of every sample block throws CorruptionError', () => {
      for (const [kind, values] of SAMPLES) {
        const block = encode(kind, values);
        for (let len = 0; len < block.length; len++) {
          assert.throws(
            () => decode(kind, block.subarray(0, len), values.length),
            CorruptionError,
            `${codec.codecName(block)} cut to ${len} of ${block.length} bytes`,
          );
        }
      }
    });

    it('a trailing byte throws', () => {
      for (const [kind, values] of SAMPLES) {
        const block = encode(kind, values);
        const longer = new Uint8Array(block.length + 1);
        longer.set(block);
        assert.throws(() => decode(kind, longer, values.length), CorruptionError, codec.codecName(block));
      }
    });

    it('a block of another column type or an unknown codec id throws', () => {
      const floats = codec.encodeFloats(Float64Array.from([1.25, 2.5, 3]), 3);
      assert.throws(() => codec.decodeTimestamps(floats, 3, new Float64Array(3)), CorruptionError);
      assert.throws(() => codec.decodeIntegers(floats, 3, new Float64Array(3)), CorruptionError);
      assert.throws(() => codec.decodeStrings(floats, 3), CorruptionError);
      assert.throws(() => codec.decodeBooleans(floats, 3, new Uint8Array(3)), CorruptionError);
      assert.throws(() => codec.decodeFloats(unhex('7f00'), 1, new Float64Array(1)), CorruptionError);
      assert.equal(codec.codecName(unhex('7f00')), 'unknown-0x7f');
      assert.equal(codec.codecName(new Uint8Array(0)), 'unknown-empty');
    });

    it('a count different from the encoded one throws for codecs whose size fixes the count', () => {
      // Packed frames round up to whole words, so there a neighbouring count can fit the same bytes;
      // the caller's stored count (under the chunk CRC) is what guards those.
      const exact = ['ts-raw', 'int-raw', 'float-raw', 'float-rle', 'string-rle'];
      let checked = 0;
      for (const [kind, values] of SAMPLES) {
        const block = encode(kind, values);
        const name = codec.codecName(block);
        if (!exact.includes(name)) continue;
        checked++;
        assert.throws(() => decode(kind, block, values.length + 1), CorruptionError, `${name} +1`);
        assert.throws(() => decode(kind, block, values.length - 1), CorruptionError, `${name} -1`);
      }
      assert.equal(checked, 5);
    });

    it('structurally invalid fields throw', () => {
      const f = (hexBlock, count) => () =>
        codec.decodeFloats(unhex(hexBlock), count, new Float64Array(count));
      assert.throws(f('13', 1), CorruptionError); // decimal header missing
      assert.throws(f('130b00000000', 1), /exponent 11/); // exponent above 10
      assert.throws(f('1302030000', 1), /order 3/);
      assert.throws(f('130200020000000000000000000000000000000000000000000000', 1), /2 exceptions/);
      assert.throws(f('13020001050000000000000000000000', 1), /Exception position 5/);
      assert.throws(f('13020000f6', 1), /bit width 54/); // frame width 54
      assert.throws(f('13020000c0', 1), /minimum kind 3/);
      assert.throws(f('120200', 2), /Run of 0/); // rle: a run of 0 values
      assert.throws(f('1201030000000000000000', 2), /Run of 3/);
      assert.throws(f('14000000000000f03f01000000', 2), /XOR/); // reuses a window never set
      assert.throws(f('14000000000000f03f070000', 2), /whole number/);
      const b = (hexBlock, count) => () =>
        codec.decodeBooleans(unhex(hexBlock), count, new Uint8Array(count));
      assert.throws(b('3002', 1), /neither 0 nor 1/);
      assert.throws(b('31ff', 3), /past the last value/);
      const s = (hexBlock, count) => () => codec.decodeStrings(unhex(hexBlock), count);
      assert.throws(s('400101ff0101', 1), /UTF-8/);
      assert.throws(s('4001016101010101', 2), /dictionary/);
      assert.throws(s('410101610101000000', 1), /dictionary/);
      const t = (hexBlock, count) => () =>
        codec.decodeTimestamps(unhex(hexBlock), count, new Float64Array(count));
      assert.throws(t('02ffffffffffffffffff00', 1), /Varint/);
      assert.throws(t('024000', 1), /Negative zero/);
      assert.throws(t('070001020102', 2), /2 gaps in 2 rows/); // ts-grid-gaps: more gaps than rows
      assert.throws(t('0700010201000000', 3), /rows out of order/); // the same gap row twice
      assert.throws(t('02c000', 1), /Non-canonical/);
      assert.throws(t('0001', 0), /trailing/);
      assert.throws(t('00', 1), /Empty block/);
    });

    it('random byte damage throws or decodes, and never hangs or crashes', () => {
      const blocks = SAMPLES.map(([kind, values]) => [kind, values.length, encode(kind, values)]);
      fc.assert(
        fc.property(
          fc.nat(blocks.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          (which, edits) => {
            const [kind, count, block] = blocks[which];
            const damaged = block.slice();
            for (const [at, xor] of edits) damaged[at % damaged.length] ^= xor;
            try {
              const out = decode(kind, damaged, count);
              assert.equal(out.length, count);
            } catch (err) {
              assert.ok(err instanceof Error, `threw ${err}`);
              if (!(err instanceof CorruptionError)) assert.fail(`unexpected ${err.name}: ${err.message}`);
            }
          },
        ),
        { numRuns: 2000 },
      );
    });
  });
});

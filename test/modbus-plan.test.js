// The register map (rows, CSV) and the read planner (nodes/lib/modbus/register-map.ts, planner.ts).
const assert = require('node:assert/strict');
const { readRegisterMap, parseCsv } = require('../dist/nodes/lib/modbus/register-map.js');
const { planReads, oversized } = require('../dist/nodes/lib/modbus/planner.js');

const LIMITS = { maxRegisters: 125, maxBits: 2000, maxGap: 8 };
const ranges = (groups) =>
  groups.map((g) => [g.intervalMs, g.reads.map((r) => `${r.unitId}:${r.table}:${r.address}+${r.count}`)]);

describe('modbus register map', () => {
  it('reads rows with defaults: unit 1, holding, ABCD, scale 1, offset 0, every second', () => {
    const [e] = readRegisterMap([{ name: 'temp', address: 10, type: 'float32' }]);
    assert.deepStrictEqual(e, {
      name: 'temp',
      unitId: 1,
      table: 'holding',
      address: 10,
      type: 'float32',
      order: 'ABCD',
      length: 1,
      bit: null,
      scale: 1,
      offset: 0,
      tags: {},
      intervalMs: 1000,
    });
  });

  it('reads CSV with quoted tags, aliases of tables and types, and durations', () => {
    const rows = parseCsv(
      'Name,Unit,Table,Address,Type,Order,Scale,Tags,Interval\n' +
        'temp,2,input register,0,FLOAT,CDAB,,"line=1;cell=a",500ms\n' +
        'running,2,coils,5,,,,line=1,1m\r\n' +
        '\n' +
        'serial,2,holding,100,string,,,,10s\n',
    );
    assert.strictEqual(rows.length, 3);
    assert.throws(() => readRegisterMap(rows), /row 3 \(serial\): length is missing/);
    rows[2].length = '5';
    const map = readRegisterMap(rows);
    assert.deepStrictEqual(
      map.map((e) => [e.name, e.unitId, e.table, e.type, e.order, e.intervalMs, e.tags]),
      [
        ['temp', 2, 'input', 'float32', 'CDAB', 500, { line: '1', cell: 'a' }],
        ['running', 2, 'coil', 'bool', 'ABCD', 60000, { line: '1' }],
        ['serial', 2, 'holding', 'string', 'ABCD', 10000, {}],
      ],
    );
  });

  it('lists every problem at once, each naming its row and column', () => {
    let err;
    try {
      readRegisterMap([
        { name: 'a', address: 70000 },
        { name: '', address: 1 },
        { name: 'c', address: 2, type: 'float16' },
        { name: 'd', address: 3, order: 'ABDC' },
        { name: 'e', address: 4, interval: 'often' },
        { name: 'a', address: 9 },
        { name: 'f', table: 'coil', address: 1, type: 'float32' },
        { name: 'g', address: 65535, type: 'float32' },
      ]);
    } catch (e) {
      err = e;
    }
    assert.strictEqual(err.code, 'MODBUS_BAD_MAP');
    assert.deepStrictEqual(err.problems, [
      'row 1 (a): address must be a whole number from 0 to 65535, not "70000".',
      'row 2: name is missing (it becomes the field of the value).',
      'row 3 (c): type "float16" is not one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string.',
      'row 4 (d): order "ABDC" is not one of ABCD, CDAB, BADC, DCBA.',
      'row 5 (e): interval "often" is not a duration (write 500ms, 1s, 1m...).',
      'row 7 (f): a coil holds one bit: its type is bool, not "float32".',
      'row 8 (g): address 65535 + 2 registers is past 65535.',
      'row 6 (a): the same name, unit and tags as row 1; give it another name.',
    ]);
    assert.match(err.message, /^The register map has 8 problems: row 1 \(a\)/);
    assert.throws(
      () => parseCsv('name,adress\nx,1'),
      /unknown column\(s\) "adress"; the columns are name, unit/,
    );
    assert.throws(() => readRegisterMap([]), /no rows/);
  });
});

describe('modbus read planner', () => {
  const map = (rows) => readRegisterMap(rows);

  it('merges neighbours into one read and reads over small holes', () => {
    const groups = planReads(
      map([
        { name: 'a', address: 0, type: 'float32' },
        { name: 'b', address: 2, type: 'float32' },
        { name: 'c', address: 10, type: 'uint16' }, // a hole of 6: read over
        { name: 'd', address: 40, type: 'uint16' }, // a hole of 29: a new read
      ]),
      LIMITS,
    );
    assert.deepStrictEqual(ranges(groups), [[1000, ['1:holding:0+11', '1:holding:40+1']]]);
    assert.deepStrictEqual(
      groups[0].reads[0].entries.map((x) => [x.entry.name, x.at]),
      [
        ['a', 0],
        ['b', 2],
        ['c', 10],
      ],
    );
  });

  it("keeps to the device's maximum per request and splits by unit, table and interval", () => {
    const rows = [];
    for (let i = 0; i < 60; i++) rows.push({ name: `r${i}`, address: i * 2, type: 'float32' }); // 120 registers
    rows.push({ name: 'slow', address: 0, interval: '10s' });
    rows.push({ name: 'other', unit: 2, address: 0 });
    rows.push({ name: 'in', table: 'input', address: 0 });
    // Bits: a hole of 8 x 16 = 128 coils is read over; 146 is not.
    rows.push({ name: 'run', table: 'coil', address: 3 }, { name: 'jam', table: 'coil', address: 131 });
    rows.push({ name: 'stop', table: 'coil', address: 278 });
    const groups = planReads(map(rows), { ...LIMITS, maxRegisters: 50 });
    assert.deepStrictEqual(ranges(groups), [
      [
        1000,
        [
          '1:coil:3+129',
          '1:coil:278+1',
          '1:holding:0+50',
          '1:holding:50+50',
          '1:holding:100+20',
          '1:input:0+1',
          '2:holding:0+1',
        ],
      ],
      [10000, ['1:holding:0+1']],
    ]);
  });

  it('never splits a value across two reads, and names what cannot fit in one', () => {
    const entries = map([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 'b', address: 1, type: 'float64' },
      { name: 'label', address: 20, type: 'string', length: 10 },
    ]);
    const groups = planReads(entries, { ...LIMITS, maxRegisters: 4, maxGap: 0 });
    assert.deepStrictEqual(ranges(groups), [[1000, ['1:holding:0+1', '1:holding:1+4', '1:holding:20+10']]]);
    assert.deepStrictEqual(oversized(entries, { ...LIMITS, maxRegisters: 4 }), [
      'label spans 10 registers, more than the 4 the device reads at once.',
    ]);
  });

  it('with maxGap 0, reads only registers in the map', () => {
    const groups = planReads(
      map([
        { name: 'a', address: 0 },
        { name: 'b', address: 1 },
        { name: 'c', address: 3 },
      ]),
      { ...LIMITS, maxGap: 0 },
    );
    assert.deepStrictEqual(ranges(groups), [[1000, ['1:holding:0+2', '1:holding:3+1']]]);
  });

  it('reads two entries at one address (bits of one status word) once', () => {
    const groups = planReads(
      map([
        { name: 'ready', address: 7, type: 'bool', bit: 0 },
        { name: 'fault', address: 7, type: 'bool', bit: 3 },
        { name: 'status', address: 7, type: 'uint16' },
      ]),
      LIMITS,
    );
    assert.deepStrictEqual(ranges(groups), [[1000, ['1:holding:7+1']]]);
    assert.strictEqual(groups[0].reads[0].entries.length, 3);
  });
});

describe('modbus read planner: properties (fast-check)', () => {
  const fc = require('fast-check');
  const { spanOf } = require('../dist/nodes/lib/modbus/register-map.js');
  const row = fc.record({
    unit: fc.integer({ min: 1, max: 3 }),
    table: fc.constantFrom('holding', 'input', 'coil'),
    address: fc.integer({ min: 0, max: 400 }),
    type: fc.constantFrom('uint16', 'int32', 'float32', 'float64', 'string'),
    length: fc.integer({ min: 1, max: 6 }),
    interval: fc.constantFrom('100ms', '1s'),
  });
  const limits = fc.record({
    maxRegisters: fc.integer({ min: 8, max: 125 }),
    maxBits: fc.integer({ min: 8, max: 2000 }),
    maxGap: fc.integer({ min: 0, max: 20 }),
  });

  it('every entry is in exactly one read of its unit, table and interval, within the limits, at its offset', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), limits, (rows, lim) => {
        const entries = readRegisterMap(
          rows.map((r, i) => ({ ...r, name: `e${i}`, type: r.table === 'coil' ? 'bool' : r.type })),
        );
        const groups = planReads(entries, lim);
        const seen = new Map();
        for (const g of groups) {
          for (const read of g.reads) {
            const max = read.table === 'coil' ? Math.min(lim.maxBits, 2000) : Math.min(lim.maxRegisters, 125);
            assert.ok(read.count >= 1 && read.count <= max, `count ${read.count} > ${max}`);
            for (const { entry, at } of read.entries) {
              assert.strictEqual(entry.unitId, read.unitId);
              assert.strictEqual(entry.table, read.table);
              assert.strictEqual(entry.intervalMs, g.intervalMs);
              assert.strictEqual(read.address + at, entry.address);
              assert.ok(at + spanOf(entry) <= read.count, 'the whole value is in the read');
              seen.set(entry, (seen.get(entry) ?? 0) + 1);
            }
          }
        }
        assert.strictEqual(seen.size, entries.length);
        assert.ok([...seen.values()].every((n) => n === 1));
      }),
      { numRuns: 300 },
    );
  });
});

// Sync batch formats v1 and v2 (engine/sync/FORMAT.md): the committed fixtures of each version decode
// to their rows, today's encoder still writes the uncompressed one of each byte for byte, every cut and every flipped byte is
// refused with SyncFormatError, and random batches round-trip through every compressor.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const fc = require('fast-check');
const {
  decodeSyncBatch,
  readSyncBatchMeta,
  encodeSyncAck,
  decodeSyncAck,
  syncCompressions,
  SyncFormatError,
} = require('../dist/engine/index.js');
const { encodeSyncBatch } = require('../dist/engine/sync/batch-format');
const {
  encodeDownDelivery,
  decodeDownDelivery,
  encodeDownAck,
  decodeDownAck,
} = require('../dist/engine/sync/messages');
const { HEADER, tables } = require('./fixtures/sync-v1/generate');

const VERSIONS = [1, 2];
const fixture = (name, version = 1) =>
  new Uint8Array(fs.readFileSync(path.join(__dirname, 'fixtures', `sync-v${version}`, name)));

/** A decoded series as plain data, for deepEqual. */
function plainSeries(s) {
  const fields = {};
  for (const [name, c] of s.fields) {
    fields[name] = {
      type: c.type,
      values: Array.from(c.values).slice(0, s.count),
      present: c.present ? Array.from(c.present) : null,
    };
    if (c.present) fields[name].values = fields[name].values.map((v, i) => (c.present[i] ? v : null));
  }
  return {
    tags: { ...s.tags },
    times: Array.from(s.times),
    rowids: s.rowids ? Array.from(s.rowids) : null,
    deleted: s.deleted ? Array.from(s.deleted) : null,
    fields,
  };
}
const plainTables = (ts) =>
  ts.map((t) => ({ table: t.table, types: [...t.fieldTypes], series: t.series.map(plainSeries) }));

function assertFormatError(fn, what) {
  assert.throws(fn, (err) => err instanceof SyncFormatError && err.code === 'HELIOS_SYNC_FORMAT', what);
}

describe('sync batch format v1 and v2', () => {
  it('decodes the committed fixtures of both versions to their rows, with every compressor', () => {
    for (const v of VERSIONS) {
      for (const c of ['none', 'gzip', 'brotli']) {
        const batch = decodeSyncBatch(fixture(`batch-${c}.hsyb`, v));
        assert.deepEqual({ ...batch.meta }, { ...HEADER, compression: c });
        assert.deepEqual(plainTables(batch.tables), plainTables(tables()));
        assert.ok(Object.is(batch.tables[0].series[0].fields.get('value').values[2], -0), '-0 kept');
      }
      const gap = readSyncBatchMeta(fixture('gap-none.hsyb', v));
      assert.equal(gap.kind, 'gap');
      assert.equal(gap.rows, 17);
      assert.equal(gap.seq, 43);
      assert.deepEqual(decodeSyncBatch(fixture('gap-none.hsyb', v)).tables, []);
    }
    assert.notDeepEqual(
      Buffer.from(fixture('batch-none.hsyb', 1)),
      Buffer.from(fixture('batch-none.hsyb', 2)),
    );
  });

  it("today's encoder writes the uncompressed fixture of each version byte for byte (v2 by default)", async () => {
    assert.deepEqual(
      Buffer.from(await encodeSyncBatch(HEADER, tables(), 'none', undefined, 1)),
      Buffer.from(fixture('batch-none.hsyb', 1)),
    );
    assert.deepEqual(
      Buffer.from(await encodeSyncBatch(HEADER, tables(), 'none')),
      Buffer.from(fixture('batch-none.hsyb', 2)),
    );
  });

  it('refuses the fixtures cut at every byte, and with any byte changed', () => {
    for (const [name, v] of VERSIONS.flatMap((v) => [
      ['batch-none.hsyb', v],
      ['batch-brotli.hsyb', v],
    ])) {
      const bytes = fixture(name, v);
      for (let cut = 0; cut < bytes.length; cut++) {
        assertFormatError(() => readSyncBatchMeta(bytes.subarray(0, cut)), `${name} cut at ${cut}`);
        assertFormatError(() => decodeSyncBatch(bytes.subarray(0, cut)), `${name} cut at ${cut}`);
      }
      for (let at = 0; at < bytes.length; at++) {
        const bad = Uint8Array.from(bytes);
        bad[at] ^= 0x5a;
        assertFormatError(() => decodeSyncBatch(bad), `${name} byte ${at} changed`);
      }
    }
  });

  it('says what is wrong with bytes that are not a batch, and with a newer version', () => {
    assert.throws(() => decodeSyncBatch(Buffer.from('{"not":"a batch"}')), /not a Helios sync batch/);
    const newer = Uint8Array.from(fixture('batch-none.hsyb', 2));
    newer[4] = 3;
    assert.throws(() => readSyncBatchMeta(newer), /version 3.*versions 1 and 2/);
    assert.throws(() => decodeSyncBatch('text'), /must be bytes/);
  });

  it('round-trips random batches through every compressor this runtime has', async () => {
    assert.ok(syncCompressions().includes('brotli') && syncCompressions().includes('gzip'));
    const column = (type, n) => {
      const value = {
        float: fc.oneof(
          fc.double(),
          fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY, 1e-300, 1e300),
        ),
        int: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        bool: fc.integer({ min: 0, max: 1 }),
        string: fc.string({ maxLength: 12 }),
      }[type];
      return fc.record({
        values: fc.array(value, { minLength: n, maxLength: n }),
        present: fc.option(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }), {
          nil: null,
        }),
      });
    };
    const series = fc.integer({ min: 1, max: 40 }).chain((n) =>
      fc
        .record({
          tags: fc.dictionary(fc.constantFrom('a', 'b', 'site'), fc.string({ maxLength: 6 })),
          times: fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { minLength: n, maxLength: n }),
          rowids: fc.option(
            fc.array(fc.oneof(fc.integer({ min: 1, max: 1e9 }), fc.constant(Number.NaN)), {
              minLength: n,
              maxLength: n,
            }),
            { nil: null },
          ),
          deleted: fc.option(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }), {
            nil: null,
          }),
          f: column('float', n),
          i: column('int', n),
          b: column('bool', n),
          s: column('string', n),
        })
        .map((r) => {
          const fields = new Map();
          for (const [name, type] of [
            ['f', 'float'],
            ['i', 'int'],
            ['b', 'bool'],
            ['s', 'string'],
          ]) {
            const values =
              type === 'string'
                ? r[name].values
                : type === 'bool'
                  ? Uint8Array.from(r[name].values)
                  : Float64Array.from(r[name].values);
            fields.set(name, {
              type,
              values,
              present: r[name].present ? Uint8Array.from(r[name].present) : null,
            });
          }
          return {
            tags: r.tags,
            count: n,
            times: Float64Array.from(r.times),
            rowids: r.rowids ? Float64Array.from(r.rowids) : null,
            deleted: r.deleted ? Uint8Array.from(r.deleted) : null,
            fields,
          };
        }),
    );
    const types = new Map([
      ['f', 'float'],
      ['i', 'int'],
      ['b', 'bool'],
      ['s', 'string'],
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(series, { minLength: 0, maxLength: 4 }),
        fc.constantFrom(...syncCompressions()),
        fc.constantFrom(...VERSIONS),
        async (list, c, v) => {
          const ts = list.length ? [{ table: 'x', fieldTypes: types, series: list }] : [];
          const header = {
            ...HEADER,
            rows: list.reduce((n, s) => n + s.count, 0),
            tables: ts.map((t) => t.table),
          };
          const back = decodeSyncBatch(await encodeSyncBatch(header, ts, c, undefined, v));
          assert.equal(back.meta.compression, c);
          assert.deepEqual(plainTables(back.tables), plainTables(ts));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('encodes acks and downlink messages, and refuses them damaged', () => {
    const ack = { device: 'gw-1', epoch: 'e', seq: 9, status: 'gap', expectSeq: 4 };
    assert.deepEqual(decodeSyncAck(encodeSyncAck(ack)), ack);
    const down = {
      device: 'gw-1',
      messages: [
        { id: 1, payload: { set: 2 } },
        { id: 2, payload: 'x' },
      ],
    };
    assert.deepEqual(decodeDownDelivery(encodeDownDelivery(down)), down);
    assert.deepEqual(decodeDownAck(encodeDownAck({ device: 'gw-1', upTo: 2 })), { device: 'gw-1', upTo: 2 });
    const bytes = encodeSyncAck(ack);
    for (let cut = 0; cut < bytes.length; cut++)
      assertFormatError(() => decodeSyncAck(bytes.subarray(0, cut)), `ack cut at ${cut}`);
    assertFormatError(
      () => decodeSyncAck(encodeDownAck({ device: 'gw-1', upTo: 2 })),
      'a down ack is not a batch ack',
    );
    assertFormatError(
      () => decodeSyncAck(encodeSyncAck({ device: 'gw-1', epoch: 'e', seq: 1, status: 'gap' })),
      'gap needs expectSeq',
    );
  });
});

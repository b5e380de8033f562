// WAL payloads of every committed version (test/fixtures/wal-payload/v*.json, each written once by
// its generate.js) must keep decoding to what they decoded to when written: a log left by an older
// version replays after an upgrade. The newest version's bytes are also what today's writer
// produces for the same writes, so a payload change without a new version fails here.
const assert = require('node:assert/strict');
const path = require('node:path');
const { decodeRecord, WalDictionaryReader } = require('../dist/engine/wal/batch');

const VERSIONS = ['v1', 'v2'];
const NEWEST = VERSIONS[VERSIONS.length - 1];
const fixture = (v) => require(path.join(__dirname, 'fixtures', 'wal-payload', `${v}.json`));
const { fixturePayloads, plain } = require('./fixtures/wal-payload/generate');

describe('WAL payload fixtures', () => {
  for (const version of VERSIONS) {
    it(`decodes the ${version} payloads to what they held when written`, () => {
      const records = fixture(version);
      assert.ok(records.length >= 7);
      const reader = new WalDictionaryReader();
      for (const [i, record] of records.entries()) {
        const payload = Buffer.from(record.hex, 'hex');
        assert.equal(payload[0], Number(version.slice(1)), `payload ${i} version byte`);
        assert.deepEqual(plain(decodeRecord(payload, reader)), record.decoded, `payload ${i}`);
      }
    });
  }

  it(`writes the ${NEWEST} payloads byte for byte for the same writes`, async () => {
    const now = await fixturePayloads();
    assert.deepEqual(
      now.map((r) => r.hex),
      fixture(NEWEST).map((r) => r.hex),
    );
  });
});

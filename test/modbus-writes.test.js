// Writes from msg.payload (nodes/lib/modbus/writes.ts): names of the map to requests with the map's
// types, and the sentences for what cannot be written. Checked before anything is sent.
const assert = require('node:assert/strict');
const { readRegisterMap } = require('../dist/nodes/lib/modbus/register-map.js');
const { writeJobs } = require('../dist/nodes/lib/modbus/writes.js');

const MAP = readRegisterMap([
  { name: 'setpoint', unit: 1, address: 10, type: 'float32', order: 'CDAB' },
  { name: 'speed', unit: 1, address: 20, type: 'uint16', scale: 0.01 },
  { name: 'run', unit: 1, table: 'coil', address: 3 },
  { name: 'temp', unit: 1, table: 'input', address: 0, type: 'float32' },
  { name: 'ready', unit: 1, address: 30, type: 'bool', bit: 2 },
  { name: 'mode', unit: 1, address: 40 },
  { name: 'mode', unit: 2, address: 40 },
]);
const hex = (job) => job.request.pdu.toString('hex');

describe('modbus writes from msg.payload', () => {
  it('encodes each name with its type, order and scale: function 16, 6 and 5', () => {
    const jobs = writeJobs(MAP, { setpoint: 12.5, speed: 0.75, run: true }, undefined);
    // 12.5 = 0x41480000; CDAB sends the low word first.
    assert.deepStrictEqual(jobs.map(hex), ['10000a00020400004148', '060014004b', '050003ff00']);
    assert.deepStrictEqual(
      jobs.map((j) => j.unitId),
      [1, 1, 1],
    );
  });

  it('msg.unit picks the unit of a name the map has for several', () => {
    assert.throws(
      () => writeJobs(MAP, { mode: 2 }, undefined),
      /"mode" is in the map for units 1, 2: say which one in msg.unit/,
    );
    const [job] = writeJobs(MAP, { mode: 2 }, 2);
    assert.strictEqual(job.unitId, 2);
    assert.strictEqual(hex(job), '0600280002');
    assert.throws(
      () => writeJobs(MAP, { mode: 2 }, 300),
      /msg.unit must be a unit id from 0 to 255, not "300"/,
    );
  });

  it('refuses, with a sentence, what cannot be written; nothing of the message is written', () => {
    const cases = [
      [{ temp: 1 }, /"temp" is an input register: only coils and holding registers can be written/],
      [{ nope: 1 }, /"nope" is not in the register map: write only names of the map/],
      [{ run: 'yes' }, /"run" is a coil: write true or false, not "yes"/],
      [
        { ready: true },
        /"ready" \(bool\) cannot be written: true is one bit of a register: write the whole register/,
      ],
      [{ speed: 700 }, /"speed" \(uint16\) cannot be written: 700 is outside uint16 \(0 to 65535\)/],
      [{ setpoint: 1, speed: 'fast' }, /"speed" \(uint16\) cannot be written: "fast" takes a number/],
      [[], /send msg.payload as an object of names from the register map/],
      [{}, /send msg.payload as an object/],
    ];
    for (const [payload, message] of cases) assert.throws(() => writeJobs(MAP, payload, undefined), message);
  });
});

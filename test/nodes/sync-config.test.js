// helios-sync's settings (node fields + TOML [sync]), the cron matcher, backoff, conditions and the
// byte budget: pure functions, no network.
const assert = require('node:assert');
const { resolveSyncSettings, SyncConfigError } = require('../../dist/nodes/lib/sync/config.js');
const { parseCron } = require('../../dist/nodes/lib/sync/cron.js');
const { Backoff } = require('../../dist/nodes/lib/sync/backoff.js');
const { SyncConditions } = require('../../dist/nodes/lib/sync/conditions.js');
const { ByteBudget } = require('../../dist/nodes/lib/sync/byte-budget.js');
const { interpretToml, parseTomlText } = require('../../dist/nodes/lib/toml-config.js');

const node = (extra = {}) => ({ id: 'n1', ...extra });
const throwsSentence = (fn, re) =>
  assert.throws(fn, (err) => {
    assert.ok(err instanceof SyncConfigError, `not a SyncConfigError: ${err}`);
    assert.match(err.message, re);
    assert.match(err.message, /\.$/);
    return true;
  });

describe('helios-sync settings', () => {
  it('reads the seed configuration keys from the TOML [sync] table, which win over the node', () => {
    const toml = parseTomlText(
      [
        '[sync]',
        'enable_remote_sync = true',
        'sync_endpoint = "mqtt://hub.local:1883"',
        'sync_interval_secs = 30',
        'batch_size = 1000',
        'backfill_batch_size = 20000',
        'compression = "gzip"',
        'compression_level = 6',
        'retry_max_attempts = 5',
        'retry_backoff_secs = 120',
        'sync_conditions = ["parked", "wifi_available"]',
        'sync_schedule = "0 2,14 * * *"',
        'role = "edge"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the TOML syntax under test
        'device_id = "${DEV:-truck-7}"',
        'tables = ["sensor_*", "alarms"]',
        'max_bytes_per_sec = 20000',
        'sync_start = "now"',
        'max_log_bytes = 200000000',
      ].join('\n'),
      'helios.toml',
    );
    const sync = interpretToml(toml, 'helios.toml', {}).sync;
    const s = resolveSyncSettings(node({ endpoint: 'http://other:1', batchSize: '50' }), {}, sync);
    assert.strictEqual(s.enabled, true);
    assert.strictEqual(s.protocol, 'mqtt');
    assert.strictEqual(s.endpoint, 'mqtt://hub.local:1883');
    assert.strictEqual(s.intervalSecs, 30);
    assert.strictEqual(s.batchSize, 1000);
    assert.strictEqual(s.backfillBatchSize, 20000);
    assert.strictEqual(s.compression, 'gzip');
    assert.strictEqual(s.compressionLevel, 6);
    assert.strictEqual(s.retryMaxAttempts, 5);
    assert.strictEqual(s.retryBackoffSecs, 120);
    assert.deepStrictEqual(s.conditions, ['parked', 'wifi_available']);
    assert.strictEqual(s.schedule.text, '0 2,14 * * *');
    assert.strictEqual(s.deviceId, 'truck-7');
    assert.deepStrictEqual(s.tables, ['sensor_*', 'alarms']);
    assert.strictEqual(s.maxBytesPerSec, 20000);
    assert.strictEqual(s.start, 'now');
    assert.strictEqual(s.maxLogBytes, 200000000);
  });

  it('takes the node fields and credentials when there is no TOML, device id from the host name', () => {
    const s = resolveSyncSettings(
      node({ endpoint: 'mqtts://broker:8883', tables: 'a, b*', conditions: 'parked' }),
      { username: 'edge', password: 'secret' },
      {},
      undefined,
      'pi 4.local',
    );
    assert.strictEqual(s.deviceId, 'pi-4.local');
    assert.deepStrictEqual(s.tables, ['a', 'b*']);
    assert.deepStrictEqual(s.conditions, ['parked']);
    assert.strictEqual(s.password, 'secret');
    assert.strictEqual(s.protocol, 'mqtts');
    assert.strictEqual(s.intervalSecs, 10);
    assert.strictEqual(s.mqttVersion, 5);
  });

  it('an HTTP hub needs only a listen port; https needs its certificate', () => {
    const s = resolveSyncSettings(node(), {}, { role: 'hub', listen_port: 8787 });
    assert.strictEqual(s.protocol, 'http');
    assert.strictEqual(s.listen.port, 8787);
    assert.strictEqual(s.listen.path, '/helios/sync');
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { role: 'hub', sync_endpoint: 'https://0.0.0.0:8443/x' }),
      /cert_file and key_file/,
    );
  });

  it('refuses bad settings with sentences that name the key', () => {
    throwsSentence(() => resolveSyncSettings(node(), {}, {}), /has no endpoint/);
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'ftp://x' }),
      /\[sync\] sync_endpoint .*ftp:/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'hub:1883' }),
      /not a URL|uses hub:/,
    );
    throwsSentence(
      () => resolveSyncSettings(node({ endpoint: 'mqtt://u:pw@b:1883' }), {}, {}),
      /password in it.*credentials/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', sync_interval_secs: 'often' }),
      /\[sync\] sync_interval_secs must be a number/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', role: 'relay' }),
      /\[sync\] role must be "edge", "hub"/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', sync_schedule: '0 25 * * *' }),
      /\[sync\] sync_schedule: .*25 in its hour field/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', device_id: 'a/b' }),
      /not a device id/,
    );
    throwsSentence(
      () => resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', compression: 'lz4' }),
      /compression must be "zstd"/,
    );
  });

  it('warns about unknown [sync] keys and still works', () => {
    const warnings = [];
    resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', flavour: 1 }, (w) => warnings.push(w));
    assert.deepStrictEqual(warnings, ['Unknown key [sync] flavour is ignored.']);
  });

  it('enable_remote_sync = false turns it off', () => {
    assert.strictEqual(
      resolveSyncSettings(node(), {}, { sync_endpoint: 'mqtt://b', enable_remote_sync: false }).enabled,
      false,
    );
  });
});

describe('cron matcher', () => {
  const at = (s) => new Date(s).getTime();
  it('finds the next matching minute', () => {
    const c = parseCron('0 2,14 * * *');
    assert.strictEqual(
      new Date(c.next(at('2026-03-01T03:00:00'))).toString(),
      new Date('2026-03-01T14:00:00').toString(),
    );
    assert.strictEqual(c.next(at('2026-03-01T14:00:00')), at('2026-03-02T02:00:00'));
    assert.ok(c.matches(new Date('2026-03-01T02:00:30')));
    assert.ok(!c.matches(new Date('2026-03-01T02:01:00')));
  });
  it('steps, ranges, lists and weekdays (7 is Sunday; both day fields: either matches)', () => {
    assert.strictEqual(parseCron('*/15 * * * *').next(at('2026-03-01T10:07:00')), at('2026-03-01T10:15:00'));
    assert.strictEqual(
      parseCron('30 9-17/4 * * *').next(at('2026-03-01T14:00:00')),
      at('2026-03-01T17:30:00'),
    );
    // 2026-03-01 is a Sunday
    assert.strictEqual(parseCron('0 0 * * 7').next(at('2026-03-01T01:00:00')), at('2026-03-08T00:00:00'));
    assert.strictEqual(parseCron('0 0 15 * 1').next(at('2026-03-01T01:00:00')), at('2026-03-02T00:00:00'));
    assert.strictEqual(parseCron('0 0 29 2 *').next(at('2026-03-01T00:00:00')), at('2028-02-29T00:00:00'));
  });
  it('agrees with a minute-by-minute scan over a month for assorted expressions', () => {
    for (const expr of ['5 */3 * * 1-5', '0,30 8 1,15 * *', '*/7 22-23 * 3 0', '59 23 31 * *']) {
      const c = parseCron(expr);
      let t = at('2026-03-01T00:00:00');
      for (let k = 0; k < 5; k++) {
        const got = c.next(t);
        let want = t - (t % 60000) + 60000;
        while (!c.matches(new Date(want))) want += 60000;
        assert.strictEqual(got, want, `${expr} after ${new Date(t)}`);
        t = got;
      }
    }
  });
  it('refuses bad expressions with a sentence', () => {
    assert.throws(() => parseCron('0 2 * *'), /has 4 field\(s\); a cron schedule has five/);
    assert.throws(() => parseCron('60 * * * *'), /60 in its minute field; it must be 0 to 59/);
    assert.throws(() => parseCron('5-1 * * * *'), /range 5-1 backwards/);
    assert.throws(() => parseCron('a * * * *'), /"a" in its minute field/);
  });
});

describe('backoff, conditions, byte budget', () => {
  it('backoff grows exponentially up to the cap, jittered, and resets on success', () => {
    const b = new Backoff(500, 8000, () => 0.999);
    const waits = [1, 2, 3, 4, 5, 6, 7].map(() => b.fail());
    assert.deepStrictEqual(waits, [499, 999, 1998, 3996, 7992, 7992, 7992]);
    assert.strictEqual(b.failures, 7);
    b.succeed();
    assert.strictEqual(b.failures, 0);
    const low = new Backoff(500, 8000, () => 0);
    assert.strictEqual(low.fail(), 250);
  });
  it('conditions hold only when every one was set true', () => {
    const c = new SyncConditions(['parked', 'wifi_available']);
    assert.strictEqual(c.hold(), false);
    c.set('parked', true);
    c.set('wifi_available', 'true');
    assert.strictEqual(c.hold(), true);
    c.set('wifi_available', false);
    assert.deepStrictEqual(c.waitingFor(), ['wifi_available']);
    assert.throws(() => c.set('parked', 'maybe'), /needs a payload of true or false; got "maybe"/);
    assert.strictEqual(new SyncConditions([]).hold(), true);
  });
  it('the byte budget holds the average rate', () => {
    let now = 0;
    const b = new ByteBudget(1000, () => now);
    assert.strictEqual(b.delayFor(1000), 0);
    assert.strictEqual(b.delayFor(500), 500);
    now = 500;
    assert.strictEqual(b.delayFor(2000), 2000);
    assert.strictEqual(new ByteBudget(0).delayFor(1e9), 0);
  });
});

describe('helios-sync status lines', () => {
  const { edgeStatus, hubStatus } = require('../../dist/nodes/lib/sync/sync-status.js');
  const view = (v = {}) => ({
    connected: true,
    sending: false,
    waitingFor: [],
    backlogRows: 0,
    rowsPerSec: 0,
    lastAckAt: null,
    lastError: null,
    quarantined: 0,
    lostRows: 0,
    failures: 0,
    ...v,
  });
  it('edge: connecting, waiting for, sending with rate and ETA, synced, retrying', () => {
    assert.deepStrictEqual(edgeStatus(view({ connected: false, backlogRows: 12345 }), 10), {
      fill: 'yellow',
      shape: 'ring',
      text: 'connecting · 12.3k waiting',
    });
    assert.strictEqual(
      edgeStatus(view({ waitingFor: ['parked'], backlogRows: 300 }), 10).text,
      'waiting for parked · 300 waiting',
    );
    assert.strictEqual(
      edgeStatus(view({ sending: true, backlogRows: 12000, rowsPerSec: 450 }), 10).text,
      'sending · 12.0k waiting · 450 rows/s · ETA 27s',
    );
    const at = new Date(2026, 2, 1, 14, 3, 7).getTime();
    assert.strictEqual(
      edgeStatus(view({ lastAckAt: at, quarantined: 2 }), 10).text,
      'synced 14:03:07 · 2 set aside',
    );
    const failing = edgeStatus(
      view({ failures: 10, lastError: 'No MQTT broker answers at mqtt://x:1883.' }),
      10,
    );
    assert.strictEqual(failing.fill, 'red');
    assert.match(failing.text, /^retrying: No MQTT broker/);
    assert.strictEqual(edgeStatus(view({ connected: false }), 10).text, 'connecting');
  });
  it('hub: connecting, devices and rate', () => {
    assert.strictEqual(
      hubStatus({ connected: false, devices: 0, rowsPerSec: 0, lastBatchAt: null, lastError: null }).fill,
      'yellow',
    );
    assert.strictEqual(
      hubStatus({ connected: true, devices: 12, rowsPerSec: 3100, lastBatchAt: null, lastError: null }).text,
      'hub · 12 devices · 3100 rows/s',
    );
  });
});

describe('helios-sync send scheduler', () => {
  const { SendScheduler } = require('../../dist/nodes/lib/sync/scheduler.js');
  it('kicks every interval, names the next cron slot, and stops', async () => {
    let kicks = 0;
    const s = new SendScheduler(
      0.1,
      parseCron('0 2,14 * * *'),
      () => kicks++,
      () => new Date('2026-03-01T03:00:00').getTime(),
    );
    s.start();
    await new Promise((r) => setTimeout(r, 550));
    s.stop();
    const seen = kicks;
    await new Promise((r) => setTimeout(r, 250));
    assert.ok(seen >= 3 && seen <= 6, `kicks in 550 ms at 100 ms: ${seen}`);
    assert.strictEqual(kicks, seen, 'no kick after stop');
    assert.strictEqual(s.nextSlot(), new Date('2026-03-01T14:00:00').getTime());
    assert.strictEqual(new SendScheduler(0, null, () => {}).nextSlot(), null);
  });
});

// Child process: one hub instance of a group, over MQTT with a shared subscription.
//   node sync-group-hub-child.js <db dir> <broker url> <share group> <name>
// Prints "ready" once subscribed, and "applied <epoch> <seq> <rows>" (written synchronously) for
// each batch it applied, before its answer is published. The test SIGKILLs it.
const fs = require('node:fs');
const engine = require('../../dist/engine');
const { resolveSyncSettings } = require('../../dist/nodes/lib/sync/config.js');
const { hubLink } = require('../../dist/nodes/lib/sync/links.js');
const { HubSync } = require('../../dist/nodes/lib/sync/hub-sync.js');
const { readTls } = require('../../dist/nodes/lib/sync/tls.js');

async function main() {
  const [dir, url, group, name] = process.argv.slice(2);
  const settings = resolveSyncSettings(
    { id: name },
    {},
    { role: 'hub', sync_endpoint: url, share_group: group },
  );
  const db = await engine.open(dir);
  const hub = await db.openSyncHub({ group: true });
  const link = hubLink(settings, await readTls(settings.tls));
  const sync = new HubSync(hub, link, engine, {
    applied: (ack, tables) => {
      const rows = tables.reduce((n, t) => n + t.rows, 0);
      fs.writeSync(1, `applied ${ack.epoch} ${ack.seq} ${rows}\n`);
    },
    error: (err) => fs.writeSync(2, `${err.message}\n`),
    changed() {},
  });
  let ready = false;
  link.start(sync, {
    state: (up) => {
      if (up && !ready) {
        ready = true;
        fs.writeSync(1, 'ready\n');
      }
    },
  });
}

main().catch((err) => {
  fs.writeSync(2, `${err.stack}\n`);
  process.exit(1);
});

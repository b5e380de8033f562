import * as os from 'node:os';
import * as path from 'node:path';
import { attachDatabase, installAdmin } from './lib/admin/attach';
import { DatabaseController } from './lib/db-controller';
import { defaultPolicies, startDefaultPolicies } from './lib/default-policies';
import { upgradeConfig } from './lib/migrate';
import { type HeliosDbConfig, type HeliosDbNode, resolveOpenSettings } from './lib/node-config';
import type { Node, NodeAPI } from './lib/red';

/** Stop waiting for the engine before Node-RED's own 15 s close timeout. */
const CLOSE_BUDGET_MS = 12_000;

export = function register(RED: NodeAPI): void {
  installAdmin(RED);
  function HeliosDb(this: HeliosDbNode, raw: HeliosDbConfig): void {
    RED.nodes.createNode(this, raw);
    const config = upgradeConfig('helios-db', raw);
    const userDir = RED.settings.userDir ?? path.join(os.homedir(), '.node-red');
    this.toml = null;
    let stopPolicies = () => {};
    let admin: ReturnType<typeof attachDatabase> | null = null;
    this.controller = new DatabaseController(
      () =>
        resolveOpenSettings(config, userDir, (toml) => {
          this.toml = toml;
          for (const w of toml.warnings) this.warn(`${config.configFile}: ${w}`);
          const monitoringWarning = admin?.tomlRead(toml);
          if (monitoringWarning) this.warn(`${config.configFile}: ${monitoringWarning}`);
          stopPolicies();
          stopPolicies = startDefaultPolicies(this.controller, defaultPolicies(toml.policies), (m) =>
            this.warn(m),
          );
        }),
      { warn: (m) => this.warn(m), error: (m) => this.error(m) },
    );
    admin = attachDatabase(RED, this.id, config.name || config.dir || this.id, this.controller);
    this.register = (user) => this.controller.register(user);
    this.deregister = (user) => this.controller.deregister(user);

    this.on('close', (_removed: boolean, done: () => void) => {
      stopPolicies();
      admin?.detach();
      const late = () =>
        this.warn(`Still closing after ${CLOSE_BUDGET_MS / 1000} s; the close finishes in the background.`);
      this.controller.closeWithin(CLOSE_BUDGET_MS, late).then(() => done());
    });
  }
  RED.nodes.registerType('helios-db', HeliosDb as unknown as (this: Node, config: never) => void);
};

import { upgradeConfig } from './lib/migrate';
import {
  type DeviceSettings,
  deviceSettings,
  ModbusDevice,
  type ModbusDeviceConfig,
  type ModbusDeviceNode,
} from './lib/modbus/device';
import type { LinkState } from './lib/modbus/link';
import type { Node, NodeAPI } from './lib/red';
import { RepeatLimiter } from './lib/repeat-limit';

/** Link trouble is logged as a warning, the same sentence once every 10 minutes at most. */
function linkLogger(node: Node, settings: DeviceSettings): (state: LinkState) => void {
  const repeats = new RepeatLimiter(600_000);
  let troubled = false;
  return (state) => {
    if (state.kind === 'disconnected') {
      troubled = true;
      const text = repeats.admit(`Modbus device ${settings.label}: ${state.error}. It reconnects by itself.`);
      if (text) node.warn(text);
    } else if (state.kind === 'connected' && troubled) {
      troubled = false;
      repeats.reset();
      node.log(`Modbus device ${settings.label}: connected again.`);
    }
  };
}

export = function register(RED: NodeAPI): void {
  function HeliosModbusDevice(this: ModbusDeviceNode, raw: ModbusDeviceConfig): void {
    RED.nodes.createNode(this, raw);
    this.device = null;
    this.problem = null;
    let settings: DeviceSettings;
    try {
      settings = deviceSettings(upgradeConfig('helios-modbus-device', raw));
    } catch (err) {
      this.problem = (err as Error).message;
      this.error(this.problem);
      return;
    }
    const device = new ModbusDevice(settings, linkLogger(this, settings));
    this.device = device;
    this.on('close', (_removed: boolean, done: () => void) => {
      device.close().then(() => done());
    });
  }
  RED.nodes.registerType(
    'helios-modbus-device',
    HeliosModbusDevice as unknown as (this: Node, config: never) => void,
  );
};

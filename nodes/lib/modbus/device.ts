import { positiveNumber } from '../positive-number';
import type { Node } from '../red';
import { Bus } from './bus';
import type { Link, LinkState, SerialSettings } from './link';
import { DEFAULT_TIMING, type LinkTiming } from './link-base';
import { MAX_READ_REGISTERS } from './pdu';
import type { PlanLimits } from './planner';
import { TcpLink } from './tcp-link';

/** The helios-modbus-device node's saved configuration (editor fields arrive as text). */
export interface ModbusDeviceConfig {
  id: string;
  name?: string;
  transport?: 'tcp' | 'rtu';
  host?: string;
  port?: number | string;
  serialPort?: string;
  baudRate?: number | string;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: number | string;
  stopBits?: number | string;
  /** reply timeout, ms */
  timeoutMs?: number | string;
  pauseAfterConnectMs?: number | string;
  betweenMs?: number | string;
  maxRegisters?: number | string;
  maxGap?: number | string;
  closeAfterPoll?: boolean;
  /** TCP: requests on the wire at once, each to another unit (1-16) */
  inFlight?: number | string;
  version?: number;
}

export interface DeviceSettings {
  /** for messages and the `device` tag: the node's name, else host:port or the serial port */
  label: string;
  tcp: { host: string; port: number } | null;
  serial: SerialSettings | null;
  timing: LinkTiming;
  betweenMs: number;
  closeAfterPoll: boolean;
  limits: PlanLimits;
  /** requests on the wire at once, each to another unit (always 1 for RTU) */
  inFlight: number;
}

/** Requests a bus holds at most: polls add one per read at most, so only writes can reach this. */
const MAX_QUEUED = 256;
const MAX_IN_FLIGHT = 16;

const nonNegative = (v: unknown, fallback: number) => {
  if (v === 0 || v === '0') return 0;
  return positiveNumber(v) ?? fallback;
};

/** The editor's fields checked into settings; throws an Error with a sentence for a field that is wrong. */
export function deviceSettings(config: ModbusDeviceConfig): DeviceSettings {
  const timing: LinkTiming = {
    ...DEFAULT_TIMING,
    timeoutMs: positiveNumber(config.timeoutMs) ?? DEFAULT_TIMING.timeoutMs,
    pauseAfterConnectMs: nonNegative(config.pauseAfterConnectMs, 0),
  };
  const maxRegisters = Math.floor(positiveNumber(config.maxRegisters) ?? MAX_READ_REGISTERS);
  if (maxRegisters > MAX_READ_REGISTERS) {
    throw new Error(`Registers per request is ${maxRegisters}; Modbus allows at most ${MAX_READ_REGISTERS}.`);
  }
  const limits: PlanLimits = {
    maxRegisters,
    maxBits: 2000,
    maxGap: Math.floor(nonNegative(config.maxGap, 8)),
  };
  const inFlight = Math.floor(positiveNumber(config.inFlight) ?? 1);
  if (inFlight > MAX_IN_FLIGHT) {
    throw new Error(`Requests at once is ${inFlight}; ${MAX_IN_FLIGHT} at most (one per unit id in use).`);
  }
  const common = {
    timing,
    betweenMs: nonNegative(config.betweenMs, 0),
    closeAfterPoll: config.closeAfterPoll === true,
    limits,
  };
  if (config.transport === 'rtu') {
    const path = (config.serialPort ?? '').trim();
    if (!path) throw new Error('The Modbus RTU device has no serial port: give one, e.g. /dev/ttyUSB0.');
    const serial: SerialSettings = {
      path,
      baudRate: positiveNumber(config.baudRate) ?? 9600,
      parity: config.parity === 'even' || config.parity === 'odd' ? config.parity : 'none',
      dataBits: Number(config.dataBits) === 7 ? 7 : 8,
      stopBits: Number(config.stopBits) === 2 ? 2 : 1,
    };
    return { label: config.name || path, tcp: null, serial, ...common, inFlight: 1 };
  }
  const host = (config.host ?? '').trim();
  if (!host) throw new Error('The Modbus TCP device has no host: give its address, e.g. 192.168.1.10.');
  const port = Number(config.port ?? 502);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`The Modbus TCP port must be a whole number from 1 to 65535, not "${config.port}".`);
  }
  return { label: config.name || `${host}:${port}`, tcp: { host, port }, serial: null, ...common, inFlight };
}

/** A node that polls or writes through a device: told when the connection's state changes. */
export interface DeviceUser {
  readonly id: string;
  linkStateChanged(state: LinkState): void;
}

/**
 * The one connection and bus of a helios-modbus-device config node, shared by every helios-modbus
 * node that names it (the config node owns it, like core MQTT's broker node). The connection opens
 * when the first user registers and closes with the config node.
 */
export class ModbusDevice {
  readonly bus: Bus;
  private readonly users = new Map<string, DeviceUser>();

  constructor(
    readonly settings: DeviceSettings,
    private readonly onLinkState: (state: LinkState) => void,
  ) {
    const link = makeLink(settings);
    this.bus = new Bus(link, {
      timeoutMs: settings.timing.timeoutMs,
      betweenMs: settings.betweenMs,
      closeWhenIdle: settings.closeAfterPoll,
      maxQueued: MAX_QUEUED,
      inFlight: settings.inFlight,
    });
    link.onState = (state) => {
      this.onLinkState(state);
      for (const user of this.users.values()) user.linkStateChanged(state);
    };
  }

  get link(): Link {
    return this.bus.link;
  }

  register(user: DeviceUser): void {
    this.users.set(user.id, user);
    user.linkStateChanged(this.link.state);
    if (!this.settings.closeAfterPoll) this.link.open();
  }

  deregister(user: DeviceUser): void {
    this.users.delete(user.id);
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

function makeLink(settings: DeviceSettings): Link {
  if (settings.tcp) return new TcpLink(settings.tcp.host, settings.tcp.port, settings.timing);
  // Loaded only for RTU: it brings the serial port's native binding.
  const { RtuLink } = require('./rtu-link') as typeof import('./rtu-link');
  return new RtuLink(settings.serial!, settings.timing);
}

/** A helios-modbus-device node as helios-modbus nodes see it through RED.nodes.getNode. */
export interface ModbusDeviceNode extends Node {
  /** the shared connection; null when the configuration is wrong (then `problem` says why) */
  device: ModbusDevice | null;
  problem: string | null;
}

import * as path from 'node:path';
import { crc16 } from './crc16';
import { type SerialSettings, TimeoutError } from './link';
import { LinkBase, type LinkTiming } from './link-base';
import { ModbusReplyError } from './pdu';

/** The part of serialport's SerialPort the link uses. */
interface Port {
  open(cb: (err: Error | null) => void): void;
  write(data: Buffer): void;
  close(cb?: (err: Error | null) => void): void;
  on(event: 'data', fn: (chunk: Buffer) => void): void;
  on(event: 'close' | 'error', fn: (err?: Error) => void): void;
  removeAllListeners(): void;
  readonly isOpen: boolean;
}

/** serialport, as modbus-serial (a dependency of this package) brings it. */
function serialPortClass(): new (options: object) => Port {
  const base = path.dirname(require.resolve('modbus-serial/package.json'));
  const file = require.resolve('serialport', { paths: [base] });
  return (require(file) as { SerialPort: new (options: object) => Port }).SerialPort;
}

interface Pending {
  unitId: number;
  resolve(pdu: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The silent interval between frames: 3.5 characters of 11 bits, and 1.75 ms above 19200 baud (spec 2.5.1.1). */
export function frameGapMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : (3.5 * 11 * 1000) / baudRate;
}

/** The length of the reply frame that starts with `bytes`, or 0 while that is not known yet. */
export function replyLength(bytes: Buffer): number {
  if (bytes.length < 2) return 0;
  const fc = bytes[1]!;
  if (fc & 0x80) return 5;
  if (fc >= 1 && fc <= 4) return bytes.length < 3 ? 0 : 5 + bytes[2]!;
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 8;
  return -1;
}

/**
 * Modbus RTU over a serial line: one request at a time, the 3.5-character silence kept before each
 * frame, every reply checked by CRC and unit id. RTU has no transaction id: bytes that arrive
 * while no request waits, or from another unit, are dropped and counted as late replies.
 */
export class RtuLink extends LinkBase {
  private port: Port | null = null;
  private inbox: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private lastTraffic = 0;
  private readonly gapMs: number;

  constructor(
    private readonly serial: SerialSettings,
    timing: LinkTiming,
  ) {
    // A serial line does not go stale the way a TCP socket does: silence is a dead unit, not a dead
    // line (an unplugged adapter closes the port, which the link sees).
    super({ ...timing, silentTimeouts: Number.POSITIVE_INFINITY });
    this.gapMs = frameGapMs(serial.baudRate);
  }

  protected dial(): Promise<void> {
    return new Promise((resolve, reject) => {
      let SerialPort: new (options: object) => Port;
      try {
        SerialPort = serialPortClass();
      } catch (err) {
        reject(new Error(`the serial port library could not be loaded (${(err as Error).message})`));
        return;
      }
      const { path: file, baudRate, parity, dataBits, stopBits } = this.serial;
      const port = new SerialPort({ path: file, baudRate, parity, dataBits, stopBits, autoOpen: false });
      this.port = port;
      this.inbox = Buffer.alloc(0);
      port.on('data', (chunk) => {
        if (port === this.port) this.received(chunk);
      });
      port.on('error', (err) => {
        if (port === this.port) this.lost(`${file}: ${err?.message ?? 'error'}`);
      });
      port.on('close', () => {
        if (port === this.port) this.lost(`${file} was closed (unplugged?)`);
      });
      port.open((err) => {
        if (err) reject(new Error(`${file} cannot be opened: ${err.message}`));
        else resolve();
      });
    });
  }

  protected hangUp(error: Error): void {
    const port = this.port;
    this.port = null;
    if (port) {
      port.removeAllListeners();
      port.on('error', () => {});
      if (port.isOpen) port.close();
    }
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }

  protected async send(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer> {
    // A timer may fire up to a millisecond early (libuv measures from the loop's cached time): check again.
    const quietUntil = () => this.lastTraffic + this.gapMs - performance.now();
    for (let wait = quietUntil(); wait > 0; wait = quietUntil()) {
      await new Promise((r) => setTimeout(r, Math.ceil(wait)));
    }
    const port = this.port;
    if (!port) throw new ModbusReplyError('The serial port closed before the request was sent.');
    const frame = Buffer.alloc(pdu.length + 3);
    frame[0] = unitId;
    pdu.copy(frame, 1);
    frame.writeUInt16LE(crc16(frame.subarray(0, frame.length - 2)), frame.length - 2);
    this.inbox = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.lastTraffic = performance.now();
        reject(new TimeoutError(unitId, timeoutMs));
      }, timeoutMs);
      this.pending = { unitId, resolve, reject, timer };
      port.write(frame);
    });
  }

  private received(chunk: Buffer): void {
    this.heard();
    this.lastTraffic = performance.now();
    if (!this.pending) {
      this.counters.lateReplies++;
      return;
    }
    this.inbox = Buffer.concat([this.inbox, chunk]);
    const length = replyLength(this.inbox);
    if (length === 0 || this.inbox.length < length) return;
    const p = this.pending;
    const frame = this.inbox.subarray(0, Math.max(length, 0));
    this.inbox = Buffer.alloc(0);
    if (length < 0 || crc16(frame.subarray(0, length - 2)) !== frame.readUInt16LE(length - 2)) {
      this.counters.protocolErrors++;
      this.finish(p).reject(
        new ModbusReplyError(`The reply from unit ${p.unitId} failed its CRC check: dropped.`),
      );
      return;
    }
    if (frame[0] !== p.unitId) {
      this.counters.lateReplies++;
      return;
    }
    this.finish(p).resolve(Buffer.from(frame.subarray(1, length - 2)));
  }

  private finish(p: Pending): Pending {
    clearTimeout(p.timer);
    this.pending = null;
    return p;
  }
}

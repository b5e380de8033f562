import * as net from 'node:net';
import { TimeoutError } from './link';
import { LinkBase, type LinkTiming } from './link-base';

/** MBAP header (transaction id, protocol id, length) plus the unit id. */
const HEADER = 7;
/** The longest MBAP length a reply may declare: unit id + a 253-byte PDU. */
const MAX_LENGTH = 254;

interface Pending {
  unitId: number;
  resolve(pdu: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Modbus TCP. Every request carries a transaction id; a reply is matched by that id (and its unit
 * id) alone, so a reply that arrives after its request timed out finds no request and is dropped
 * and counted, never taken as the answer to a later request.
 */
export class TcpLink extends LinkBase {
  private socket: net.Socket | null = null;
  private inbox: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly host: string,
    private readonly port: number,
    timing: LinkTiming,
  ) {
    super(timing);
  }

  protected dial(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.socket = socket;
      this.inbox = Buffer.alloc(0);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 5000);
      const where = `${this.host}:${this.port}`;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer from ${where} within ${this.timing.timeoutMs} ms`));
      }, this.timing.timeoutMs);
      let up = false;
      socket.once('connect', () => {
        clearTimeout(timer);
        up = true;
        resolve();
      });
      socket.on('data', (chunk) => {
        if (socket === this.socket) this.received(chunk);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const reason = connectError(err, where);
        if (up && socket === this.socket) this.lost(reason);
        else reject(new Error(reason));
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (up && socket === this.socket) this.lost(`${where} closed the connection`);
        else reject(new Error(`${where} closed the connection`));
      });
    });
  }

  protected hangUp(error: Error): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
  }

  protected send(unitId: number, pdu: Buffer, timeoutMs: number): Promise<Buffer> {
    const id = this.transactionId();
    const frame = Buffer.alloc(HEADER + pdu.length);
    frame.writeUInt16BE(id, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(pdu.length + 1, 4);
    frame[6] = unitId;
    pdu.copy(frame, HEADER);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(unitId, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { unitId, resolve, reject, timer });
      this.socket!.write(frame);
    });
  }

  /** The next transaction id not in use (1-65535; 0 is left out, some gateways treat it specially). */
  private transactionId(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id % 0xffff) + 1;
    this.nextId = (id % 0xffff) + 1;
    return id;
  }

  /** Bytes in: cut them into MBAP frames and hand each to its request. */
  private received(chunk: Buffer): void {
    this.heard();
    this.inbox = this.inbox.length === 0 ? chunk : Buffer.concat([this.inbox, chunk]);
    while (this.inbox.length >= HEADER) {
      const length = this.inbox.readUInt16BE(4);
      if (length < 2 || length > MAX_LENGTH || this.inbox.readUInt16BE(2) !== 0) {
        // No way to find the next frame in a stream that lost its framing: start again.
        this.counters.protocolErrors++;
        this.lost('the device sent bytes that are not Modbus TCP');
        return;
      }
      if (this.inbox.length < 6 + length) return;
      const frame = this.inbox.subarray(0, 6 + length);
      this.inbox = this.inbox.subarray(6 + length);
      this.deliver(frame.readUInt16BE(0), frame[6]!, frame.subarray(HEADER));
    }
  }

  private deliver(id: number, unitId: number, pdu: Buffer): void {
    const p = this.pending.get(id);
    if (!p || p.unitId !== unitId) {
      this.counters.lateReplies++;
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(Buffer.from(pdu));
  }
}

/** A socket error as a sentence a user can act on. */
function connectError(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection (is the device on, and the port right?)`;
    case 'ECONNRESET':
      return `${where} reset the connection`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable (network or cable)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name of ${where} is not known`;
    default:
      return `${where}: ${err.message}`;
  }
}

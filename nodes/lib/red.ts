/**
 * The small part of Node-RED's runtime API the nodes use, typed here so the nodes compile without
 * Node-RED's own typings (the package does not depend on Node-RED at run time).
 */

export interface NodeMessage {
  _msgid?: string;
  topic?: unknown;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null> | null) => void;
export type DoneFunction = (err?: Error) => void;

/** A node instance, after RED.nodes.createNode(this, config). */
export interface Node {
  readonly id: string;
  readonly type: string;
  name?: string;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown, sourceMsg?: NodeMessage): void;
  send(msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>): void;
}

/** The object Node-RED passes to a node module's exported function. */
export interface NodeAPI {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, factory: (this: Node, config: never) => void, options?: object): void;
    getNode(id: string): unknown;
  };
  settings: { userDir?: string; [key: string]: unknown };
  /** Message catalog lookup: RED._('helios-store.status.stored'). */
  _(key: string, substitutions?: Record<string, unknown>): string;
}

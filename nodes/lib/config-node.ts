import type { HeliosDbNode } from './node-config';
import type { Node, NodeAPI } from './red';
import { status } from './status';

/**
 * The helios-db config node that user node `node` (of type `type`) names in `dbId`, as
 * `RED.nodes.getNode` hands it out. When there is none (never picked, or deleted), the node shows
 * "no database" and fails every message through `done(err)` so a Catch node sees it; the caller
 * then wires nothing else and returns.
 */
export function configNodeOf(
  RED: NodeAPI,
  node: Node,
  dbId: string | undefined,
  type: string,
): HeliosDbNode | null {
  const dbNode = dbId ? (RED.nodes.getNode(dbId) as HeliosDbNode | null) : null;
  if (dbNode) return dbNode;
  node.status(status.failed('no database'));
  node.on('input', (_msg, _send, done) => {
    done(new Error(`${type} has no helios-db database configured: pick one in the node.`));
  });
  return null;
}

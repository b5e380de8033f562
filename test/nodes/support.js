// Shared set-up for the node tests: node-red-node-test-helper with the built nodes, temp folders,
// and small promise helpers.
const helper = require('node-red-node-test-helper');
const { tempDir } = require('../helpers');

// HELIOS_NODE_RED_DIR: another Node-RED install to test against (the Node-RED 5 CI line).
helper.init(require.resolve(process.env.HELIOS_NODE_RED_DIR ?? 'node-red'));

const dbNode = require('../../dist/nodes/helios-db.js');
const storeNode = require('../../dist/nodes/helios-store.js');
const queryNode = require('../../dist/nodes/helios-query.js');
const allNodes = [dbNode, storeNode, queryNode];

/** A flow of: helios-db (id db) on `dir`, plus the given nodes (each gets z: 'f1'). */
function flowWith(dir, nodes, dbExtra = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'n-db',
      type: 'helios-db',
      name: 'test db',
      dir,
      durability: 'batch',
      batchIntervalMs: 20,
      ...dbExtra,
    },
    ...nodes.map((n) => ({ z: 'f1', ...n })),
  ];
}

/** Resolves with the next message the helper node `id` receives. */
function nextMessage(id) {
  return new Promise((resolve) => helper.getNode(id).once('input', resolve));
}

/** Collects `count` messages from helper node `id`. */
function messages(id, count) {
  const got = [];
  return new Promise((resolve) => {
    const node = helper.getNode(id);
    const onInput = (msg) => {
      got.push(msg);
      if (got.length === count) {
        node.removeListener('input', onInput);
        resolve(got);
      }
    };
    node.on('input', onInput);
  });
}

/** Resolves with the error the node `id` reports through done(err) next (what a Catch node sees). */
function nextError(id) {
  const node = helper.getNode(id);
  return new Promise((resolve) => {
    node.on('call:error', (call) => resolve(call));
  });
}

/** The open database of the helios-db node `id` (waits for it to open). */
function openDb(id = 'n-db') {
  return helper.getNode(id).controller.use(async (db) => db);
}

/** The database controller of the helios-db node `id`. */
function controller(id = 'n-db') {
  return helper.getNode(id).controller;
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  helper,
  allNodes,
  flowWith,
  nextMessage,
  messages,
  nextError,
  controller,
  openDb,
  tempDir,
  tick,
};

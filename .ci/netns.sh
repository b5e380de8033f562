#!/usr/bin/env bash
# The degraded-link sync test (test/faults/sync-link.netns.js): the edge in its own network
# namespace behind a veth pair shaped with tc, the link cut mid-transfer. It needs `ip netns`,
# `ip link` and `tc` as this user (root in CI). Where a namespace cannot be made here, it says so
# and runs nothing (exit 0, no "passing" line for .ci/run to count). Prints mocha's "N passing" /
# "M failing" lines, which .ci/run adds to its summary.
set -uo pipefail
cd "$(dirname "$0")/.."

probe="helios-probe-$$"
if ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1 || ! ip netns add "$probe" 2>/dev/null; then
  echo "degraded-link test: skipped, this machine does not let $(id -un) create a network namespace (ip netns add)"
  exit 0
fi
ip netns del "$probe"
npx mocha --no-config --timeout 240000 test/faults/sync-link.netns.js

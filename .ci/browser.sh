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

#!/bin/sh
# Run the visualizer's JavaScript tests: "unit" (node --test), "browser"
# (run.mjs: against mock endpoints), "served" (served.mjs: against the page
# the demo host serves), "replayed" (replayed.mjs: against peerscope-replay)
# or "hubbed" (hubbed.mjs: fleet mode against peerscope-hub and 20 demos).
# Exit 77 (skipped) when what they need is not installed or built.
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "1..0 # SKIP $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -d "$here/node_modules/playwright-core" ] || skip "tests/browser/node_modules missing (run npm ci in tests/browser/)"
case "$1" in
  unit) exec node --test --test-reporter=tap "$here/unit/" ;;
  browser|served|replayed|hubbed)
    [ -x "${PSC_CHROMIUM:-/usr/bin/chromium}" ] || skip "/usr/bin/chromium missing (apt-get install chromium)"
    if [ "$1" = browser ]; then exec node "$here/run.mjs"; fi
    if [ "$1" = replayed ]; then exec node "$here/replayed.mjs"; fi
    if [ "$1" = hubbed ]; then exec node "$here/hubbed.mjs"; fi
    exec node "$here/served.mjs" ;;
  *) echo "usage: run.sh unit|browser|served|replayed|hubbed" >&2; exit 2 ;;
esac

#!/bin/sh
# Run the visualizer's JavaScript tests: "unit" (node --test), "browser"
# (run.mjs: against mock endpoints) or "served" (served.mjs: against the page
# the demo host serves). Exit 77 (skipped) when what they need is not installed.
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "1..0 # SKIP $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -d "$here/node_modules/playwright-core" ] || skip "tests/browser/node_modules missing (run npm ci in tests/browser/)"
case "$1" in
  unit) exec node --test --test-reporter=tap "$here/unit/" ;;
  browser|served)
    [ -x "${PSC_CHROMIUM:-/usr/bin/chromium}" ] || skip "/usr/bin/chromium missing (apt-get install chromium)"
    if [ "$1" = browser ]; then exec node "$here/run.mjs"; fi
    exec node "$here/served.mjs" ;;
  *) echo "usage: run.sh unit|browser|served" >&2; exit 2 ;;
esac

# Shared by the tool test scripts (bash): TAP output, a scratch directory,
# and tool-host processes that are stopped on exit. Sourced, not run.
#
# Every process a script starts is recorded by its pid and ended by that
# pid only.

set -u

TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/psc-tools-test.XXXXXX")
STARTED_PIDS=()

lib_cleanup() {
    local p
    for p in "${STARTED_PIDS[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    rm -rf "$TMP"
}
trap lib_cleanup EXIT

ok() {
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $1"
}

not_ok() {
    TAP_N=$((TAP_N + 1))
    TAP_FAILED=1
    echo "not ok $TAP_N - $1"
    shift
    local l
    for l in "$@"; do
        printf '%s\n' "$l" | sed 's/^/#   /'
    done
}

skip_test() {
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}

# expect_status DESCRIPTION WANT GOT [details...]
expect_status() {
    if [ "$3" -eq "$2" ]; then ok "$1"; else not_ok "$1" "exit status $3, expected $2" "${@:4}"; fi
}

finish() {
    echo "1..$TAP_N"
    exit $TAP_FAILED
}

# Number of lines of a file.
lines() {
    wc -l <"$1" | tr -d ' '
}

# Every line of a file is one JSON value, checked by a real parser (node if
# present, else jq). Prints the first bad line on failure.
all_json_lines() {
    if command -v node >/dev/null 2>&1; then
        node -e '
            const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
            if (lines[lines.length - 1] === "") lines.pop();
            for (let i = 0; i < lines.length; i++) {
                try { const v = JSON.parse(lines[i]); if (typeof v !== "object" || v === null) throw new Error("not an object"); }
                catch (e) { console.log("line " + (i + 1) + ": " + e.message); process.exit(1); }
            }' "$1"
    else
        jq -e -c 'type == "object"' "$1" >/dev/null
    fi
}

# start_host NAME [tool-host args...]: sets HOST_URL and HOST_PID.
start_host() {
    local name=$1
    shift
    local out="$TMP/host-$name.out"
    "$PSC_TOOL_HOST" "$@" >"$out" 2>"$out.err" &
    HOST_PID=$!
    STARTED_PIDS+=("$HOST_PID")
    HOST_URL=""
    local i
    for i in $(seq 1 100); do
        HOST_URL=$(grep -m1 '^ws://' "$out" 2>/dev/null || true)
        [ -n "$HOST_URL" ] && return 0
        kill -0 "$HOST_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "# tool-host $name did not start: $(cat "$out.err" 2>/dev/null)"
    return 1
}

# start_demo [NAME [ARGS...]]: the demo host ($PSC_DEMO) on a free port
# for 30 s, with ARGS, its output in $TMP/NAME.out (default "demo"); sets
# DEMO_URL, DEMO_PEER and DEMO_PID. Fails when it is not built or does
# not start.
start_demo() {
    [ -x "${PSC_DEMO:-}" ] || return 1
    local name=${1:-demo}
    if [ $# -gt 0 ]; then shift; fi
    "$PSC_DEMO" --port 0 --duration 30 --quiet "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    DEMO_PID=$!
    STARTED_PIDS+=("$DEMO_PID")
    DEMO_URL=""
    local i
    for i in $(seq 1 100); do
        DEMO_URL=$(grep -o 'ws://[^ ]*' "$TMP/$name.out" 2>/dev/null | head -1)
        [ -n "$DEMO_URL" ] && break
        kill -0 "$DEMO_PID" 2>/dev/null || break
        sleep 0.1
    done
    DEMO_PEER=$(sed -n 's/.*local peer id: *//p' "$TMP/$name.out")
    [ -n "$DEMO_URL" ] && [ -n "$DEMO_PEER" ]
}

# start_mock NAME ARGS...: the browser tests' mock endpoint
# ($PSC_ALERT_ENDPOINT, a real WebSocket speaking the 2020 session
# protocol) with ARGS. Sets MOCK_URL (its /introspect) and MOCK_PID; fails
# with MOCK_SKIP set when node or the npm packages of tests/browser are
# not installed.
start_mock() {
    local name=$1
    shift
    MOCK_SKIP=""
    if ! command -v node >/dev/null 2>&1; then
        MOCK_SKIP="node is not installed"
        return 1
    fi
    if [ ! -d "$(dirname "${PSC_ALERT_ENDPOINT:-.}")/node_modules/ws" ]; then
        MOCK_SKIP="tests/browser/node_modules missing (npm ci in tests/browser)"
        return 1
    fi
    node "$PSC_ALERT_ENDPOINT" --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    MOCK_PID=$!
    STARTED_PIDS+=("$MOCK_PID")
    MOCK_URL=""
    local i base
    for i in $(seq 1 100); do
        base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$TMP/$name.out" 2>/dev/null | head -1)
        if [ -n "$base" ]; then
            MOCK_URL="ws://${base#http://}/introspect"
            return 0
        fi
        kill -0 "$MOCK_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "# the $name did not start: $(cat "$TMP/$name.err" 2>/dev/null)"
    return 1
}

# start_alert_host: a host with analyzers, for what peerscope-top shows of
# alerts and durations: the mock endpoint with --alerts, whose states
# carry alerts and milestones. Sets ALERT_URL, ALERT_PID and ALERT_SKIP
# (see start_mock).
start_alert_host() {
    start_mock alert-host --conns 12 --alerts
    local st=$?
    ALERT_URL=$MOCK_URL ALERT_PID=$MOCK_PID ALERT_SKIP=$MOCK_SKIP
    return $st
}

# start_fleet_host: the mock endpoint standing in for peerscope-hub's fleet
# socket (--fleet 20: Fleet tables of 20 nodes, node-20 down, and each node
# re-served at /node/NAME/introspect). Sets FLEET_URL, FLEET_PID and
# FLEET_SKIP (see start_mock).
start_fleet_host() {
    start_mock fleet-host --fleet 20
    local st=$?
    FLEET_URL=$MOCK_URL FLEET_PID=$MOCK_PID FLEET_SKIP=$MOCK_SKIP
    return $st
}

# stop_pid PID [SIGNAL]: end one process we started and wait for it.
stop_pid() {
    kill "-${2:-TERM}" "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# wait_lines FILE N: wait (up to 10 s) until FILE has at least N lines.
wait_lines() {
    local i
    for i in $(seq 1 100); do
        [ -f "$1" ] && [ "$(lines "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# The port of a ws://127.0.0.1:PORT/... URL.
url_port() {
    local hp=${1#ws://127.0.0.1:}
    echo "${hp%%/*}"
}

# Sets CLOSED_URL to a URL on 127.0.0.1 where nothing listens: the port a
# host had and gave up. (Not for $(...): lib functions keep state.)
closed_port_url() {
    start_host closed || return 1
    CLOSED_URL=$HOST_URL
    stop_pid "$HOST_PID"
}

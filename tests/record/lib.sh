# Shared by the peerscope-record test scripts (bash), on top of the tools'
# lib.sh (TAP output, $TMP, processes ended by their pid on exit).
# Sourced, not run.
#
# Nothing here sleeps for a fixed time to let something happen: every wait
# polls for a condition, with a generous bound.

# shellcheck source=../tools/lib.sh
. "$PSC_TOOLS_TESTLIB"

# a test stopped by a signal (a timeout) still runs its EXIT trap: every process it started is ended
trap 'exit 143' TERM INT HUP

RECORD=$PSC_RECORD
DUMP=$PSC_DUMP
CHECK=("$PSC_PYTHON" "$PSC_RECORD_CHECK")

need_tools() {
    local missing=()
    [ -x "${PSC_DEMO:-}" ] || missing+=("peerscope-demo (not built)")
    [ -n "${PSC_PYTHON:-}" ] || missing+=(python3)
    command -v sqlite3 >/dev/null 2>&1 || missing+=("the sqlite3 shell")
    command -v jq >/dev/null 2>&1 || missing+=(jq)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "1..0 # SKIP missing: ${missing[*]}"
        exit 0
    fi
}

# wait_for SECONDS COMMAND...: poll (every 0.1 s) until COMMAND succeeds; false after SECONDS.
wait_for() {
    local limit=$(($1 * 10)) i
    shift
    for ((i = 0; i < limit; i++)); do
        "$@" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# sql DB QUERY: one query through the sqlite3 shell (list mode, no header).
sql() {
    sqlite3 -batch -noheader "$1" "$2"
}

# sql_ge DB QUERY N: the query's single number is at least N.
sql_ge() {
    local v
    v=$(sql "$1" "$2") || return 1
    [ -n "$v" ] && [ "$v" -ge "$3" ]
}

# size_ge FILE BYTES: FILE exists and holds at least BYTES.
size_ge() {
    [ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]
}

# start_demo_as NAME [peerscope-demo flags...]: sets DEMO_URL, DEMO_PEER, DEMO_PID.
start_demo_as() {
    local name=$1
    shift
    local out="$TMP/demo-$name.out"
    "$PSC_DEMO" --quiet "$@" >"$out" 2>"$out.err" &
    DEMO_PID=$!
    STARTED_PIDS+=("$DEMO_PID")
    DEMO_URL=""
    if ! wait_for 30 grep -q 'websocket:.*ws://' "$out"; then
        echo "# peerscope-demo $name did not start: $(cat "$out.err")"
        return 1
    fi
    DEMO_URL=$(grep -o 'ws://[^ ]*' "$out" | head -1)
    DEMO_PEER=$(sed -n 's/.*local peer id: *//p' "$out")
    [ -n "$DEMO_URL" ] && [ -n "$DEMO_PEER" ]
}

# start_record NAME [peerscope-record args...]: in the background; sets REC_PID.
start_record() {
    local name=$1
    shift
    "$RECORD" "$@" >"$TMP/rec-$name.out" 2>"$TMP/rec-$name.err" &
    REC_PID=$!
    STARTED_PIDS+=("$REC_PID")
}

# stop_record [SIGNAL]: end the recorder of start_record; REC_STATUS is its exit status.
stop_record() {
    kill "-${1:-TERM}" "$REC_PID" 2>/dev/null
    wait "$REC_PID"
    REC_STATUS=$?
}

# check_py DESCRIPTION ARGS...: run check_record.py; its '#' lines go to the TAP output.
check_py() {
    local desc=$1 out
    shift
    out=$("${CHECK[@]}" "$@" 2>&1)
    local st=$?
    printf '%s\n' "$out" | grep '^#' || true
    if [ $st -eq 0 ]; then ok "$desc"; else not_ok "$desc" "$(printf '%s\n' "$out" | grep -v '^#' | head -20)"; fi
}

# Shared by the peerscope-replay test scripts (bash), on top of the tools'
# lib.sh (TAP output, $TMP, processes ended by their pid on exit).
# Sourced, not run. Every wait polls for a condition, with a bound.

# shellcheck source=../tools/lib.sh
. "$PSC_TOOLS_TESTLIB"

# a test stopped by a signal (a timeout) still runs its EXIT trap: every process it started is ended
trap 'exit 143' TERM INT HUP

REPLAY=$PSC_REPLAY
DUMP=$PSC_DUMP
PROBE=$PSC_REPLAY_PROBE
DATA=$PSC_SOURCE_ROOT/tests/data/observer-toolkit

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

# start_replay NAME [peerscope-replay args...]: in the background on a free
# port (--port 0 unless given); sets REP_URL, REP_PORT and REP_PID. False
# when it exits or prints no URL within 30 s.
start_replay() {
    local name=$1
    shift
    local out="$TMP/replay-$name.out"
    "$REPLAY" --port 0 "$@" >"$out" 2>"$out.err" &
    REP_PID=$!
    STARTED_PIDS+=("$REP_PID")
    REP_URL=""
    if ! wait_for 30 grep -q '^ws://' "$out"; then
        echo "# peerscope-replay $name did not start: $(head -5 "$out.err")"
        return 1
    fi
    REP_URL=$(grep -m1 '^ws://' "$out")
    REP_PORT=$(printf '%s\n' "$REP_URL" | sed 's|^ws://[^:]*:\([0-9]*\)/.*|\1|')
    [ -n "$REP_URL" ]
}

# stop_replay: SIGTERM to the replay of start_replay; REP_STATUS is its exit status.
stop_replay() {
    kill -TERM "$REP_PID" 2>/dev/null
    wait "$REP_PID"
    REP_STATUS=$?
}

# file_messages FILE OUT: peerscope-dump --file of a recording, states and
# events only, with the version every live message carries (1).
file_messages() {
    "$DUMP" --file "$1" 2>/dev/null | grep -v '^{"version":{[^}]*},"\(runtime\|response\|notice\)"' |
        sed 's/^{"version":{"version":0}/{"version":{"version":1}/; s/^{"version":{}/{"version":{"version":1}/' >"$2"
}

# live_messages URL N OUT [dump args...]: a 2020-style session of N messages
# (runtime, states, events); OUT gets the states and events. Bounded: 120 s.
live_messages() {
    local url=$1 n=$2 out=$3
    shift 3
    timeout 120 "$DUMP" --runtime --follow-states --follow-events --count "$n" "$@" "$url" >"$out.all" 2>"$out.err"
    local st=$?
    grep -v '^{"version":{[^}]*},"runtime"' "$out.all" >"$out"
    return $st
}

# same_per_kind A B: the states of A are those of B, in the same order, and
# so are the events. (How the two kinds interleave depends on when the
# client's PUSH_ENABLEs arrive, one message each; the unit tests check
# the recorded interleaving with an injected clock.)
same_per_kind() {
    local k
    for k in state event; do
        cmp -s <(grep "^{\"version\":{[^}]*},\"$k\"" "$1") <(grep "^{\"version\":{[^}]*},\"$k\"" "$2") || return 1
    done
    [ "$(lines "$1")" = "$(lines "$2")" ]
}

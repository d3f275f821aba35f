#!/bin/bash
# peerscope-replay serving a peerscope-record SQLite store: a real
# peerscope-demo recorded with peerscope-record (full states and deltas,
# and the --raw file of the same session), replayed and compared with the
# database and the file; at_ts; a store of two nodes (--node); a store
# from a newer schema and a database of another program.
# shellcheck source=lib.sh
. "$PSC_REPLAY_TESTLIB"

missing=()
[ -x "${PSC_DEMO:-}" ] || missing+=("peerscope-demo (not built)")
[ -x "${PSC_RECORD:-}" ] || missing+=("peerscope-record (not built)")
for dep in jq sqlite3; do command -v "$dep" >/dev/null 2>&1 || missing+=("$dep"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "1..0 # SKIP missing: ${missing[*]}"
    exit 0
fi

sql() { sqlite3 -batch -noheader "$1" "$2"; }
sql_ge() { local v; v=$(sql "$1" "$2") || return 1; [ -n "$v" ] && [ "$v" -ge "$3" ]; }

# start_demo NAME [args]: sets DEMO_URL, DEMO_PEER, DEMO_PID
start_demo() {
    local name=$1
    shift
    "$PSC_DEMO" --quiet "$@" >"$TMP/demo-$name.out" 2>"$TMP/demo-$name.err" &
    DEMO_PID=$!
    STARTED_PIDS+=("$DEMO_PID")
    wait_for 30 grep -q 'websocket:.*ws://' "$TMP/demo-$name.out" || return 1
    DEMO_URL=$(grep -o 'ws://[^ ]*' "$TMP/demo-$name.out" | head -1)
    DEMO_PEER=$(sed -n 's/.*local peer id: *//p' "$TMP/demo-$name.out")
    [ -n "$DEMO_URL" ] && [ -n "$DEMO_PEER" ]
}

DB=$TMP/one.db
RAW=$TMP/one.rec
if ! start_demo a --port 0 --seed 3 --event-rate 40 --churn 120; then
    not_ok "peerscope-demo starts"
    finish
fi
PEER_A=$DEMO_PEER
URL_A=$DEMO_URL
"$PSC_RECORD" --db "$DB" --raw "$RAW" --interval 500 --full-every 4 "$URL_A" >"$TMP/rec.out" 2>"$TMP/rec.err" &
REC=$!
STARTED_PIDS+=("$REC")
check "peerscope-record stores 12 states and 100 events of the demo (bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT min((SELECT count(*) FROM states) / 12, (SELECT count(*) FROM events) / 100)" 1
stop_pid "$REC"
check "the store holds full states and deltas" test "$(sql "$DB" "SELECT count(DISTINCT kind) FROM states")" = 2

STATES=$(sql "$DB" "SELECT count(*) FROM states")
EVENTS=$(sql "$DB" "SELECT count(*) FROM events")
if start_replay db --speed max "$DB"; then
    "$PROBE" "$REP_URL" runtime >"$TMP/rt.out" 2>&1
    check "Runtime.recording: the node, $STATES states and $EVENTS events" \
        grep -q "^recording start=[0-9]* end=[0-9]* speed=0 loop=0 states=$STATES events=$EVENTS node=$PEER_A\$" "$TMP/rt.out"
    live_messages "$REP_URL" $((STATES + EVENTS + 1)) "$TMP/db.live"
    expect_status "peerscope-dump receives every state and event of the store" 0 $? "$(head -3 "$TMP/db.live.err")"
    jq -r 'select(.runtime) | .runtime.peer_id' "$TMP/db.live.all" >"$TMP/db.peer"
    check "the runtime is the node's" test "$(cat "$TMP/db.peer")" = "$PEER_A"
    check "states in the store's order (by seq), each whole (no delta field)" \
        test "$(jq -r 'select(.state) | "\(.state.seq) \(.state.delta != null)"' "$TMP/db.live" | tr '\n' ' ')" = \
        "$(sql "$DB" "SELECT seq || ' false' FROM states ORDER BY ts, id" | tr '\n' ' ')"
    check "events in the store's order (by seq and type)" \
        test "$(jq -r 'select(.event) | "\(.event.seq) \(.event.type.name)"' "$TMP/db.live" | md5sum)" = \
        "$(sql "$DB" "SELECT seq || ' ' || type FROM events ORDER BY ts, id" | md5sum)"
    # the same session's --raw file holds the same states, rebuilt from deltas by the recorder
    file_messages "$RAW" "$TMP/raw.file"
    check "the states are those of the recorder's --raw file" \
        test "$(grep '"state":' "$TMP/db.live" | md5sum)" = "$(grep '"state":' "$TMP/raw.file" | md5sum)"
    # as a set: the store plays events in time order, and some events (a
    # milestone reached, reported later) carry an earlier time than the
    # one before them in the stream the recorder read
    check "event contents as recorded" \
        test "$(jq -c 'select(.event) | [.event.seq, (.event.content | fromjson)]' "$TMP/db.live" | sort | md5sum)" = \
        "$(jq -c 'select(.event) | [.event.seq, (.event.content | fromjson)]' "$TMP/raw.file" | sort | md5sum)"
    T3=$(sql "$DB" "SELECT ts FROM states ORDER BY ts, id LIMIT 1 OFFSET 2")
    S3=$(sql "$DB" "SELECT seq FROM states ORDER BY ts, id LIMIT 1 OFFSET 2")
    K3=$(sql "$DB" "SELECT kind FROM states ORDER BY ts, id LIMIT 1 OFFSET 2")
    "$PROBE" "$REP_URL" at "$T3" >"$TMP/at.out" 2>&1
    check "at_ts of the third state ($K3): that state, whole (seq $S3)" grep -q "^at $T3 ok instant_ts=$T3 seq=$S3\$" "$TMP/at.out"
    stop_replay
    expect_status "SIGTERM: exit 0" 0 "$REP_STATUS"
else
    not_ok "peerscope-replay serves the store"
fi

# ------------------------------------------------------------ two nodes

DB2=$TMP/two.db
if start_demo b --port 0 --seed 5 --event-rate 20; then
    PEER_B=$DEMO_PEER
    "$PSC_RECORD" --db "$DB2" "$URL_A" "$DEMO_URL" >"$TMP/rec2.out" 2>"$TMP/rec2.err" &
    REC=$!
    STARTED_PIDS+=("$REC")
    check "two nodes recorded into one store (bound 120 s)" \
        wait_for 120 sql_ge "$DB2" "SELECT count(*) FROM (SELECT node_id FROM states GROUP BY node_id HAVING count(*) >= 2)" 2
    stop_pid "$REC"
    "$REPLAY" --port 0 "$DB2" >/dev/null 2>"$TMP/amb.err"
    expect_status "two nodes and no --node: exit 2" 2 $? "$(cat "$TMP/amb.err")"
    check "  ... listing both nodes" sh -c "grep -q '$PEER_A' '$TMP/amb.err' && grep -q '$PEER_B' '$TMP/amb.err'"
    "$REPLAY" --port 0 --node peerscope-demo "$DB2" >/dev/null 2>"$TMP/amb2.err"
    expect_status "--node matching both (the implementation name): exit 2" 2 $?
    "$REPLAY" --port 0 --node nobody "$DB2" >/dev/null 2>"$TMP/none.err"
    expect_status "--node matching none: exit 2" 2 $?
    if start_replay two --speed max --node "$PEER_B" "$DB2"; then
        "$PROBE" "$REP_URL" runtime >"$TMP/rt2.out" 2>&1
        B_STATES=$(sql "$DB2" "SELECT count(*) FROM states s JOIN nodes n ON n.id = s.node_id WHERE n.peer_id = '$PEER_B'")
        check "--node PEERID: that node's states only ($B_STATES)" grep -q "states=$B_STATES .*node=$PEER_B\$" "$TMP/rt2.out"
        stop_replay
    else
        not_ok "--node PEERID serves that node"
    fi
else
    not_ok "a second peerscope-demo starts"
fi

# ------------------------------------------------------------ refused stores

cp "$DB" "$TMP/newer.db"
sql "$TMP/newer.db" "PRAGMA user_version = 99" >/dev/null
"$REPLAY" --port 0 "$TMP/newer.db" >/dev/null 2>"$TMP/newer.err"
expect_status "a store of a newer schema: exit 5" 5 $? "$(cat "$TMP/newer.err")"
check "  ... saying so, with both versions" grep -q "newer peerscope-record (schema version 99; this peerscope-replay reads up to 1)" "$TMP/newer.err"
sql "$TMP/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
"$REPLAY" --port 0 "$TMP/other.db" >/dev/null 2>"$TMP/other.err"
expect_status "an SQLite database of another program: exit 5" 5 $?
check "  ... saying so" grep -q "not a peerscope-record store" "$TMP/other.err"

finish

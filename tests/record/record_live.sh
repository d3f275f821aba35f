#!/bin/bash
# peerscope-record against real peerscope-demo endpoints: what it stores
# against what peerscope-dump shows (of the recorder's own --raw recording
# and of an independent session), the README's five queries through the
# sqlite3 shell, appending on a second run, and a node that restarts.
# shellcheck source=lib.sh
. "$PSC_RECORD_TESTLIB"
need_tools

DB=$TMP/live.db
RAW=$TMP/live.rec

if ! start_demo_as a --port 0 --seed 3 --event-rate 40 --churn 120; then
    not_ok "peerscope-demo starts"
    finish
fi
URL=$DEMO_URL
PEER=$DEMO_PEER
DEMO_A=$DEMO_PID

# an independent session on the same endpoint, started first: event seqs are the node's, shared by every session
"$DUMP" --follow-events "$URL" >"$TMP/witness.jsonl" 2>"$TMP/witness.err" &
WITNESS=$!
STARTED_PIDS+=("$WITNESS")
wait_for 30 test -s "$TMP/witness.jsonl"

# ------------------------------------------------------------ first run

start_record one --db "$DB" --raw "$RAW" --interval 500 --full-every 4 "$URL"
check "the database fills: 12 states and 100 events (bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT min((SELECT count(*) FROM states) / 12, (SELECT count(*) FROM events) / 100)" 1
stop_record TERM
expect_status "SIGTERM: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-one.err")"
check "the recorder said it was recording the node" grep -q "recording $PEER" "$TMP/rec-one.err"

"$DUMP" --file "$RAW" >"$TMP/raw.jsonl" 2>"$TMP/raw.err"
expect_status "the --raw recording reads back with peerscope-dump" 0 $? "$(cat "$TMP/raw.err")"
check "the recording holds a runtime, states and events" \
    test "$(jq -r 'keys[0]' "$TMP/raw.jsonl" | sort -u | tr '\n' ,)" = "event,runtime,state,"

check "one node: the demo's peer id and implementation" \
    test "$(sql "$DB" "SELECT count(*), peer_id, implementation FROM nodes")" = "1|$PEER|peerscope-demo"
check "one run, with the runtime's start time" \
    test "$(sql "$DB" "SELECT count(*), min(start_ts) FROM runs")" = "1|$(jq -r 'select(.runtime) | .runtime.start_ts' "$TMP/raw.jsonl" | head -1)"
check "one session, closed by the recorder" \
    test "$(sql "$DB" "SELECT count(*), url, close_reason FROM sessions WHERE closed IS NOT NULL")" = "1|$URL|closed by the recorder"
check "full states every 4th push, deltas between" \
    test "$(sql "$DB" "SELECT count(DISTINCT kind) FROM states")" = 2

# wait for the witness to have passed the newest stored event, then stop it
LAST=$(sql "$DB" "SELECT max(seq) FROM events")
wait_for 30 jq -e --argjson s "$LAST" 'select(.event.seq >= $s)' "$TMP/witness.jsonl" >/dev/null
stop_pid "$WITNESS"

check_py "every state, connection, protocol, DHT bucket and event as the dumps show them" \
    rows "$DB" "$TMP/raw.jsonl" "$RAW" "$TMP/witness.jsonl"

# the blobs themselves: a recording made of them, read by peerscope-dump
"${CHECK[@]}" dump-blobs "$DB" "$TMP/blobs.rec"
"$DUMP" --file "$TMP/blobs.rec" >"$TMP/blobs.jsonl" 2>"$TMP/blobs.err"
expect_status "every state blob decodes (peerscope-dump of the blobs)" 0 $? "$(cat "$TMP/blobs.err")"
check "the blobs: seq and delta base as the rows say" \
    test "$(jq -r '.state | "\(.seq)|\(if .delta then "delta|\(.delta.base_seq)" else "full|" end)"' "$TMP/blobs.jsonl" | md5sum)" = \
    "$(sql "$DB" "SELECT seq || '|' || kind || '|' || coalesce(base_seq, '') FROM states ORDER BY id" | md5sum)"

check_py "the README's five queries through the sqlite3 shell" queries "$DB" "$TMP/raw.jsonl" "$PSC_SOURCE_ROOT/README.md"

check "the database is consistent (PRAGMA integrity_check)" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
check "no WAL left after a clean stop" test ! -e "$DB-wal"

# ----------------------------------------------------- run again: append

BEFORE_EV=$(sql "$DB" "SELECT max(seq) FROM events")
BEFORE_ST=$(sql "$DB" "SELECT count(*) FROM states")
start_record two --db "$DB" --raw "$RAW" --interval 500 "$URL"
check "a second run appends (4 more states, 20 more events)" \
    wait_for 120 sql_ge "$DB" "SELECT min(((SELECT count(*) FROM states) - $BEFORE_ST) / 4, (SELECT count(*) FROM events WHERE seq > $BEFORE_EV) / 20)" 1
stop_record TERM
expect_status "second run: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-two.err")"
check "the same node and the same run (the node did not restart)" \
    test "$(sql "$DB" "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM runs), (SELECT count(*) FROM sessions)")" = "1|1|2"
check "event seqs stay unique and in order across both sessions" \
    test "$(sql "$DB" "SELECT count(*) = count(DISTINCT seq) AND (SELECT count(*) FROM events a JOIN events b ON b.id = a.id + 1 WHERE b.seq <= a.seq) = 0 FROM events")" = 1
check "runs.last_event_seq is the newest stored" \
    test "$(sql "$DB" "SELECT last_event_seq = (SELECT max(seq) FROM events) FROM runs")" = 1
"$DUMP" --file "$RAW" >"$TMP/raw2.jsonl" 2>/dev/null
expect_status "the appended recording reads back" 0 $?
check "the appended recording holds both sessions" test "$(jq -r 'select(.runtime) | 1' "$TMP/raw2.jsonl" | wc -l)" -eq 2

# ------------------------------------------------- a node that restarts

PORT=$(url_port "$URL")
start_record three --db "$DB" --interval 500 "$URL"
check "third run records" wait_for 60 sql_ge "$DB" "SELECT count(*) FROM sessions" 3
stop_pid "$DEMO_A" TERM
# the same seed is the same peer id; the port is the one the recorder retries
restarted=false
for attempt in $(seq 1 30); do
    if start_demo_as b --port "$PORT" --seed 3 --event-rate 40; then
        restarted=true
        break
    fi
    stop_pid "$DEMO_PID"
    sleep 0.5 # the port is still being released: try again
done
check "the node comes back on its port" $restarted
check "the recorder follows it: a second run with states and events (bound 90 s)" \
    wait_for 90 sql_ge "$DB" "SELECT CASE WHEN (SELECT count(*) FROM runs) < 2 THEN 0 ELSE min(
        (SELECT count(*) FROM states WHERE run_id = (SELECT max(id) FROM runs)) / 2,
        (SELECT count(*) FROM events WHERE run_id = (SELECT max(id) FROM runs))) END" 1
stop_record TERM
expect_status "third run: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-three.err")"
check "still one node, now two runs with different start times" \
    test "$(sql "$DB" "SELECT (SELECT count(*) FROM nodes), count(*), count(DISTINCT start_ts) FROM runs")" = "1|2|2"
check "the lost connection is told in its session row" \
    test "$(sql "$DB" "SELECT count(*) FROM sessions WHERE close_reason LIKE 'closed by the node%' OR close_reason LIKE 'connection lost%'")" -ge 1
check "the new run's events start over (seq from the node's new stream)" \
    test "$(sql "$DB" "SELECT min(seq) < (SELECT max(seq) FROM events WHERE run_id = 1) FROM events WHERE run_id = 2")" = 1
check "the new run's first state has no bandwidth deltas (its counters started over)" \
    test "$(sql "$DB" "SELECT count(*) FROM stream_protocols WHERE state_id = (SELECT min(id) FROM states WHERE run_id = 2) AND delta_in IS NOT NULL")" = 0
check "the database is still consistent" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
stop_pid "$DEMO_PID"
finish

#!/bin/bash
# kill -9 of peerscope-record in the middle of a run: the database opens
# (PRAGMA integrity_check is ok), the events stored are a prefix of those
# the recorder had received (its --raw recording, flushed as they come)
# with at most the last second missing, and the next run goes on.
# shellcheck source=lib.sh
. "$PSC_RECORD_TESTLIB"
need_tools

DB=$TMP/crash.db
RAW=$TMP/crash.rec

if ! start_demo_as a --port 0 --seed 5 --event-rate 300; then
    not_ok "peerscope-demo starts"
    finish
fi
URL=$DEMO_URL

start_record one --db "$DB" --raw "$RAW" --interval 500 "$URL"
check "recording: 1000 events and 4 states stored (bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT min((SELECT count(*) FROM events) / 1000, (SELECT count(*) FROM states) / 4)" 1
stop_record KILL
check "kill -9: the recorder is gone" test "$REC_STATUS" -eq 137

check "the WAL the killed recorder left behind is there (the data is in it)" test -s "$DB-wal"
check "the database opens: PRAGMA integrity_check is ok" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
# what it had received: its own recording (a record cut short by the kill is left out by the reader)
"$DUMP" --file "$RAW" >"$TMP/raw.jsonl" 2>"$TMP/raw.err"
check "the recording made until the kill reads back" test -s "$TMP/raw.jsonl"
check_py "the stored events are a prefix of those received, at most 1 s short" prefix "$DB" "$TMP/raw.jsonl" 1000
check "the killed session has no close time, but was heard from" \
    test "$(sql "$DB" "SELECT closed IS NULL AND last_seen >= opened FROM sessions")" = 1

# the next run goes on: same database, same recording
BEFORE=$(sql "$DB" "SELECT max(seq) FROM events")
start_record two --db "$DB" --raw "$RAW" --interval 500 "$URL"
check "the next run records on (200 newer events, bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT count(*) FROM events WHERE seq > $BEFORE" 200
stop_record TERM
expect_status "the next run: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-two.err")"
check "the same node and run, a second session" \
    test "$(sql "$DB" "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM runs), (SELECT count(*) FROM sessions)")" = "1|1|2"
check "no event stored twice" test "$(sql "$DB" "SELECT count(*) - count(DISTINCT seq) FROM events")" = 0
check "still consistent" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
"$DUMP" --strict --file "$RAW" >"$TMP/raw2.jsonl" 2>"$TMP/raw2.err"
expect_status "the recording, appended to, reads to its end (--strict)" 0 $? "$(cat "$TMP/raw2.err")"
check "it holds both sessions" test "$(jq -r 'select(.runtime) | 1' "$TMP/raw2.jsonl" | wc -l)" -eq 2

# killed while the writer may be mid-commit, several times over: it always opens
for i in 1 2 3; do
    start_record "again$i" --db "$DB" --interval 500 "$URL"
    N=$(sql "$DB" "SELECT count(*) FROM events")
    wait_for 60 sql_ge "$DB" "SELECT count(*) FROM events" $((N + 300))
    stop_record KILL
done
check "after three more kills: integrity_check ok" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
check "and five sessions of the one run" test "$(sql "$DB" "SELECT count(*) FROM sessions WHERE run_id = 1")" = 5
stop_pid "$DEMO_PID"
finish

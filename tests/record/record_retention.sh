#!/bin/bash
# Retention: --keep deletes what is older than the bound (states with
# their rows, events); --max-db-mb keeps the database file near its bound
# while many times that much is recorded.
# shellcheck source=lib.sh
. "$PSC_RECORD_TESTLIB"
need_tools

if ! start_demo_as a --port 0 --seed 7 --event-rate 1000 --churn 300; then
    not_ok "peerscope-demo starts"
    finish
fi
URL=$DEMO_URL

# ----------------------------------------------------------------- --keep

DB=$TMP/keep.db
start_record keep --db "$DB" --keep 3s --interval 500 --verbose "$URL"
check "the first events are stored" wait_for 60 sql_ge "$DB" "SELECT count(*) FROM events" 1
FIRST=$(sql "$DB" "SELECT min(seq) FROM events")
check "--keep 3s: old events are deleted while recording (bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT min(seq) > $FIRST FROM events" 1
check "--keep 3s: and old states" \
    wait_for 60 sql_ge "$DB" "SELECT min(seq) > (SELECT min(seq) FROM states WHERE id = 1) OR (SELECT count(*) FROM states WHERE id = 1) = 0 FROM states" 1
BEFORE_STOP=$(($(date +%s%N) / 1000000))
stop_record TERM
expect_status "--keep: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-keep.err")"
check "the recorder told it pruned" grep -q "pruned [0-9]* rows" "$TMP/rec-keep.err"
# the last prune runs at the end, at a time after BEFORE_STOP
check "nothing older than 3 s before the stop is left (events)" \
    test "$(sql "$DB" "SELECT min(ts) >= $BEFORE_STOP - 3000 FROM events")" = 1
check "nothing older than 3 s before the stop is left (states)" \
    test "$(sql "$DB" "SELECT min(ts) >= $BEFORE_STOP - 3000 FROM states")" = 1
check "no derived row outlives its state" \
    test "$(sql "$DB" "SELECT (SELECT count(*) FROM connections WHERE state_id NOT IN (SELECT id FROM states))
                          + (SELECT count(*) FROM stream_protocols WHERE state_id NOT IN (SELECT id FROM states))
                          + (SELECT count(*) FROM dht_buckets WHERE state_id NOT IN (SELECT id FROM states))")" = 0
check "what is left is unbroken: the events since the oldest kept are all there" \
    test "$(sql "$DB" "SELECT max(seq) - min(seq) + 1 = count(*) FROM events")" = 1
check "nodes, runs and sessions are kept" \
    test "$(sql "$DB" "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM runs), (SELECT count(*) FROM sessions)")" = "1|1|1"
check "integrity_check ok" test "$(sql "$DB" "PRAGMA integrity_check")" = ok

# ------------------------------------------------------------- --max-db-mb

DB=$TMP/size.db
RAW=$TMP/size.rec
LIMIT_MB=2
start_record size --db "$DB" --raw "$RAW" --max-db-mb $LIMIT_MB --interval 500 --verbose "$URL"
# the recorder must see many times the bound: 4 x in its own recording
check "4 x the bound recorded (bound 180 s)" \
    wait_for 180 size_ge "$RAW" $((4 * LIMIT_MB * 1000000))
stop_record TERM
expect_status "--max-db-mb: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-size.err")"
SIZE=$(stat -c %s "$DB")
RAWSIZE=$(stat -c %s "$RAW")
echo "# recorded $RAWSIZE bytes (2020 recording); database file $SIZE bytes, bound $((LIMIT_MB * 1000000))"
check "the database file stays under the bound (5% slack for one batch)" test "$SIZE" -le $((LIMIT_MB * 1050000))
check "old rows were deleted: the first events are gone" test "$(sql "$DB" "SELECT min(seq) > 1 FROM events")" = 1
check "and the newest are there" \
    test "$(sql "$DB" "SELECT max(seq) FROM events")" = "$("$DUMP" --file "$RAW" --only event 2>/dev/null | jq -s 'map(.event.seq) | max')"
check "integrity_check ok" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
stop_pid "$DEMO_PID"
finish

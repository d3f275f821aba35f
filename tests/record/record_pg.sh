#!/bin/bash
# peerscope-record into PostgreSQL: the test starts its own server
# (Debian's postgresql: initdb and pg_ctl, in a temporary directory, on a
# free loopback port) and records one run into SQLite and PostgreSQL at
# once, then compares every table and view of both; then a fleet (two
# recorders, two nodes, one database), retention and a newer schema.
#
# PostgreSQL refuses to run as root. As root the server runs as the user
# "nobody" (runuser), in a directory of its own that nobody may write;
# as any other user it runs as that user.
#
# Exit status: 0 passed, 1 failed, 77 skipped (no PostgreSQL binaries,
# no libpq in this build, or root without runuser and nobody).
# shellcheck source=lib.sh
. "$PSC_RECORD_TESTLIB"

skip() {
    echo "# SKIP $*"
    exit 77
}
[ -x "${PSC_DEMO:-}" ] && [ -n "${PSC_PYTHON:-}" ] && command -v sqlite3 >/dev/null 2>&1 || skip "missing tools"
PG_BIN=${PSC_PG_BIN:-}
if [ -z "$PG_BIN" ]; then
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(pg_config --bindir 2>/dev/null)"; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PG_BIN=$d && break
    done
fi
[ -n "$PG_BIN" ] || skip "PostgreSQL's initdb and pg_ctl not found (Debian package postgresql)"
command -v psql >/dev/null 2>&1 || skip "psql not found"
"$RECORD" --store postgres://127.0.0.1:1/x ws://127.0.0.1:1 2>&1 | grep -q "without PostgreSQL support" &&
    skip "peerscope-record was built without libpq"

AS=()
if [ "$(id -u)" = 0 ]; then
    command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1 || skip "root, and no runuser or no user nobody"
    AS=(runuser -u nobody --)
fi

# The server's directory: world-traversable parent, owned by the server's user.
PGROOT=$(mktemp -d "${TMPDIR:-/tmp}/psc-record-pg.XXXXXX")
chmod 755 "$PGROOT"
mkdir "$PGROOT/pg"
[ ${#AS[@]} -eq 0 ] || chown nobody "$PGROOT/pg"
PGDATA=$PGROOT/pg/data
PG_STARTED=false
pg_stop() {
    $PG_STARTED && "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
    rm -rf "$PGROOT"
}
trap 'pg_stop; lib_cleanup' EXIT

if ! "${AS[@]}" "$PG_BIN/initdb" -D "$PGDATA" -A trust -U psc -E UTF8 --no-locale >"$TMP/initdb.log" 2>&1; then
    not_ok "initdb" "$(tail -5 "$TMP/initdb.log")"
    finish
fi
# a free port: one the kernel just gave out; taken meanwhile, the next try gets another
for attempt in 1 2 3 4 5; do
    PORT=$("$PSC_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if "${AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/pg/server.log" -w -t 60 \
        -o "-k $PGROOT/pg -p $PORT -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
        PG_STARTED=true
        break
    fi
done
if ! $PG_STARTED; then
    not_ok "a private PostgreSQL server starts" "$(tail -5 "$PGROOT/pg/server.log" 2>/dev/null)"
    finish
fi
ok "a private PostgreSQL server runs on 127.0.0.1:$PORT"
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=psc PGDATABASE=rec
psql -X -q -d postgres -c "CREATE DATABASE rec" -c "CREATE DATABASE fleet" -c "CREATE DATABASE keep" -c "CREATE DATABASE newer"
PG=postgres://psc@127.0.0.1:$PORT

# ------------------------------------------------ one run, both stores

if ! start_demo_as a --port 0 --seed 11 --event-rate 60 --churn 120; then
    not_ok "peerscope-demo starts"
    finish
fi
URL=$DEMO_URL
DEMO_A=$DEMO_PID
DB=$TMP/both.db
start_record both --db "$DB" --store "$PG/rec" --interval 500 --full-every 4 "$URL"
check "recording into both: 10 states and 200 events (bound 120 s)" \
    wait_for 120 sql_ge "$DB" "SELECT min((SELECT count(*) FROM states) / 10, (SELECT count(*) FROM events) / 200)" 1
stop_record TERM
expect_status "both stores: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-both.err")"
check "PostgreSQL's schema version is recorded" \
    test "$(psql -X -At -c "SELECT value FROM psc_meta WHERE key = 'schema_version'")" = 1
check_py "every table and view alike in SQLite and PostgreSQL" stores "$DB"
check "connections open at the newest state: the same answer from both stores" \
    test "$(psql -X -At -c "SELECT count(*) FROM connection_spans WHERE status = 'ACTIVE' AND valid_from <= (SELECT max(ts) FROM states) AND (SELECT max(ts) FROM states) < valid_to")" = \
    "$(sql "$DB" "SELECT count(*) FROM connection_spans WHERE status = 'ACTIVE' AND valid_from <= (SELECT max(ts) FROM states) AND (SELECT max(ts) FROM states) < valid_to")"
check "json properties are queryable as jsonb" \
    test "$(psql -X -At -c "SELECT count(*) FROM events WHERE jsonb_typeof(props) = 'object'")" = "$(sql "$DB" "SELECT count(*) FROM events")"

# ------------------------------------- a fleet: two recorders, one database

if start_demo_as b --port 0 --seed 12 --event-rate 60; then
    URL_B=$DEMO_URL
    start_record fleet1 --store "$PG/fleet" --interval 500 "$URL"
    R1=$REC_PID
    start_record fleet2 --store "$PG/fleet" --interval 500 "$URL_B"
    pg_ge() { [ "$(psql -X -At -d fleet -c "$1")" -ge "$2" ] 2>/dev/null; }
    check "two recorders into one database: both nodes recorded (bound 120 s)" \
        wait_for 120 pg_ge "SELECT count(DISTINCT node_id) FROM states" 2
    stop_record TERM
    expect_status "the second recorder: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-fleet2.err")"
    REC_PID=$R1
    stop_record TERM
    expect_status "the first recorder: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-fleet1.err")"
    check "two nodes, two runs, two sessions" \
        test "$(psql -X -At -d fleet -c "SELECT (SELECT count(*) FROM nodes) || '|' || (SELECT count(*) FROM runs) || '|' || (SELECT count(*) FROM sessions)")" = "2|2|2"
    check "each node's events are whole (seq without gaps)" \
        test "$(psql -X -At -d fleet -c "SELECT count(*) FROM (SELECT node_id FROM events GROUP BY node_id HAVING max(seq) - min(seq) + 1 <> count(*)) g")" = 0
    stop_pid "$DEMO_PID"
else
    not_ok "a second peerscope-demo starts"
fi

# ----------------------------------------------------------- retention

start_record keep --store "$PG/keep" --keep 3s --interval 500 "$URL"
pg_keep() { [ "$(psql -X -At -d keep -c "$1")" = t ] 2>/dev/null; }
check "the first events arrive" wait_for 60 pg_keep "SELECT count(*) > 0 FROM events"
FIRST=$(psql -X -At -d keep -c "SELECT min(seq) FROM events")
check "--keep 3s deletes old events in PostgreSQL too (bound 120 s)" \
    wait_for 120 pg_keep "SELECT min(seq) > $FIRST FROM events"
BEFORE_STOP=$(($(date +%s%N) / 1000000))
stop_record TERM
expect_status "--keep into PostgreSQL: exit 0" 0 "$REC_STATUS" "$(cat "$TMP/rec-keep.err")"
check "nothing older than 3 s before the stop is left" \
    test "$(psql -X -At -d keep -c "SELECT min(ts) >= $BEFORE_STOP - 3000 AND (SELECT min(ts) FROM states) >= $BEFORE_STOP - 3000 FROM events")" = t
check "no derived row outlives its state" \
    test "$(psql -X -At -d keep -c "SELECT count(*) FROM connections WHERE state_id NOT IN (SELECT id FROM states)")" = 0

# ---------------------------------------------------------- refusals

"$RECORD" --store "$PG/newer" --duration 2 "$URL" >/dev/null 2>&1
psql -X -q -d newer -c "UPDATE psc_meta SET value = '99' WHERE key = 'schema_version'"
"$RECORD" --store "$PG/newer" "$URL" >/dev/null 2>"$TMP/newer.err"
expect_status "a PostgreSQL store of a newer schema: exit 6" 6 $? "$(cat "$TMP/newer.err")"
check "... saying so" grep -q "newer peerscope-record (schema version 99" "$TMP/newer.err"
psql -X -q -d postgres -c "CREATE DATABASE foreign_db"
psql -X -q -d foreign_db -c "CREATE TABLE events (x int)"
"$RECORD" --store "$PG/foreign_db" "$URL" >/dev/null 2>"$TMP/foreign.err"
expect_status "a database with another program's tables of the same names: exit 6" 6 $? "$(cat "$TMP/foreign.err")"
check "... left alone" test "$(psql -X -At -d foreign_db -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 1
"$RECORD" --store "$PG/nosuchdb" "$URL" >/dev/null 2>"$TMP/nodb.err"
expect_status "a database that does not exist: exit 6" 6 $? "$(cat "$TMP/nodb.err")"

stop_pid "$DEMO_A"
finish

#!/bin/bash
# Bad input to peerscope-record: the command line, files that are not
# its databases (left untouched), a database of a newer version, one in
# use, a disk that fills up, refused tokens, endpoints that never answer,
# a --raw file that is not a recording. Each gets its exit status and a
# message that says what is wrong.
# shellcheck source=lib.sh
. "$PSC_RECORD_TESTLIB"
need_tools

# expect_fail DESCRIPTION STATUS PATTERN ARGS...: run the recorder (it must stop by itself)
expect_fail() {
    local desc=$1 want=$2 pattern=$3
    shift 3
    "$RECORD" "$@" >"$TMP/fail.out" 2>"$TMP/fail.err"
    local st=$?
    if [ "$st" -eq "$want" ] && grep -qE -- "$pattern" "$TMP/fail.err"; then
        ok "$desc"
    else
        not_ok "$desc" "exit status $st (expected $want); stderr:" "$(cat "$TMP/fail.err")"
    fi
}

# ------------------------------------------------------------- usage

expect_fail "no store: exit 2" 2 "no store" ws://127.0.0.1:1
expect_fail "no endpoint: exit 2" 2 "no endpoint" --db "$TMP/u.db"
expect_fail "an http URL: exit 2, with the ws spelling" 2 "did you mean ws://" --db "$TMP/u.db" http://127.0.0.1:7878
expect_fail "a malformed URL: exit 2" 2 "malformed URL" --db "$TMP/u.db" "ws://127.0.0.1:99999/"
expect_fail "--raw for two endpoints without %n: exit 2" 2 "needs %n" --db "$TMP/u.db" --raw "$TMP/r.rec" \
    ws://127.0.0.1:1 ws://127.0.0.1:2
expect_fail "--keep without a unit it knows: exit 2" 2 "duration such as" --db "$TMP/u.db" --keep 3w ws://127.0.0.1:1
expect_fail "--keep below a second: exit 2" 2 "from 1 second" --db "$TMP/u.db" --keep 0.5s ws://127.0.0.1:1
expect_fail "--max-db-mb 0: exit 2" 2 "from 1 to" --db "$TMP/u.db" --max-db-mb 0 ws://127.0.0.1:1
expect_fail "--full-every 0: exit 2" 2 "from 1 to 3600" --db "$TMP/u.db" --full-every 0 ws://127.0.0.1:1
expect_fail "--sync sometimes: exit 2" 2 "normal or full" --db "$TMP/u.db" --sync sometimes ws://127.0.0.1:1
expect_fail "five stores: exit 2" 2 "at most 4" --db a --db b --db c --db d --db e ws://127.0.0.1:1
check "usage errors create no database" test ! -e "$TMP/u.db"
"$RECORD" --help >"$TMP/help.out"
expect_status "--help: exit 0" 0 $?
check "--help lists the exit statuses" grep -q "7  a store failed while recording" "$TMP/help.out"

# ----------------------------------------- files that are not ours

printf 'this is a text file, not a database, %.0s' $(seq 1 100) >"$TMP/text.db"
cp "$TMP/text.db" "$TMP/text.orig"
expect_fail "a file that is not a database: exit 6" 6 "not an SQLite database" --db "$TMP/text.db" ws://127.0.0.1:1
check "... and it is left untouched, with no WAL beside it" \
    eval 'cmp -s "$TMP/text.db" "$TMP/text.orig" && test ! -e "$TMP/text.db-wal"'

sqlite3 "$TMP/other.db" "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('x')"
cp "$TMP/other.db" "$TMP/other.orig"
expect_fail "another program's SQLite database: exit 6" 6 "another program" --db "$TMP/other.db" ws://127.0.0.1:1
check "... left untouched" cmp -s "$TMP/other.db" "$TMP/other.orig"

expect_fail "a directory that does not exist: exit 6" 6 "cannot open" --db "$TMP/no/such/dir/x.db" ws://127.0.0.1:1
mkdir "$TMP/adir"
expect_fail "a directory as the database: exit 6" 6 "not a regular file" --db "$TMP/adir" ws://127.0.0.1:1
expect_fail "a PostgreSQL server that is not there: exit 6" 6 "cannot connect" \
    --store "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=5" ws://127.0.0.1:1
check "... its password is not repeated" test "$(grep -c secret "$TMP/fail.err")" = 0

# ----------------------------------------------- databases that are ours

if ! start_demo_as a --port 0 --seed 9 --event-rate 200; then
    not_ok "peerscope-demo starts"
    finish
fi
URL=$DEMO_URL

DB=$TMP/ours.db
start_record first --db "$DB" "$URL"
check "a recorder runs" wait_for 60 sql_ge "$DB" "SELECT count(*) FROM events" 1
expect_fail "a second recorder on the same database: exit 6" 6 "another peerscope-record" --db "$DB" "$URL"
check "the first one goes on" wait_for 60 sql_ge "$DB" "SELECT count(*) FROM events" $(($(sql "$DB" "SELECT count(*) FROM events") + 50))
stop_record TERM
expect_status "the first one then stops cleanly" 0 "$REC_STATUS" "$(cat "$TMP/rec-first.err")"

cp "$DB" "$TMP/newer.db"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 99"
cp "$TMP/newer.db" "$TMP/newer.orig"
expect_fail "a database of a newer peerscope-record: exit 6" 6 "newer peerscope-record \(schema version 99" \
    --db "$TMP/newer.db" "$URL"
check "... left untouched" cmp -s "$TMP/newer.db" "$TMP/newer.orig"

# another program holds a write transaction: the recorder waits, then says so (here: the open gives up after 5 s)
cp "$DB" "$TMP/locked.db"
mkfifo "$TMP/hold"
sqlite3 "$TMP/locked.db" <"$TMP/hold" >/dev/null 2>&1 &
HOLDER=$!
STARTED_PIDS+=("$HOLDER")
exec 7>"$TMP/hold"
echo "BEGIN EXCLUSIVE; SELECT 1;" >&7
wait_for 30 eval '! sqlite3 -cmd ".timeout 0" "$TMP/locked.db" "SELECT 1" >/dev/null 2>&1'
expect_fail "a database locked by another program: exit 6" 6 "locked by another program" --db "$TMP/locked.db" "$URL"
exec 7>&-
wait "$HOLDER"

# the disk fills up (a file size limit, so that nothing else suffers): exit 7, what was committed stays
DB=$TMP/full.db
bash -c 'trap "" XFSZ; ulimit -f 2000; exec "$@"' sh "$RECORD" --db "$DB" "$URL" >"$TMP/full.out" 2>"$TMP/full.err"
st=$?
expect_status "the disk fills up: exit 7" 7 $st "$(cat "$TMP/full.err")"
check "... saying the store failed" grep -q "cannot store what was recorded" "$TMP/full.err"
check "the full database opens: integrity_check ok" test "$(sql "$DB" "PRAGMA integrity_check")" = ok
check "... and holds what was committed" sql_ge "$DB" "SELECT count(*) FROM events" 1

# ---------------------------------------------------------- endpoints

if start_demo_as auth --port 0 --seed 9 --token correct-horse-battery-staple; then
    AURL=${DEMO_URL%%\?*} # the banner's URL carries the token
    "$RECORD" --db "$TMP/q.db" --duration 3 "$DEMO_URL" 2>"$TMP/q.err"
    expect_status "the token in the URL's query: exit 0" 0 $? "$(cat "$TMP/q.err")"
    check "... and the stored URL does not hold it" \
        test "$(sql "$TMP/q.db" "SELECT count(*) FROM sessions WHERE url LIKE '%correct-horse%'")" = 0
    expect_fail "the token refused by the only endpoint: exit 4" 4 "authentication refused.*not retrying" \
        --db "$TMP/auth.db" "$AURL"
    "$RECORD" --db "$TMP/auth.db" --token correct-horse-battery-staple --duration 3 "$AURL" 2>"$TMP/auth.err"
    expect_status "the right token: exit 0" 0 $? "$(cat "$TMP/auth.err")"
    check "... and it recorded" sql_ge "$TMP/auth.db" "SELECT count(*) FROM states" 1
    # one endpoint refuses, the other is recorded: the refused one does not stop the run
    "$RECORD" --db "$TMP/mixed.db" --duration 3 "$AURL" "$URL" 2>"$TMP/mixed.err"
    expect_status "one endpoint refuses, one records: exit 0" 0 $? "$(cat "$TMP/mixed.err")"
    check "... the refusal is reported" grep -q "authentication refused" "$TMP/mixed.err"
    stop_pid "$DEMO_PID"
else
    not_ok "peerscope-demo with a token starts"
fi

# a port where nothing listens: the one a demo had and gave up
start_demo_as closed --port 0 && CLOSED_URL=$DEMO_URL
stop_pid "$DEMO_PID"
expect_fail "no endpoint answers during the whole run: exit 3" 3 "no endpoint could be recorded" \
    --db "$TMP/none.db" --duration 2 --connect-timeout 1 "$CLOSED_URL"

printf 'not a recording at all' >"$TMP/bad.rec"
cp "$TMP/bad.rec" "$TMP/bad.orig"
expect_fail "--raw naming a file that is not a recording: exit 1" 1 "not a 2020 recording" \
    --db "$TMP/raw.db" --raw "$TMP/bad.rec" "$URL"
check "... left untouched" cmp -s "$TMP/bad.rec" "$TMP/bad.orig"
finish

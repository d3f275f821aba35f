#!/usr/bin/env bash
# peerscope-record's throughput: one recorder, many nodes, SQLite.
#
#   bash bench/record_throughput.sh [BUILD_DIR] [--nodes N] [--rate EVENTS_PER_S] [--seconds S] [--host-nice N] [--smoke]
#
# Defaults: build-release, 100 nodes at 1,000 events/s each, 30 s. The
# nodes are peerscope-fleet-host (bench/fleet_host.c): one process, an
# introspector and a loopback WebSocket endpoint per node, a small swarm
# (4 connections, 8 streams) and one emitter thread. One peerscope-record
# records every endpoint into a fresh SQLite database (default settings).
#
# After every node is recorded, the window of S seconds is measured: the
# events stored per second against those emitted, what is missing in the
# stored seq ranges, what the nodes dropped for the recorder (its
# DISCARDING_EVENTS notices) and the CPU both processes used. "kept up"
# means the host emitted its nominal rate, nothing was dropped or missing,
# the stored rate matched the emitted one, and the newest stored event was never more than a second
# old (sampled every second). Prints one line (and the recorder's own
# summary above it).
#
# The fleet host needs most of a 2-core machine by itself (it is 100 nodes
# serving their endpoints); --host-nice N runs it at that nice value, so
# that what is measured is whether the recorder keeps up, not how the
# scheduler shares the machine between the two.
#
# Exit status: 0 kept up, 1 fell behind, 2 cannot run (not built, a
# process that does not start). --smoke (CI) runs it through and reports
# only the last kind: it never judges the figures.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=build-release
NODES=100
RATE=1000
SECS=30
NICE=0
SMOKE=false
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=true; shift ;;
        --host-nice) NICE=$2; shift 2 ;;
        --nodes) NODES=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        -*) echo "usage: bash bench/record_throughput.sh [BUILD_DIR] [--nodes N] [--rate R] [--seconds S] [--host-nice N]" >&2; exit 2 ;;
        *) BUILD=$1; shift ;;
    esac
done
HOST=$BUILD/bench/peerscope-fleet-host
RECORD=$BUILD/tools/record/peerscope-record
for f in "$HOST" "$RECORD"; do
    [ -x "$f" ] || { echo "record_throughput: $f is not built (meson setup $BUILD --buildtype=release && ninja -C $BUILD)" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "record_throughput: needs the sqlite3 shell" >&2; exit 2; }

# shellcheck source=procs.sh
. bench/procs.sh
bench_scratch record-bench
q() { sqlite3 -batch -noheader "$TMP/fleet.db" "$1"; }
sessions_ge() { [ "$(q "SELECT count(*) FROM sessions WHERE closed IS ${2}")" -ge "$1" ]; }

nice -n "$NICE" "$HOST" --nodes "$NODES" --rate "$RATE" --urls "$TMP/urls" --status "$TMP/emitted" >"$TMP/host.out" 2>"$TMP/host.err" &
HOST_PID=$!
PIDS+=("$HOST_PID")
wait_for 60 lines_ge "$TMP/urls" "$NODES" || { echo "record_throughput: the fleet host did not start: $(cat "$TMP/host.err")" >&2; exit 2; }

mapfile -t URLS <"$TMP/urls"
"$RECORD" --db "$TMP/fleet.db" --verbose "${URLS[@]}" >"$TMP/rec.out" 2>"$TMP/rec.err" &
REC_PID=$!
PIDS+=("$REC_PID")
wait_for 120 sessions_ge "$NODES" NULL || { echo "record_throughput: not every node was recorded" >&2; tail "$TMP/rec.err" >&2; exit 2; }

# the window
# (ids count the rows of a fresh database; max(id) costs nothing, count(*) reads it all)
t0=$(now_s); e0=$(cat "$TMP/emitted"); c0=$(q "SELECT max(id) FROM events"); rec0=$(cpu_s "$REC_PID"); host0=$(cpu_s "$HOST_PID")
# how far behind the recorder is: now against the newest event stored (stamped when emitted), sampled each second
lag_max=0
for ((i = 0; i < SECS; i++)); do
    sleep 1
    lag=$(q "SELECT CAST(strftime('%s','now') AS INTEGER) * 1000 + CAST(substr(strftime('%f','now'), 4) AS INTEGER) - max(ts) FROM events WHERE id > (SELECT max(id) FROM events) - 1000")
    [ "$lag" -gt "$lag_max" ] && lag_max=$lag
done
t1=$(now_s); e1=$(cat "$TMP/emitted"); c1=$(q "SELECT max(id) FROM events"); rec1=$(cpu_s "$REC_PID"); host1=$(cpu_s "$HOST_PID")

kill -TERM "$HOST_PID"
wait "$HOST_PID"
# every session sees its node go away before the recorder stops
wait_for 60 sessions_ge "$NODES" "NOT NULL"
kill -TERM "$REC_PID"
wait "$REC_PID"
rec_status=$?
grep summary "$TMP/rec.err"
cat "$TMP/host.out"

read -r stored missing dropped < <(q "SELECT (SELECT count(*) FROM events),
    (SELECT sum(max_seq - min_seq + 1 - n) FROM (SELECT max(seq) AS max_seq, min(seq) AS min_seq, count(*) AS n FROM events GROUP BY run_id)),
    (SELECT sum(events_dropped) FROM sessions)" | tr '|' ' ')
size=$(stat -c %s "$TMP/fleet.db")
commit=$(sed -n 's/.*commits, longest \([0-9]*\) ms.*/\1/p' "$TMP/rec.err")
awk -v n="$NODES" -v r="$RATE" -v s="$SECS" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
    -v rc0="$rec0" -v rc1="$rec1" -v hc0="$host0" -v hc1="$host1" -v stored="$stored" -v missing="$missing" \
    -v dropped="$dropped" -v size="$size" -v commit="$commit" -v st="$rec_status" -v lag="$lag_max" -v e0="$e0" -v e1="$e1" 'BEGIN {
    w = t1 - t0; rate = (c1 - c0) / w; want = (e1 - e0) / w
    kept = (missing == 0 && dropped == 0 && lag <= 1000 && rate >= 0.97 * want && want >= 0.97 * n * r && st == 0)
    printf "record-throughput: %d nodes x %d events/s, %.0f s window: emitted %.0f events/s, stored %.0f/s (%.1f%%), ", n, r, w, want, rate, 100 * rate / want
    printf "behind by at most %d ms; %d events in all; missing in stored seq ranges %d, dropped by the nodes %d; ", lag, stored, missing, dropped
    printf "recorder CPU %.2f cores, fleet host CPU %.2f cores; longest commit %s ms; database %.0f MB: %s\n",
        (rc1 - rc0) / w, (hc1 - hc0) / w, commit, size / 1e6,
        kept ? "kept up" : want < 0.97 * n * r ? "the host fell short of its rate" : "FELL BEHIND"
    exit kept ? 0 : 1
}'
verdict=$?
$SMOKE && exit 0
exit $verdict

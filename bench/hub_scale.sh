#!/usr/bin/env bash
# peerscope-hub at scale: one hub pulling N nodes, for each N given.
#
#   bash bench/hub_scale.sh [BUILD_DIR] [--nodes "10 50 100"] [--rate EVENTS_PER_S] [--seconds S] [--push] [--smoke]
#
# Defaults: build-release, 10, 50 and 100 nodes at 20 events/s each, a
# 20 s window. The nodes are peerscope-fleet-host (bench/fleet_host.c):
# one process, an introspector and a loopback WebSocket endpoint per node
# (4 connections, 8 streams, a state every second). One peerscope-hub
# pulls them all (named in a --nodes file) while /metrics is scraped every
# 5 s, as a Prometheus would. With --push the nodes dial the hub instead
# (psc_ws_config.hub_url, fleet host --hub) and the hub pulls none.
#
# Once every node's row is up (GET /healthz), the window measures the
# hub's CPU (user + system seconds over wall seconds), its resident memory
# at the end and, per node, what it holds beyond an empty hub's, and the
# events it received per second against those the nodes emitted (from
# peerscope_hub_events_total). One line per N.
#
# Exit status: 0 ran (and the hub received at least 97% of the events), 1
# it fell behind, 2 cannot run (not built, a process that does not start).
# --smoke (CI) only runs it through.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=build-release
COUNTS="10 50 100"
RATE=20
SECS=20
SMOKE=false
PUSH=false
PUSH_TOKEN=hub-scale-push-token-0123
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=true; shift ;;
        --push) PUSH=true; shift ;;
        --nodes) COUNTS=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        -*) echo "usage: bash bench/hub_scale.sh [BUILD_DIR] [--nodes \"10 50 100\"] [--rate R] [--seconds S] [--push] [--smoke]" >&2; exit 2 ;;
        *) BUILD=$1; shift ;;
    esac
done
HOST=$BUILD/bench/peerscope-fleet-host
HUB=$BUILD/tools/hub/peerscope-hub
for f in "$HOST" "$HUB"; do
    [ -x "$f" ] || { echo "hub_scale: $f is not built (meson setup $BUILD --buildtype=release && ninja -C $BUILD)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "hub_scale: needs curl" >&2; exit 2; }

# shellcheck source=procs.sh
. bench/procs.sh
bench_scratch hub-bench
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hub_port() { sed -n 's|.*fleet socket: *ws://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1" | head -1; }
has_port() { [ -n "$(hub_port "$1")" ]; }
rows_up() { curl -sf "http://127.0.0.1:$1/healthz" | grep -q "\"up\":$2}"; }
events_received() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^peerscope_hub_events_total\{/ { s += $2 } END { print s + 0 }'; }

# an empty hub: the baseline of the memory per node
"$HUB" --port 0 --quiet >"$TMP/hub0.out" 2>"$TMP/hub0.err" &
HUB0=$!
PIDS+=("$HUB0")
wait_for 30 has_port "$TMP/hub0.out" || { echo "hub_scale: the hub did not start: $(cat "$TMP/hub0.err")" >&2; exit 2; }
sleep 1
RSS0=$(rss_kb "$HUB0")
kill -TERM "$HUB0"; wait "$HUB0"

status=0
for N in $COUNTS; do
    rm -f "$TMP/urls" "$TMP/emitted" "$TMP/hub.out"
    if $PUSH; then
        "$HUB" --port 0 --quiet --push-token "$PUSH_TOKEN" >"$TMP/hub.out" 2>"$TMP/hub.err" &
        HUB_PID=$!
        PIDS+=("$HUB_PID")
        wait_for 30 has_port "$TMP/hub.out" || { echo "hub_scale: the hub did not start: $(cat "$TMP/hub.err")" >&2; exit 2; }
        PORT=$(hub_port "$TMP/hub.out")
        HOST_ARGS=(--hub "ws://127.0.0.1:$PORT/push" --hub-token "$PUSH_TOKEN")
    else
        HOST_ARGS=()
    fi
    "$HOST" --nodes "$N" --rate "$RATE" --urls "$TMP/urls" --status "$TMP/emitted" "${HOST_ARGS[@]}" >"$TMP/host.out" 2>"$TMP/host.err" &
    HOST_PID=$!
    PIDS+=("$HOST_PID")
    wait_for 60 lines_ge "$TMP/urls" "$N" || { echo "hub_scale: the fleet host did not start: $(cat "$TMP/host.err")" >&2; exit 2; }
    if ! $PUSH; then
        awk '{ printf "node-%d %s\n", NR, $0 }' "$TMP/urls" >"$TMP/nodes"
        "$HUB" --port 0 --quiet --nodes "$TMP/nodes" >"$TMP/hub.out" 2>"$TMP/hub.err" &
        HUB_PID=$!
        PIDS+=("$HUB_PID")
        wait_for 30 has_port "$TMP/hub.out" || { echo "hub_scale: the hub did not start: $(cat "$TMP/hub.err")" >&2; exit 2; }
        PORT=$(hub_port "$TMP/hub.out")
    fi
    wait_for 120 rows_up "$PORT" "$N" || { echo "hub_scale: not every node came up in the hub" >&2; exit 2; }
    sleep 2

    t0=$(now_s); c0=$(cpu_s "$HUB_PID"); e0=$(cat "$TMP/emitted"); r0=$(events_received "$PORT")
    for ((i = 0; i < SECS; i++)); do
        sleep 1
        [ $((i % 5)) -eq 4 ] && curl -sf -o /dev/null "http://127.0.0.1:$PORT/metrics"
    done
    t1=$(now_s); c1=$(cpu_s "$HUB_PID"); e1=$(cat "$TMP/emitted"); r1=$(events_received "$PORT")
    rss=$(rss_kb "$HUB_PID")

    awk -v n="$N" -v r="$RATE" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v e0="$e0" -v e1="$e1" \
        -v r0="$r0" -v r1="$r1" -v rss="$rss" -v rss0="$RSS0" -v mode="$($PUSH && echo pushed || echo pulled)" 'BEGIN {
        w = t1 - t0; cores = (c1 - c0) / w; emitted = (e1 - e0) / w; got = (r1 - r0) / w
        printf "hub-scale: %d %s nodes x %d events/s, %.0f s window: hub CPU %.3f cores (%.2f ms per node per s), ", n, mode, r, w, cores, 1000 * cores / n
        printf "RSS %.1f MB (%.0f KB per node over an empty hub of %.1f MB); received %.0f of %.0f events/s emitted (%.1f%%)\n",
            rss / 1024, (rss - rss0) / n, rss0 / 1024, got, emitted, (emitted > 0 ? 100 * got / emitted : 0)
        exit (got >= 0.97 * emitted) ? 0 : 1
    }' || status=1

    kill -TERM "$HUB_PID"; wait "$HUB_PID"
    kill -TERM "$HOST_PID"; wait "$HOST_PID"
    PIDS=()
done
$SMOKE && exit 0
exit $status

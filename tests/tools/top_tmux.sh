#!/bin/bash
# peerscope-top driven for real inside tmux (send-keys, capture-pane) on a
# private tmux server (-L) with a fixed 120x40 window: the screen, sorting,
# views, filter, pause, help, resize, a node that dies and comes back on
# the same port, several nodes, a node that refuses the token (not
# retried), and a terminal left sane after q and after SIGTERM.
# Exit status: 0 pass, 1 fail, 77 skipped (no tmux).

if ! command -v tmux >/dev/null 2>&1; then
    echo "tmux is not installed: skipped"
    exit 77
fi
# shellcheck source=lib.sh
. "$PSC_TOOLS_TESTLIB"

SELF=12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN
SOCK="psc-top-test-$$"
TM() { tmux -L "$SOCK" -f /dev/null "$@"; }

cleanup_tmux() {
    TM kill-server 2>/dev/null
    lib_cleanup
}
trap cleanup_tmux EXIT

screen() { TM capture-pane -p -t t; }

# wait_for DESCRIPTION COMMAND...: poll the command (which may read the
# screen) for up to 10 s.
wait_for() {
    local desc=$1 i
    shift
    for i in $(seq 1 100); do
        if "$@" >/dev/null 2>&1; then
            ok "$desc"
            return 0
        fi
        sleep 0.1
    done
    not_ok "$desc" "screen was:" "$(screen)"
    return 1
}

shows() { screen | grep -q -- "$1"; }
hides() { ! screen | grep -q -- "$1"; }
first_conn() { screen | grep -o -m1 '/ip4/10\.0\.0\.[0-9]*/' | head -1; }
first_is() { [ "$(first_conn)" = "$1" ]; }
# rows_are N: N connection rows on screen (read at each poll)
rows_are() { [ "$(screen | grep -c '/ip4/10\.0\.0\.[0-9]*/tcp/')" -eq "$1" ]; }
keys() { TM send-keys -t t "$@"; }

if ! start_host main --conns 6; then
    not_ok "tool-host starts"
    finish
fi
URL=$HOST_URL
PORT=$(url_port "$URL")

# A plain shell in a 120x40 pane; top runs in it so that afterwards the
# shell shows whether the terminal was restored.
TM new-session -d -s t -x 120 -y 40 "env -i PATH=/usr/bin:/bin HOME=$TMP TERM=screen LANG=C.UTF-8 \
ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-} bash --norc --noprofile"
TM set-option -t t status off >/dev/null
run_top() {
    local tag=$1
    shift
    keys "clear; sh -c 'echo \$\$ > $TMP/top.pid; exec \"$PSC_TOP\" --interval 500 $* 2>$TMP/top-$tag.err'; \
echo TOP-EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\n' ' '; echo STTY-END" Enter
}

# ------------------------------------------------------------- the screen

run_top one "$URL"
wait_for "the header shows the node's peer id" shows "peer $SELF"
wait_for "connected" shows "connected"
wait_for "six connection rows" rows_are 6
wait_for "the footer lists the views" shows "1Conns 2Streams 3DHT 4PubSub 5Peers 6Limits 7Events 8Alerts"
wait_for "bandwidth with a sparkline" shows "in .*KB/s.*[▁▂▃▄▅▆▇█]"

# ---------------------------------------------------------------- sorting

wait_for "sorted by IN (desc): 10.0.0.6 first" first_is /ip4/10.0.0.6/
keys s
wait_for "s: sorted by OUT (desc): 10.0.0.1 first" first_is /ip4/10.0.0.1/
wait_for "s: the status line names the column" shows "sort OUT desc"
keys r
wait_for "r: reversed: 10.0.0.6 first" first_is /ip4/10.0.0.6/
keys '<'
wait_for "<: back to IN" shows "sort IN desc"
wait_for "<: 10.0.0.6 first" first_is /ip4/10.0.0.6/
keys '<' '<' '<'
wait_for "<<<: sorted by DIR" shows "sort DIR asc"

# ------------------------------------------------------------------ views

keys 3
wait_for "3: DHT view" shows "CPL"
wait_for "3: DHT buckets of 'wan'" shows "^wan "
keys g
wait_for "g: pubsub topics" shows "blocks .*yes"
keys a
wait_for "a: peerstore" shows "tool-host-peer/1.0"
keys l
wait_for "l: resource limits with bars" shows "system .*\[#"
keys 2
wait_for "2: streams by protocol" shows "/ipfs/kad/1.0.0"
keys e
wait_for "e: live event tail" shows "TestTick"
keys y
wait_for "y: one type in typed columns" shows "only [A-Za-z]* ("
keys Escape
wait_for "Esc: every type again" shows "Enter or y: one type in columns"
keys '!'
wait_for "!: the alerts view" shows "SEVERITY.* RULE *SUBJECT"
wait_for "!: tool-host has no analyzers" shows "no alert fires (or this node has no analyzers)"
keys 1
wait_for "1: connections" shows "REMOTE ADDR"
keys 8
wait_for "8: the alerts view" shows "SEVERITY.* RULE *SUBJECT"
keys 1
wait_for "1: connections again" shows "REMOTE ADDR"

# ----------------------------------------------------------------- filter

keys / 1 0 . 0 . 0 . 3 Enter
wait_for "/10.0.0.3: one row left" rows_are 1
wait_for "/10.0.0.3: the filter shows" shows "filter: 10.0.0.3"
keys Escape
wait_for "Esc: all six rows again" rows_are 6

# ---------------------------------------------------------- pause, interval

events_count() { screen | grep -o '[0-9]* events received' | grep -o '^[0-9]*'; }
events_above() { [ "$(events_count)" -gt "$1" ]; }
keys e p
wait_for "p: the status line says PAUSED" shows "PAUSED"
# let what was already on the way arrive: the count stops moving
n1=$(events_count)
for i in $(seq 1 20); do
    sleep 0.5
    n0=$n1
    n1=$(events_count)
    [ "$n0" = "$n1" ] && break
done
sleep 1.5
n2=$(events_count)
check "paused: no events arrive ($n1, then $n2)" test "$n1" -eq "$n2"
keys p
wait_for "p again: resumed" hides "PAUSED"
wait_for "resumed: events flow again" events_above "$n2"
keys 1
keys +
wait_for "+: a longer interval is applied" shows "every 1.0s"
keys -
wait_for "-: back to 0.5s" shows "every 0.5s"

# ---------------------------------------------------------- help, resize

keys '?'
wait_for "?: the help screen" shows "peerscope-top keys"
keys x
wait_for "any key closes the help" hides "peerscope-top keys"
TM resize-window -t t -x 80 -y 24
wait_for "resized to 80x24: the footer fits" shows "^1Conns 2Stre 3DHT"
wait_for "80x24: the peer id still shows" shows "$SELF"
wide=0
while IFS= read -r l; do [ ${#l} -gt 80 ] && wide=$((wide + 1)); done < <(screen)
check "80x24: nothing wider than the terminal" test "$wide" -eq 0
TM resize-window -t t -x 120 -y 40
wait_for "back to 120x40" shows "1Conns 2Streams 3DHT 4PubSub"

# ------------------------------------------------ a node that goes away

stop_pid "$HOST_PID" KILL
wait_for "killed node: disconnected, retrying" shows "disconnected (.*), retrying in [0-9]*s"
wait_for "the old data stays on screen" shows "peer $SELF"
# it comes back with 4 connections: fresh data, not the old rows
if start_host back --conns 4 --port "$PORT"; then
    ok "the node restarts on the same port"
    wait_for "reconnected" shows "  connected"
    wait_for "fresh rows after the reconnect (4 connections now)" rows_are 4
else
    not_ok "the node restarts on port $PORT"
fi

# ---------------------------------------------------------------- quit

keys q
wait_for "q: top exits with status 0" shows "TOP-EXIT=0"
wait_for "q: the terminal is back in canonical mode with echo" shows "^icanon echo STTY-END"
check "q: the alternate screen is off" test "$(TM display-message -p -t t '#{alternate_on}')" = 0
check "q: nothing on stderr (sanitizers quiet)" test ! -s "$TMP/top-one.err"

# ---------------------------------------------- several nodes, SIGTERM

if start_host second --conns 2; then
    run_top two "$URL" "$HOST_URL"
    wait_for "two nodes: node 1/2" shows "node 1/2"
    keys Tab
    wait_for "Tab: node 2/2" shows "node 2/2"
    wait_for "node 2/2: its two connections" rows_are 2
    keys N
    wait_for "N: back to node 1/2" shows "node 1/2"
    kill -TERM "$(cat "$TMP/top.pid")"
    wait_for "SIGTERM: top exits with status 0" shows "TOP-EXIT=0"
    wait_for "SIGTERM: the terminal is restored" shows "^icanon echo STTY-END"
    check "SIGTERM: nothing on stderr" test ! -s "$TMP/top-two.err"
fi

# ------------------------------------------- a node that refuses the token

# The refused node is reached through count_proxy.py, which counts the
# connections that reach the endpoint: a refused upgrade is no session, so
# the endpoint itself has nothing to count.
if [ -z "${PSC_PYTHON:-}" ]; then
    skip_test "a node that refuses the token" "python3 not found"
elif start_host auth --conns 1 --token correct-horse-battery-staple; then
    "$PSC_PYTHON" "$PSC_COUNT_PROXY" "$(url_port "$HOST_URL")" "$TMP/attempts" >"$TMP/proxy.out" 2>"$TMP/proxy.err" &
    STARTED_PIDS+=("$!")
    if wait_lines "$TMP/proxy.out" 1; then
        ok "the counting proxy starts"
    else
        not_ok "the counting proxy starts" "$(cat "$TMP/proxy.err")"
    fi
    PROXY_URL="ws://127.0.0.1:$(head -1 "$TMP/proxy.out")/introspect"
    attempts() { cat "$TMP/attempts"; }
    run_top auth --token wrong-token "$PROXY_URL" "$URL"
    wait_for "wrong token: the title keeps the URL and says refused, not retrying" \
        shows "node 1/2  $PROXY_URL  authentication refused, not retrying"
    wait_for "wrong token: the screen names --token and \$PEERSCOPE_TOKEN" \
        shows 'authentication refused: wrong or missing token (--token / \$PEERSCOPE_TOKEN)'
    check "wrong token: one connection reached the endpoint ($(attempts))" test "$(attempts)" -eq 1
    keys Tab e
    wait_for "the other node is connected" shows "node 2/2 .* connected"
    wait_for "the other node's events flow" events_above 0
    n0=$(events_count)
    # retries would come 1 s and then 3 s after the refusal; the other host
    # emits an event every 100 ms: 40 more of them span both
    wait_for "the other node received 40 more events" events_above $((n0 + 40))
    check "wrong token: still one connection, never retried ($(attempts))" test "$(attempts)" -eq 1
    keys Tab
    wait_for "the refused node still says so" shows "node 1/2 .*authentication refused, not retrying"
    keys q
    wait_for "q after a refusal: top exits with status 0" shows "TOP-EXIT=0"
    wait_for "q after a refusal: the terminal is restored" shows "^icanon echo STTY-END"
    check "refusal: nothing on stderr" test ! -s "$TMP/top-auth.err"
    stop_pid "$HOST_PID"
else
    not_ok "tool-host with a token starts"
fi

# ------------------------------------------- a host with alerts firing

if start_alert_host; then
    run_top alerts "$ALERT_URL"
    wait_for "alerting host: the header counts the alerts" shows "ALERTS 5 (1 critical)"
    wait_for "alerting host: the header shows the durations" shows "first peer 850ms  8 peers 2.43s  sync 8.48s"
    keys '!'
    wait_for "!: the firing alerts, the critical one first" shows "^critical *slow-peer"
    wait_for "!: the summary counts them" shows "5 firing: 1 critical, 3 warning, 1 info"
    keys / d h t Enter
    wait_for "/dht: the bucket alert alone" shows "1/5 rows"
    wait_for "/dht: its row" shows "^warning *dht-bucket-fill"
    keys Escape q
    wait_for "alerting host: top exits with status 0" shows "TOP-EXIT=0"
    check "alerting host: nothing on stderr" test ! -s "$TMP/top-alerts.err"
    stop_pid "$ALERT_PID"
elif [ -n "${ALERT_SKIP:-}" ]; then
    skip_test "top against a host with alerts" "$ALERT_SKIP"
else
    not_ok "the alert host starts"
fi

# Ctrl-C (SIGINT from the terminal) is a clean way out too
run_top three "$URL"
wait_for "third run: connected" shows "  connected"
keys C-c
wait_for "Ctrl-C: top exits with status 0" shows "TOP-EXIT=0"
wait_for "Ctrl-C: the terminal is restored" shows "^icanon echo STTY-END"
check "Ctrl-C: nothing on stderr" test ! -s "$TMP/top-three.err"

finish

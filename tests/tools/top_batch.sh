#!/bin/bash
# peerscope-top --batch: one plain-text frame per node, against tool-host
# (and the demo host when built); exit statuses and the command line.
# shellcheck source=lib.sh
. "$PSC_TOOLS_TESTLIB"

# the shortest state interval: --batch waits for two states (rates need a previous one)
TOP() { "$PSC_TOP" --interval 500 "$@"; }
SELF=12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN
export LANG=C.UTF-8 LC_ALL=C.UTF-8

if ! start_host main --conns 6; then
    not_ok "tool-host starts"
    finish
fi
URL=$HOST_URL
MAIN_PID=$HOST_PID

TOP --batch "$URL" >"$TMP/conns.txt" 2>"$TMP/conns.err"
expect_status "--batch: exit 0" 0 $? "$(cat "$TMP/conns.err")"
check "--batch: 40 lines (the default height)" test "$(lines "$TMP/conns.txt")" -eq 40
check "header: the node's peer id" grep -q "peer $SELF" "$TMP/conns.txt"
check "header: implementation and version" grep -q "tool-host 1.0" "$TMP/conns.txt"
check "header: connected" grep -q "connected" "$TMP/conns.txt"
check "header: counts" grep -q "conns 6  streams 12  peers 6" "$TMP/conns.txt"
check "six connection rows" test "$(grep -c '/ip4/10\.0\.0\.[1-6]/tcp/400[1-6]' "$TMP/conns.txt")" -eq 6
# default sort: most bytes in first; tool-host gives the last connection the most
first=$(grep -m1 -o '/ip4/10\.0\.0\.[0-9]*/' "$TMP/conns.txt")
check "sorted by bytes in: 10.0.0.6 first (got $first)" test "$first" = /ip4/10.0.0.6/
last=$(grep -o '/ip4/10\.0\.0\.[0-9]*/' "$TMP/conns.txt" | tail -1)
check "sorted by bytes in: 10.0.0.1 last (got $last)" test "$last" = /ip4/10.0.0.1/
check "rates come from the host's inst_bw" grep -q "6.00 KB/s" "$TMP/conns.txt"
check "the footer lists the views" grep -q "1Conns 2Streams 3DHT 4PubSub 5Peers 6Limits 7Events 8Alerts" "$TMP/conns.txt"
check "Unicode sparkline in a UTF-8 locale" grep -q "[▁▂▃▄▅▆▇█]" "$TMP/conns.txt"

view() {
    local name=$1 want=$2
    TOP --batch --view "$name" "$URL" >"$TMP/$name.txt" 2>"$TMP/$name.err"
    local st=$?
    if [ $st -eq 0 ] && grep -q -- "$want" "$TMP/$name.txt"; then
        ok "--view $name shows '$want'"
    else
        not_ok "--view $name shows '$want'" "exit $st" "$(cat "$TMP/$name.txt" "$TMP/$name.err")"
    fi
}
view streams "/ipfs/kad/1.0.0 *6 "
view dht "wan *0 "
view pubsub "blocks *yes"
view peers "tool-host-peer/1.0"
view limits "system"
view events "TestTick"
view 7 "n=[0-9]*  peer=12D3KooW"
# tool-host has no analyzers: the alerts view says so, the header has no count
view alerts "no alert fires (or this node has no analyzers)"
view 8 "SEVERITY.* RULE *SUBJECT"
check "no alert count in the header of a host without alerts" bash -c "! sed -n 3p '$TMP/alerts.txt' | grep -qi alert"

TOP --batch --ascii "$URL" >"$TMP/ascii.txt"
check "--ascii: pure ASCII frame" bash -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/ascii.txt'"
LANG=C LC_ALL=C TOP --batch "$URL" >"$TMP/c.txt"
check "C locale: ASCII without being asked" bash -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/c.txt'"

TOP --batch --width 80 --height 24 "$URL" >"$TMP/small.txt"
expect_status "80x24: exit 0" 0 $?
check "80x24: 24 lines" test "$(lines "$TMP/small.txt")" -eq 24
wide=0
while IFS= read -r l; do [ ${#l} -gt 80 ] && wide=$((wide + 1)); done <"$TMP/small.txt"
check "80x24: no line wider than 80 columns" test "$wide" -eq 0
check "80x24: the peer id still shows" grep -q "$SELF" "$TMP/small.txt"
check "80x24: the connection rows too" test "$(grep -c '/ip4/10\.0\.0\.' "$TMP/small.txt")" -eq 6

# several nodes: one frame each
if start_host second --conns 2; then
    TOP --batch --height 20 "$URL" "$HOST_URL" >"$TMP/two.txt" 2>"$TMP/two.err"
    expect_status "two nodes: exit 0" 0 $? "$(cat "$TMP/two.err")"
    check "two nodes: node 1/2 and node 2/2" test "$(grep -c 'node [12]/2' "$TMP/two.txt")" -eq 2
    check "two nodes: 41 lines (two frames and a blank)" test "$(lines "$TMP/two.txt")" -eq 41
    stop_pid "$HOST_PID"
fi

# exit statuses
closed_port_url
TOP --batch --timeout 5 "$CLOSED_URL" >"$TMP/refused.txt" 2>"$TMP/refused.err"
expect_status "refused: exit 3" 3 $? "$(cat "$TMP/refused.err")"
check "refused: the frame says disconnected" grep -q "disconnected" "$TMP/refused.txt"
check "refused: stderr says why" grep -q "connection failed" "$TMP/refused.err"
if start_host auth --conns 1 --token correct-horse-battery-staple; then
    TOP --batch --token nope "$HOST_URL" >/dev/null 2>"$TMP/auth.err"
    expect_status "wrong token: exit 4" 4 $? "$(cat "$TMP/auth.err")"
    check "wrong token: authentication refused" grep -q "authentication refused" "$TMP/auth.err"
    TOP --batch --token correct-horse-battery-staple "$HOST_URL" >/dev/null 2>&1
    expect_status "right token: exit 0" 0 $?
    stop_pid "$HOST_PID"
fi
TOP --batch >/dev/null 2>&1
expect_status "no URL: exit 2" 2 $?
TOP --batch "http://127.0.0.1:1/" >/dev/null 2>&1
expect_status "not a ws:// URL: exit 2" 2 $?
TOP --batch --view nonsense "$URL" >/dev/null 2>&1
expect_status "unknown view: exit 2" 2 $?
TOP "$URL" </dev/null >/dev/null 2>"$TMP/notty.err"
expect_status "no terminal and no --batch: exit 1" 1 $?
check "no terminal: says to use --batch" grep -q "needs a terminal" "$TMP/notty.err"
TOP --help | grep -q "Keys:"
check "--help lists the keys" test $? -eq 0

# a host whose states carry alerts and milestones
if start_alert_host; then
    TOP --batch --width 120 --height 20 "$ALERT_URL" >"$TMP/alerting.txt" 2>"$TMP/alerting.err"
    expect_status "alerting host: exit 0" 0 $? "$(cat "$TMP/alerting.err")"
    check "alerting host: the header counts the alerts, the critical one named" \
        grep -q "peers 12  ALERTS 5 (1 critical)" "$TMP/alerting.txt"
    check "alerting host: the header shows the durations" \
        grep -q "first peer 850ms  8 peers 2.43s  sync 8.48s" "$TMP/alerting.txt"
    TOP --batch --view alerts --width 120 --height 20 "$ALERT_URL" >"$TMP/alerting-view.txt" 2>&1
    check "alerting host: the alerts view says what fires" \
        grep -q "5 firing: 1 critical, 3 warning, 1 info" "$TMP/alerting-view.txt"
    check "alerting host: the critical alert is the first row" \
        bash -c "sed -n 6p '$TMP/alerting-view.txt' | grep -q '^critical *slow-peer .* peer *912.5 *500 '"
    check "alerting host: one row per alert" \
        test "$(grep -c -E '^(critical|warning|info) ' "$TMP/alerting-view.txt")" -eq 5
    for want in "mesh-low *peerscope-demo *topic" "dht-bucket-fill *0 *bucket" "stream-leak */ipfs/kad/1.0.0 *protocol" \
        "scope-near-limit *libp2p.relay/v2 *scope"; do
        check "alerting host: a row '$want'" grep -q -- "$want" "$TMP/alerting-view.txt"
    done
    stop_pid "$ALERT_PID"
else
    if [ -n "${ALERT_SKIP:-}" ]; then skip_test "top against a host with alerts" "$ALERT_SKIP"; else not_ok "the alert host starts"; fi
fi

# peerscope-hub's fleet socket (the mock standing in for it): the fleet is the first view
if start_fleet_host; then
    TOP --batch --width 200 --height 30 "$FLEET_URL" >"$TMP/fleet.txt" 2>"$TMP/fleet.err"
    expect_status "fleet: exit 0" 0 $? "$(cat "$TMP/fleet.err")"
    check "fleet: the first view is the fleet table" grep -q "^NODE.* STATE .* PEERS .* ALERTS " "$TMP/fleet.txt"
    check "fleet: a column per duration, side by side" grep -q "ALERTS  *FIRST PEER  *8 PEERS  *SYNC  *LAST SEQ" "$TMP/fleet.txt"
    check "fleet: 20 rows, by name" test "$(grep -c '^node-[0-9][0-9] ' "$TMP/fleet.txt")" -eq 20
    check "fleet: node-01 first, node-20 last" bash -c "grep -o '^node-[0-9]*' '$TMP/fleet.txt' | sed -n '1p;20p' | tr '\n' ' ' | grep -qx 'node-01 node-20 '"
    check "fleet: 19 up" test "$(grep -c '^node-[0-9][0-9]  *up ' "$TMP/fleet.txt")" -eq 19
    check "fleet: node-20 down, and why" grep -q "^node-20  *down .*connection refused" "$TMP/fleet.txt"
    check "fleet: the header sums the fleet" grep -q "nodes 20  up 19  down 1  peers [0-9]*" "$TMP/fleet.txt"
    check "fleet: the hub's runtime" grep -q "^hub .*peerscope-hub 0.1.0" "$TMP/fleet.txt"
    check "fleet: node-05's alerts and durations" grep -q "^node-05 .* 0/1/0  *140ms  *2.40s " "$TMP/fleet.txt"
    check "fleet: the footer offers the fleet view" grep -q "9Fleet" "$TMP/fleet.txt"
    TOP --batch --width 80 --height 24 "$FLEET_URL" >"$TMP/fleet80.txt" 2>&1
    wide=0
    while IFS= read -r l; do [ ${#l} -gt 80 ] && wide=$((wide + 1)); done <"$TMP/fleet80.txt"
    check "fleet 80x24: no line wider than 80 columns" test "$wide" -eq 0
    check "fleet 80x24: names, state and alerts still there" grep -q "^node-01  *up .* [0-9]/[0-9]/[0-9]" "$TMP/fleet80.txt"
    TOP --batch --view events --width 160 "$FLEET_URL" >"$TMP/fleet-events.txt" 2>&1
    check "fleet: --view events keeps the events view, with whose event it is" grep -q "TIME.* NODE  *TYPE  *DETAILS" "$TMP/fleet-events.txt"
    # a node as the hub re-serves it: its own session, its own views
    NODE_URL="${FLEET_URL%/introspect}/node/node-03/introspect"
    TOP --batch --width 160 "$NODE_URL" >"$TMP/fleet-node.txt" 2>"$TMP/fleet-node.err"
    expect_status "fleet node page: exit 0" 0 $? "$(cat "$TMP/fleet-node.err")"
    check "fleet node page: the connections view of that node" grep -q "^peer 12D3KooW.*peerscope-synthetic" "$TMP/fleet-node.txt"
    stop_pid "$FLEET_PID"
else
    if [ -n "${FLEET_SKIP:-}" ]; then skip_test "top against a fleet" "$FLEET_SKIP"; else not_ok "the fleet host starts"; fi
fi

# the real peerscope-hub pulling three demo nodes: the fleet table with their peer ids
if [ ! -x "${PSC_HUB:-}" ] || [ ! -x "${PSC_DEMO:-}" ]; then
    skip_test "top against peerscope-hub" "peerscope-hub or peerscope-demo not built"
else
    : >"$TMP/nodes.txt"
    hub_peers=()
    for i in 1 2 3; do
        start_demo "hub-demo-$i" --seed "$i" --peers 20 --conns 4 --event-rate 1 || break
        echo "fleet-$i $DEMO_URL" >>"$TMP/nodes.txt"
        hub_peers+=("$DEMO_PEER")
    done
    "$PSC_HUB" --port 0 --quiet --nodes "$TMP/nodes.txt" >"$TMP/hub.out" 2>"$TMP/hub.err" &
    HUB_PID=$!
    STARTED_PIDS+=("$HUB_PID")
    HUB_URL=""
    for i in $(seq 1 100); do
        HUB_URL=$(sed -n 's/.*fleet socket: *//p' "$TMP/hub.out" 2>/dev/null)
        [ -n "$HUB_URL" ] && break
        kill -0 "$HUB_PID" 2>/dev/null || break
        sleep 0.1
    done
    up=0
    # the hub dials its nodes after it starts: wait (bounded) until all three are up
    for i in $(seq 1 30); do
        [ -n "$HUB_URL" ] || break
        TOP --batch --width 200 --height 20 "$HUB_URL" >"$TMP/hub-fleet.txt" 2>"$TMP/hub-fleet.err"
        up=$(grep -c '^fleet-[123]  *up ' "$TMP/hub-fleet.txt")
        [ "$up" -eq 3 ] && break
        sleep 0.5
    done
    check "hub: three fleet rows up" test "$up" -eq 3
    check "hub: the fleet is the first view" grep -q "^NODE.* STATE .* PEERS " "$TMP/hub-fleet.txt"
    for i in 0 1 2; do
        p=${hub_peers[$i]:-none}
        check "hub: fleet-$((i + 1)) shows its demo's peer id" grep -q "^fleet-$((i + 1)) .*${p:0:8}…${p: -5}" "$TMP/hub-fleet.txt"
    done
    # what Enter opens: the node re-served at the hub's /node/NAME/introspect
    TOP --batch --width 200 "${HUB_URL%/introspect}/node/fleet-2/introspect" >"$TMP/hub-node.txt" 2>"$TMP/hub-node.err"
    expect_status "hub: a re-served node: exit 0" 0 $? "$(cat "$TMP/hub-node.err")"
    check "hub: the re-served fleet-2 is its demo" grep -q "^peer ${hub_peers[1]:-none}" "$TMP/hub-node.txt"
    stop_pid "$HUB_PID"
fi

if [ ! -x "${PSC_DEMO:-}" ]; then
    skip_test "top against the demo host" "peerscope-demo not built"
elif start_demo; then
    DURL=$DEMO_URL
    DPEER=$DEMO_PEER
    for v in conns streams dht pubsub peers limits events; do
        # wide enough for the whole peer id next to the demo's durations
        TOP --batch --width 200 --view $v "$DURL" >"$TMP/demo-$v.txt" 2>"$TMP/demo-$v.err"
        st=$?
        rows=$(sed -n '6,38p' "$TMP/demo-$v.txt" | grep -c '[^ ]')
        if [ $st -eq 0 ] && grep -q "peer $DPEER" "$TMP/demo-$v.txt" && [ "$rows" -gt 0 ]; then
            ok "demo: --view $v shows the demo's peer id and $rows rows"
        else
            not_ok "demo: --view $v" "exit $st, $rows rows" "$(cat "$TMP/demo-$v.txt" "$TMP/demo-$v.err")"
        fi
    done
    stop_pid "$DEMO_PID"
else
    not_ok "the demo host starts" "$(cat "$TMP/demo.err" 2>/dev/null)"
fi

stop_pid "$MAIN_PID"
finish

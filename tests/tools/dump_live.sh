#!/bin/bash
# peerscope-dump against live hosts: tool-host (deterministic), a host with
# a token, a closed port, a host that goes away; the demo host if built.
# shellcheck source=lib.sh
. "$PSC_TOOLS_TESTLIB"

DUMP=$PSC_DUMP
SELF=12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN

if ! start_host main --conns 6; then
    not_ok "tool-host starts"
    finish
fi
URL=$HOST_URL
MAIN_PID=$HOST_PID

# ------------------------------------------------------------- one-shot

"$DUMP" --state-once "$URL" >"$TMP/state.jsonl" 2>"$TMP/state.err"
expect_status "--state-once: exit 0" 0 $? "$(cat "$TMP/state.err")"
check "--state-once: one line" test "$(lines "$TMP/state.jsonl")" -eq 1
check "--state-once: a state with the host's 6 connections" \
    test "$(jq -r '.state.subsystems.connections | length' "$TMP/state.jsonl")" -eq 6
check "--state-once: remote addresses as reported" \
    test "$(jq -r '.state.subsystems.connections[5].endpoints.dst_multiaddr' "$TMP/state.jsonl")" = /ip4/10.0.0.6/tcp/4006
check "--state-once: peerscope fields too (stream_count, seq)" \
    test "$(jq -r '(.state.subsystems.connections[2].stream_count) + (.state.seq | if . > 0 then 0 else 100 end)' "$TMP/state.jsonl")" -eq 3
check "--state-once: DHT, pubsub, peerstore, resource manager" \
    test "$(jq -r '.state.subsystems | [.dht.name, .pubsub.router, (.peerstore.peers | length | tostring), .resource_manager.scopes[0].kind] | join(",")' "$TMP/state.jsonl")" = "wan,gossipsub,6,SYSTEM"

"$DUMP" --runtime --state-once "$URL" >"$TMP/rs.jsonl"
expect_status "--runtime --state-once: exit 0" 0 $?
check "--runtime --state-once: two messages" test "$(lines "$TMP/rs.jsonl")" -eq 2
check "--runtime: the host's peer id" test "$(jq -r 'select(has("runtime")) | .runtime.peer_id' "$TMP/rs.jsonl")" = "$SELF"
check "--runtime: event types with typed properties" \
    test "$(jq -r 'select(has("runtime")) | .runtime.event_types[] | select(.name == "TestTick") | [.property_types[].type] | join(",")' "$TMP/rs.jsonl")" = "NUMBER,PEERID,TIME,MULTIADDR"

"$DUMP" --responses --state-once "$URL" >"$TMP/resp.jsonl"
check "--responses: the HELLO response is printed" \
    test "$(jq -r 'select(has("response")) | .response.result' "$TMP/resp.jsonl")" = OK

# ------------------------------------------------------------- follow

"$DUMP" --follow-events --count 5 "$URL" >"$TMP/ev.jsonl" 2>"$TMP/ev.err"
expect_status "--follow-events --count 5: exit 0" 0 $? "$(cat "$TMP/ev.err")"
check "--follow-events: 5 lines" test "$(lines "$TMP/ev.jsonl")" -eq 5
if bad=$(all_json_lines "$TMP/ev.jsonl"); then ok "--follow-events: JSON lines"; else not_ok "--follow-events: JSON lines" "$bad"; fi
check "--follow-events: only events" test "$(jq -r 'select(has("event")) | 1' "$TMP/ev.jsonl" | wc -l)" -eq 5
check "--follow-events: contents are JSON objects" \
    test "$(jq -r 'select(.event.type.name == "TestTick") | .event.content | fromjson | has("peer")' "$TMP/ev.jsonl" | sort -u)" = true

"$DUMP" --follow-states --interval 500 --count 2 "$URL" >"$TMP/fs.jsonl"
expect_status "--follow-states --interval 500 --count 2: exit 0" 0 $?
check "--follow-states: two states, in order" \
    test "$(jq -s -r '(.[1].state.seq > .[0].state.seq) and (.[1].state.instant_ts > .[0].state.instant_ts)' "$TMP/fs.jsonl")" = true

start=$(date +%s%N)
"$DUMP" --follow-events --duration 1 "$URL" >"$TMP/dur.jsonl"
st=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
expect_status "--duration 1: exit 0" 0 $st
check "--duration 1: stopped after about a second (${elapsed} ms)" test "$elapsed" -ge 900 -a "$elapsed" -lt 6000
check "--duration 1: some events arrived" test "$(lines "$TMP/dur.jsonl")" -ge 3

"$DUMP" --count 4 "$URL" >"$TMP/def.jsonl"
expect_status "default (runtime + states + events) --count 4: exit 0" 0 $?
check "default: 4 lines" test "$(lines "$TMP/def.jsonl")" -eq 4

# SIGINT while following: a clean stop with complete lines
"$DUMP" --follow-events "$URL" >"$TMP/int.jsonl" 2>"$TMP/int.err" &
dpid=$!
STARTED_PIDS+=("$dpid")
wait_lines "$TMP/int.jsonl" 2
kill -INT "$dpid"
wait "$dpid"
expect_status "SIGINT: exit 0" 0 $? "$(cat "$TMP/int.err")"
if bad=$(all_json_lines "$TMP/int.jsonl"); then ok "SIGINT: every line complete"; else not_ok "SIGINT: every line complete" "$bad"; fi

# --raw: a recording of the live stream, readable by --file
"$DUMP" --follow-events --count 3 --raw "$TMP/live.mock" "$URL"
expect_status "--raw from a live endpoint: exit 0" 0 $?
"$DUMP" --file "$TMP/live.mock" >"$TMP/live.jsonl"
expect_status "the live recording reads back" 0 $?
check "the live recording holds the 3 events" test "$(jq -r 'select(has("event")) | 1' "$TMP/live.jsonl" | wc -l)" -eq 3

# ------------------------------------------------------ failures, codes

closed_port_url
"$DUMP" --state-once "$CLOSED_URL" >/dev/null 2>"$TMP/refused.err"
expect_status "connection refused: exit 3" 3 $? "$(cat "$TMP/refused.err")"
check "connection refused: says so" grep -q "cannot connect" "$TMP/refused.err"

"$DUMP" --state-once "ws://127.0.0.1:99999/" >/dev/null 2>&1
expect_status "bad port in the URL: exit 2" 2 $?

TOKEN=correct-horse-battery-staple
if start_host auth --conns 2 --token "$TOKEN"; then
    AURL=$HOST_URL
    "$DUMP" --state-once "$AURL" >/dev/null 2>"$TMP/noauth.err"
    expect_status "no token: exit 4" 4 $? "$(cat "$TMP/noauth.err")"
    check "no token: says authentication was refused" grep -q "authentication refused" "$TMP/noauth.err"
    "$DUMP" --state-once --token wrong-token-wrong-token "$AURL" >/dev/null 2>"$TMP/badauth.err"
    expect_status "wrong token: exit 4" 4 $? "$(cat "$TMP/badauth.err")"
    "$DUMP" --state-once --token "$TOKEN" "$AURL" >"$TMP/auth.jsonl" 2>"$TMP/auth.err"
    expect_status "right token: exit 0" 0 $? "$(cat "$TMP/auth.err")"
    PEERSCOPE_TOKEN=$TOKEN "$DUMP" --state-once "$AURL" >/dev/null 2>&1
    expect_status "token from \$PEERSCOPE_TOKEN: exit 0" 0 $?
    stop_pid "$HOST_PID"
else
    not_ok "tool-host with a token starts"
fi

# a host that goes away while followed

# follow_then_stop NAME SIGNAL: follow a fresh host's events and end the
# host with SIGNAL once one came; FOLLOW_STATUS is dump's exit status,
# its stderr is in $TMP/NAME.err.
follow_then_stop() {
    start_host "$1" --conns 1 || return 1
    "$DUMP" --follow-events "$HOST_URL" >"$TMP/$1.jsonl" 2>"$TMP/$1.err" &
    local dpid=$!
    STARTED_PIDS+=("$dpid")
    wait_lines "$TMP/$1.jsonl" 1
    stop_pid "$HOST_PID" "$2"
    wait "$dpid"
    FOLLOW_STATUS=$?
}
if follow_then_stop gone TERM; then
    expect_status "host stopped (close 1001) while following: exit 0" 0 "$FOLLOW_STATUS" "$(cat "$TMP/gone.err")"
    check "host stopped: a note on stderr" grep -q "closed the connection" "$TMP/gone.err"
fi
if follow_then_stop killed KILL; then
    expect_status "host killed while following: exit 3" 3 "$FOLLOW_STATUS" "$(cat "$TMP/killed.err")"
    check "host killed: connection lost" grep -q "connection lost" "$TMP/killed.err"
fi
if start_host killed2 --conns 1; then
    # killed before the one-shot answer could come: a failure, not a success
    stop_pid "$HOST_PID" KILL
    "$DUMP" --state-once "$HOST_URL" >/dev/null 2>&1
    expect_status "host gone before the answer: exit 3" 3 $?
fi

# ---------------------------------------------------------- demo host

if [ ! -x "${PSC_DEMO:-}" ]; then
    skip_test "dump against the demo host" "peerscope-demo not built"
elif start_demo; then
    DURL=$DEMO_URL
    DPEER=$DEMO_PEER
    "$DUMP" --runtime --state-once "$DURL" >"$TMP/demo.jsonl" 2>"$TMP/demo-dump.err"
    expect_status "demo: --runtime --state-once exit 0" 0 $? "$(cat "$TMP/demo-dump.err")"
    check "demo: the runtime names the demo's peer id" \
        test "$(jq -r 'select(has("runtime")) | .runtime.peer_id' "$TMP/demo.jsonl")" = "$DPEER"
    check "demo: the state has connections" \
        test "$(jq -r 'select(has("state")) | .state.subsystems.connections | length' "$TMP/demo.jsonl")" -gt 0
    "$DUMP" --follow-events --count 10 "$DURL" >"$TMP/demo-ev.jsonl"
    expect_status "demo: --follow-events --count 10 exit 0" 0 $?
    if bad=$(all_json_lines "$TMP/demo-ev.jsonl"); then ok "demo: event lines parse"; else not_ok "demo: event lines parse" "$bad"; fi
    stop_pid "$DEMO_PID"
else
    not_ok "the demo host starts" "$(cat "$TMP/demo.err" 2>/dev/null)"
fi

kill -0 "$MAIN_PID" 2>/dev/null
check "tool-host is still running (nothing crashed it)" test $? -eq 0
stop_pid "$MAIN_PID"
finish

#!/bin/bash
# GET /metrics of a running peerscope-demo, checked by the tools operators
# use: promtool on the text, then a real Prometheus server (started here,
# in a temporary directory, on a free loopback port, scraping every 1 s
# with the token in its scrape config, and a second job with a wrong one)
# whose PromQL answers (/api/v1/query) must match the State that
# peerscope-dump reads from the same demo at the same time.
#
# What "the same time" means: a scrape renders its own snapshot, so the
# test brackets it. It reads state S1, waits until Prometheus holds a
# sample whose peerscope_snapshot_timestamp_seconds is later than S1, reads
# state S2, and evaluates its queries at that moment. Counters (traffic,
# dials) must then lie within [S1, S2]; values that do not move once the
# demo's connections are up (it runs with --churn 0) must equal S1 and S2.
# Every wait is a bounded poll of a condition.
# shellcheck source=../tools/lib.sh
. "$PSC_TOOLS_TESTLIB"

DEMO=$PSC_DEMO
DUMP=$PSC_DUMP
PROMETHEUS=$(command -v prometheus || true)
PROMTOOL=$(command -v promtool || true)
TOKEN=metrics-roundtrip-token-0123456789
WRONG=metrics-roundtrip-wrong-9876543210

if [ ! -x "$DEMO" ] || [ ! -x "$DUMP" ] || [ -z "$PROMETHEUS" ] || [ -z "$PROMTOOL" ] || ! command -v jq >/dev/null ||
    ! command -v curl >/dev/null; then
    skip_test "prometheus round trip" "needs peerscope-demo, peerscope-dump, prometheus, promtool, jq and curl"
    finish
fi

free_port() {
    "${PSC_PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------- the demo

"$DEMO" --port 0 --token "$TOKEN" --seed 7 --peers 100 --conns 20 --churn 0 --event-rate 0 --duration 300 --quiet \
    >"$TMP/demo.out" 2>"$TMP/demo.err" &
DEMO_PID=$!
STARTED_PIDS+=("$DEMO_PID")
WS_URL=""
for _ in $(seq 1 100); do
    WS_URL=$(grep -o 'ws://[^ ?]*' "$TMP/demo.out" 2>/dev/null | head -1)
    [ -n "$WS_URL" ] && break
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$WS_URL" ]; then
    not_ok "the demo starts" "$(cat "$TMP/demo.err")"
    finish
fi
HOSTPORT=${WS_URL#ws://}
HOSTPORT=${HOSTPORT%%/*}
METRICS=http://$HOSTPORT/metrics

code=$(curl -s -o "$TMP/m.txt" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$METRICS")
check "GET /metrics with the token: 200" test "$code" = 200
check "GET /metrics: every family's TYPE" test "$(grep -c '^# TYPE peerscope_' "$TMP/m.txt")" -ge 20
if out=$("$PROMTOOL" check metrics <"$TMP/m.txt" 2>&1); then
    ok "promtool check metrics: the demo's 0.0.4 text"
else
    not_ok "promtool check metrics: the demo's 0.0.4 text" "$out"
fi
curl -s -o "$TMP/om.txt" -H "Authorization: Bearer $TOKEN" -H 'Accept: application/openmetrics-text; version=1.0.0' \
    "$METRICS"
check "OpenMetrics when asked: ends with # EOF" test "$(tail -n1 "$TMP/om.txt")" = "# EOF"
check "OpenMetrics: the same series as 0.0.4" \
    test "$(grep -vc '^#' "$TMP/om.txt")" -eq "$(grep -vc '^#' "$TMP/m.txt")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WRONG" "$METRICS")
check "GET /metrics with a wrong token: 401" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' "$METRICS")
check "GET /metrics without a token: 401" test "$code" = 401

# ------------------------------------------------------------- Prometheus

PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
mkdir -p "$TMP/tsdb"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: peerscope
    metrics_path: /metrics
    authorization:
      credentials: $TOKEN
    static_configs:
      - targets: ['$HOSTPORT']
  - job_name: wrongtoken
    metrics_path: /metrics
    authorization:
      credentials: $WRONG
    static_configs:
      - targets: ['$HOSTPORT']
EOF
"$PROMETHEUS" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom.out" 2>&1 &
PROM_PID=$!
STARTED_PIDS+=("$PROM_PID")

# query PROMQL [TIME]: the instant vector's JSON result array
query() {
    local args=(--data-urlencode "query=$1")
    [ -n "${2:-}" ] && args+=(--data-urlencode "time=$2")
    curl -s -G "${args[@]}" "$PROM/api/v1/query" | jq -c '.data.result'
}
# value PROMQL TIME: the single sample's value ("" if none)
value() {
    query "$1" "$2" | jq -r 'if length == 1 then .[0].value[1] else "" end'
}

healthy=""
for _ in $(seq 1 300); do
    if curl -s "$PROM/api/v1/targets" >"$TMP/targets.json" 2>/dev/null &&
        [ "$(jq -r '[.data.activeTargets[] | select(.health != "unknown")] | length' "$TMP/targets.json" 2>/dev/null)" = 2 ]; then
        healthy=yes
        break
    fi
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$healthy" ]; then
    not_ok "Prometheus scrapes both jobs" "$(tail -5 "$TMP/prom.out")"
    finish
fi
ok "Prometheus scrapes both jobs"
check "the job with the token is up" \
    test "$(jq -r '.data.activeTargets[] | select(.labels.job == "peerscope") | .health' "$TMP/targets.json")" = up
check "the job with a wrong token is refused (401)" \
    bash -c "jq -r '.data.activeTargets[] | select(.labels.job == \"wrongtoken\") | .health + \" \" + .lastError' '$TMP/targets.json' | grep -q '^down .*401'"

# ------------------------------------------------------------- values

state() {
    "$DUMP" --token "$TOKEN" --state-once "$WS_URL" >"$1" 2>"$1.err"
}
conn_summary() {
    jq -r '.state.subsystems.connections | [length, (map(select(.status == "ACTIVE")) | length)] | join(" ")' "$1"
}

# the demo's connections up: two states in a row with the same 20 active
stable=""
prev=""
for _ in $(seq 1 300); do
    state "$TMP/s.json"
    cur=$(conn_summary "$TMP/s.json")
    if [ "$cur" = "20 20" ] && [ "$prev" = "$cur" ]; then
        stable=yes
        break
    fi
    prev=$cur
    sleep 0.2
done
check "the demo's 20 connections are up" test -n "$stable"

state "$TMP/s1.json"
S1_TS=$(jq -r '.state.instant_ts' "$TMP/s1.json")
T=""
for _ in $(seq 1 300); do
    now=$(date +%s.%N)
    v=$(value 'peerscope_snapshot_timestamp_seconds{job="peerscope"}' "$now")
    if [ -n "$v" ] && jq -e -n "($v * 1000) > $S1_TS" >/dev/null; then
        T=$now
        break
    fi
    sleep 0.2
done
state "$TMP/s2.json"
if [ -z "$T" ]; then
    not_ok "Prometheus holds a scrape after state S1"
    finish
fi
ok "Prometheus holds a scrape after state S1"

jqv() { jq -r "$1" "$2"; }
in1=$(jqv '.state.traffic.traffic_in.cum_bytes' "$TMP/s1.json")
in2=$(jqv '.state.traffic.traffic_in.cum_bytes' "$TMP/s2.json")
out1=$(jqv '.state.traffic.traffic_out.cum_bytes' "$TMP/s1.json")
out2=$(jqv '.state.traffic.traffic_out.cum_bytes' "$TMP/s2.json")
d1=$(jqv '.state.subsystems.dialer.outcomes.success' "$TMP/s1.json")
d2=$(jqv '.state.subsystems.dialer.outcomes.success' "$TMP/s2.json")
c1=$(conn_summary "$TMP/s1.json")
c2=$(conn_summary "$TMP/s2.json")
topics=$(jqv '.state.subsystems.pubsub.topics | length' "$TMP/s1.json")
memlimit=$(jqv '.state.subsystems.resource_manager.scopes[] | select(.kind == "SYSTEM") | .limit.memory' "$TMP/s1.json")
tcp1=$(jqv '[.state.subsystems.connections[] | select(.transport_name == "tcp")] | length' "$TMP/s1.json")
tcp2=$(jqv '[.state.subsystems.connections[] | select(.transport_name == "tcp")] | length' "$TMP/s2.json")

between() { # LOW VALUE HIGH (numbers as Prometheus prints them)
    jq -e -n "($1) <= ($2) and ($2) <= ($3)" >/dev/null
}

v=$(value 'peerscope_traffic_bytes_total{job="peerscope",direction="in"}' "$T")
check "traffic in: S1 <= Prometheus <= S2 ($in1 <= $v <= $in2)" between "$in1" "${v:-0}" "$in2"
v=$(value 'peerscope_traffic_bytes_total{job="peerscope",direction="out"}' "$T")
check "traffic out: S1 <= Prometheus <= S2 ($out1 <= $v <= $out2)" between "$out1" "${v:-0}" "$out2"
v=$(value 'peerscope_dials_total{job="peerscope",outcome="success"}' "$T")
check "successful dials: S1 <= Prometheus <= S2 ($d1 <= $v <= $d2)" between "$d1" "${v:-0}" "$d2"
check "connections did not change between S1 and S2" test "$c1" = "$c2"
v=$(value 'sum(peerscope_connections{job="peerscope"})' "$T")
check "sum(peerscope_connections) is the state's ${c1% *} ($v)" test "$v" = "${c1% *}"
v=$(value 'sum(peerscope_connections{job="peerscope",status="active"})' "$T")
check "active connections are the state's ${c1#* } ($v)" test "$v" = "${c1#* }"
v=$(value 'sum(peerscope_connections{job="peerscope",transport="tcp"})' "$T")
check "tcp connections are the state's $tcp1 ($v)" bash -c "[ '$tcp1' = '$tcp2' ] && [ '$v' = '$tcp1' ]"
v=$(value 'count(peerscope_pubsub_topic_peers{job="peerscope"})' "$T")
check "one pubsub series per topic: $topics ($v)" test "$v" = "$topics"
v=$(value 'peerscope_resource_limit{job="peerscope",scope_kind="system",resource="memory"}' "$T")
check "the system scope's memory limit: $memlimit ($v)" test "$v" = "$memlimit"
v=$(query 'peerscope_peer_bytes' "$T")
check "no peer-id series by default" test "$v" = "[]"
v=$(value 'up{job="wrongtoken"}' "$T")
check "up{job=\"wrongtoken\"} is 0" test "$v" = 0

finish

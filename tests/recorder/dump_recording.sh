#!/bin/bash
# A recording the flight recorder wrote (record-sample: 10 states, of
# which 6 were held as deltas, and 20 events), read by peerscope-dump.
# shellcheck source=../tools/lib.sh
. "$PSC_TOOLS_TESTLIB"

REC="$TMP/sample.rec"
OUT="$TMP/sample.jsonl"
"$PSC_RECORD_SAMPLE" "$REC" >"$TMP/record.out" 2>"$TMP/record.err"
expect_status "record-sample writes a recording" 0 $? "$(cat "$TMP/record.err")"
check "it held 6 of the states as deltas" grep -q "states 10 (4 whole, 6 deltas), events 20" "$TMP/record.out"

"$PSC_DUMP" --strict --file "$REC" >"$OUT" 2>"$TMP/dump.err"
expect_status "peerscope-dump --strict reads it: exit 0" 0 $? "$(cat "$TMP/dump.err")"
check "no warnings" test ! -s "$TMP/dump.err"
check "31 records" test "$(lines "$OUT")" -eq 31
if bad=$(all_json_lines "$OUT"); then ok "every line parses as a JSON object"; else not_ok "every line parses" "$bad"; fi
check "the Runtime comes first" test "$(head -1 "$OUT" | jq -r '.runtime.implementation')" = record-sample
check "10 states" test "$(jq -r 'select(.state) | 1' "$OUT" | wc -l)" -eq 10
check "20 events" test "$(jq -r 'select(.event) | 1' "$OUT" | wc -l)" -eq 20
check "no state is a delta (2020 tools know none)" test "$(jq -r 'select(.state) | .state | has("delta")' "$OUT" | sort -u)" = false

# every state whole: state k has connections 1..k+1, with their bytes
conns=$(jq -r 'select(.state) | .state.subsystems.connections | length' "$OUT" | tr '\n' ' ')
check "states hold 1..10 connections ($conns)" test "$conns" = "1 2 3 4 5 6 7 8 9 10 "
bytes=$(jq -r 'select(.state) | .state.subsystems.connections | map(.traffic.traffic_in.cum_bytes // 0 | tonumber) | add' "$OUT" | tr '\n' ' ')
check "each connection's bytes as the host counted them ($bytes)" \
    test "$bytes" = "1000 4000 10000 20000 35000 56000 84000 120000 165000 220000 "
seqs=$(jq -r 'select(.state) | .state.seq' "$OUT" | tr '\n' ' ')
check "states in order ($seqs)" test "$seqs" = "1 2 3 4 5 6 7 8 9 10 "

# events in order, each type's metadata with its first event only
seqs=$(jq -r 'select(.event) | .event.seq' "$OUT" | tr '\n' ' ')
check "events in order" test "$seqs" = "$(seq -s ' ' 1 20) "
meta=$(jq -r 'select(.event) | .event.type | "\(.name)=\(.property_types | length)"' "$OUT" | head -4 | tr '\n' ' ')
check "metadata on the first event of each type only ($meta)" \
    test "$meta" = "PeerConnected=4 NewBlock=4 PeerConnected=0 NewBlock=0 "
check "no later event carries metadata" \
    test "$(jq -r 'select(.event) | .event.type.property_types | length' "$OUT" | tail -n +3 | sort -u)" = 0
# merged by time: every record's time at least the one before it
times=$(jq -r '(.state.instant_ts // .event.ts // empty) | tonumber' "$OUT")
check "records in time order" test "$times" = "$(sort -n <<<"$times")"

finish

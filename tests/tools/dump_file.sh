#!/bin/bash
# peerscope-dump on recording files: the observer-toolkit vectors, a
# corrupted copy, unreadable and malformed files, the command line.
# shellcheck source=lib.sh
. "$PSC_TOOLS_TESTLIB"

DUMP=$PSC_DUMP
VECTORS=${PSC_VECTORS_DIR:-$(dirname "$0")/../data/observer-toolkit}
V1="$VECTORS/sample-1min.mock"
V2="$VECTORS/sample-dht-2min.mock"

# kind_count FILE KIND: lines whose payload is KIND
kind_count() {
    jq -r --arg k "$2" 'select(has($k)) | 1' "$1" | wc -l | tr -d ' '
}

# ---------------------------------------------------------------- vectors

check_vector() {
    local name=$1 file=$2 total=$3 runtimes=$4 states=$5 events=$6 responses=$7
    local out="$TMP/$name.jsonl" err="$TMP/$name.err"
    "$DUMP" --file "$file" >"$out" 2>"$err"
    expect_status "$name: exit 0" 0 $? "$(cat "$err")"
    check "$name: no warnings" test ! -s "$err"
    check "$name: $total lines" test "$(lines "$out")" -eq "$total"
    local bad
    if bad=$(all_json_lines "$out"); then ok "$name: every line parses as a JSON object"; else not_ok "$name: every line parses" "$bad"; fi
    check "$name: $runtimes runtime" test "$(kind_count "$out" runtime)" -eq "$runtimes"
    check "$name: $states states" test "$(kind_count "$out" state)" -eq "$states"
    check "$name: $events events" test "$(kind_count "$out" event)" -eq "$events"
    check "$name: $responses responses" test "$(kind_count "$out" response)" -eq "$responses"
    check "$name: every line has its version" test "$(jq -r 'select(has("version")) | 1' "$out" | wc -l)" -eq "$total"
}

check_vector 1min "$V1" 969 1 30 937 1
check_vector dht2min "$V2" 596 1 60 535 0

# per-type event counts from the vectors' README
names=$(jq -r 'select(has("event")) | .event.type.name' "$TMP/1min.jsonl" | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
check "1min: event types as in the README ($names)" \
    test "$names" = "InboundDHTQuery=465 OutboundDHTQuery=462 PeerConnecting=4 PeerDisconnecting=6 "
names=$(jq -r 'select(has("event")) | .event.type.name' "$TMP/dht2min.jsonl" | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')
check "dht2min: event types as in the README ($names)" \
    test "$names" = "InboundDHTQuery=242 OutboundDHTQuery=281 PeerConnecting=4 PeerDisconnecting=8 "

# field names and encodings of the .proto mapping
first_state=$(jq -c 'select(has("state"))' "$TMP/dht2min.jsonl" | head -1)
check "states carry snake_case fields" test "$(jq -r '.state | has("instant_ts") and has("snapshot_duration_ms")' <<<"$first_state")" = true
check "DHT buckets with peers, status as enum names" \
    test "$(jq -r '[.state.subsystems.dht.buckets[].peers[].status] | unique | all(. == "ACTIVE" or . == "MISSING" or . == "REJECTED" or . == "CANDIDATE")' <<<"$first_state")" = true
conn=$(jq -c 'select(has("state")) | .state.subsystems.connections[0]' "$TMP/1min.jsonl" | head -1)
check "connection ids are base64" test "$(jq -r '.id | test("^[A-Za-z0-9+/]*={0,2}$")' <<<"$conn")" = true
check "connection role/status are names" test "$(jq -r '(.role | type) + (.status | type)' <<<"$conn")" = stringstring

# ------------------------------------------------------------ the options

"$DUMP" --file "$V1" --count 5 >"$TMP/count.jsonl"
expect_status "--count 5: exit 0" 0 $?
check "--count 5: 5 lines" test "$(lines "$TMP/count.jsonl")" -eq 5
"$DUMP" --file "$V1" --only state,runtime >"$TMP/only.jsonl"
check "--only state,runtime: 31 lines" test "$(lines "$TMP/only.jsonl")" -eq 31
"$DUMP" --file - <"$V2" >"$TMP/stdin.jsonl"
expect_status "--file - reads stdin" 0 $?
check "stdin: same output as the file" cmp -s "$TMP/stdin.jsonl" "$TMP/dht2min.jsonl"
"$DUMP" --file "$V1" --ascii >"$TMP/ascii.jsonl"
check "--ascii: pure ASCII output" bash -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/ascii.jsonl'"
"$DUMP" --file "$V1" | head -n 1 >/dev/null
st=${PIPESTATUS[0]}
expect_status "a closed pipe ends the output quietly" 0 "$st"

# a recording given as the operand, without --file: the same run
"$DUMP" "$V1" >"$TMP/operand.jsonl" 2>"$TMP/operand.err"
expect_status "file operand: exit 0" 0 $? "$(cat "$TMP/operand.err")"
check "file operand: the same output as --file" cmp -s "$TMP/operand.jsonl" "$TMP/1min.jsonl"
"$DUMP" --only state,runtime "$V1" >"$TMP/operand-only.jsonl"
check "file operand with --only: the same output as --file" cmp -s "$TMP/operand-only.jsonl" "$TMP/only.jsonl"
"$DUMP" - <"$V2" >"$TMP/operand-stdin.jsonl"
expect_status "'-' operand reads stdin" 0 $?
check "'-' operand: the same output as --file -" cmp -s "$TMP/operand-stdin.jsonl" "$TMP/stdin.jsonl"
(cd "$(dirname "$V1")" && "$DUMP" "$(basename "$V1")") >"$TMP/operand-rel.jsonl"
check "relative file operand: the same output" cmp -s "$TMP/operand-rel.jsonl" "$TMP/1min.jsonl"
"$DUMP" "$TMP/no-such.mock" >"$TMP/nofile.out" 2>"$TMP/nofile.err"
expect_status "neither a URL nor a file: exit 2" 2 $? "$(cat "$TMP/nofile.err")"
check "neither a URL nor a file: the message names the argument" grep -qF "'$TMP/no-such.mock' is neither" "$TMP/nofile.err"
check "neither a URL nor a file: did you mean --file?" grep -qF "did you mean --file PATH, or ws://HOST:PORT[/PATH]?" "$TMP/nofile.err"
check "neither a URL nor a file: nothing on stdout" test ! -s "$TMP/nofile.out"
"$DUMP" "$V1" --follow-events >/dev/null 2>"$TMP/e.err"
expect_status "file operand with a live option: exit 2" 2 $?
check "file operand with a live option: says which" grep -q "follow-events applies to a live endpoint" "$TMP/e.err"

# --raw copies the recording; the copy dumps the same
"$DUMP" --file "$V1" --raw "$TMP/copy.mock"
expect_status "--raw copy: exit 0" 0 $?
check "--raw copy of a clean file is byte-identical" cmp -s "$V1" "$TMP/copy.mock"

# ----------------------------------------------------- corrupted records

# offset of record N (from 0): 4-byte file header, then [sum][len][payload]
record_offset() {
    local off=4 i len
    for ((i = 0; i < $2; i++)); do
        len=$(od -An -tu4 -j $((off + 4)) -N4 "$1" | tr -d ' ')
        off=$((off + 8 + len))
    done
    echo "$off"
}

cp "$V1" "$TMP/bad.mock"
chmod u+w "$TMP/bad.mock"
off=$(record_offset "$TMP/bad.mock" 17)
byte=$(od -An -tu1 -j "$off" -N1 "$TMP/bad.mock" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte ^ 0x5a) & 255)))" | dd of="$TMP/bad.mock" bs=1 seek="$off" conv=notrunc status=none
"$DUMP" --file "$TMP/bad.mock" >"$TMP/bad.jsonl" 2>"$TMP/bad.err"
expect_status "corrupted record: exit 0" 0 $? "$(cat "$TMP/bad.err")"
check "corrupted record: one message fewer (968)" test "$(lines "$TMP/bad.jsonl")" -eq 968
check "corrupted record: exactly one warning" test "$(grep -c warning "$TMP/bad.err")" -eq 1
check "corrupted record: the warning names record 17" grep -q "record 17: checksum mismatch, corrupted record skipped" "$TMP/bad.err"
if bad=$(all_json_lines "$TMP/bad.jsonl"); then ok "corrupted record: the rest parses"; else not_ok "corrupted record: the rest parses" "$bad"; fi
head -n 17 "$TMP/1min.jsonl" >"$TMP/expect.jsonl"
tail -n +19 "$TMP/1min.jsonl" >>"$TMP/expect.jsonl"
check "corrupted record: everything else is unchanged" cmp -s "$TMP/bad.jsonl" "$TMP/expect.jsonl"
"$DUMP" --file "$TMP/bad.mock" --strict >/dev/null 2>"$TMP/strict.err"
expect_status "--strict: a corrupted record exits 5" 5 $?
"$DUMP" "$TMP/bad.mock" --strict >/dev/null 2>/dev/null
expect_status "--strict on a file operand: exit 5 too" 5 $?
"$DUMP" --file "$TMP/bad.mock" --raw "$TMP/repaired.mock" 2>/dev/null
"$DUMP" --file "$TMP/repaired.mock" >/dev/null 2>"$TMP/repaired.err"
expect_status "--raw drops the corrupted record" 0 $?
check "the repaired copy dumps without warnings" test ! -s "$TMP/repaired.err"

# ------------------------------------------------ unreadable, not a file

"$DUMP" --file "$TMP/does-not-exist.mock" >/dev/null 2>"$TMP/e.err"
expect_status "missing file: exit 6" 6 $?
check "missing file: says why" grep -q "cannot open.*No such file" "$TMP/e.err"
"$DUMP" --file "$TMP" >/dev/null 2>"$TMP/e.err"
expect_status "a directory: exit 6" 6 $? "$(cat "$TMP/e.err")"
"$DUMP" "$TMP" >/dev/null 2>"$TMP/e.err"
expect_status "a directory as the operand: exit 6, as with --file" 6 $? "$(cat "$TMP/e.err")"
: >"$TMP/empty.mock"
"$DUMP" --file "$TMP/empty.mock" >/dev/null 2>"$TMP/e.err"
expect_status "empty file: exit 5 (not a recording)" 5 $?
printf '\002\000\000\000' >"$TMP/v2.mock"
"$DUMP" --file "$TMP/v2.mock" >/dev/null 2>"$TMP/e.err"
expect_status "version 2 header: exit 5" 5 $?
head -c 5000 "$V1" >"$TMP/trunc.mock"
"$DUMP" --file "$TMP/trunc.mock" >"$TMP/trunc.jsonl" 2>"$TMP/e.err"
expect_status "truncated recording: exit 5" 5 $?
check "truncated recording: what came before is printed" test "$(lines "$TMP/trunc.jsonl")" -ge 1
check "truncated recording: the record is named" grep -q "record [0-9]*: truncated" "$TMP/e.err"

# ----------------------------------------------------------- usage errors

usage() {
    local desc=$1
    shift
    "$DUMP" "$@" >/dev/null 2>"$TMP/u.err"
    expect_status "usage: $desc: exit 2" 2 $? "$(cat "$TMP/u.err")"
}
usage "no source"
usage "URL and --file" ws://127.0.0.1:1/ --file "$V1"
usage "--state-once with --file" --file "$V1" --state-once
usage "bad --count" --file "$V1" --count 0
usage "bad --only" --file "$V1" --only states,nonsense
usage "unknown option" --file "$V1" --frobnicate
usage "two URLs" ws://127.0.0.1:1/ ws://127.0.0.1:2/
usage "not a ws:// URL" "http://127.0.0.1:1/"
usage "malformed ws:// URL" "ws://127.0.0.1:99999/"
usage "a file operand and --file" "$V1" --file "$V1"
usage "a missing value" --file
"$DUMP" --help >"$TMP/help.txt"
expect_status "--help: exit 0" 0 $?
check "--help documents the exit statuses" grep -q "6  the recording file cannot be opened or read" "$TMP/help.txt"
check "--help shows the file operand" grep -q "peerscope-dump \[options\] FILE|-" "$TMP/help.txt"

finish

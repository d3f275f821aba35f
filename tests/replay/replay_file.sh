#!/bin/bash
# peerscope-replay serving 2020-format files: both observer-toolkit
# recordings to peerscope-dump with every message, /healthz and the page,
# the token, --loop, --start, at_ts through the C client, damaged files
# and the exit statuses.
# shellcheck source=lib.sh
. "$PSC_REPLAY_TESTLIB"

for dep in jq curl "$PSC_PYTHON"; do
    if ! command -v "$dep" >/dev/null 2>&1; then
        echo "1..0 # SKIP missing: $dep"
        exit 0
    fi
done

# ------------------------------------------------------------ every message, both recordings

for f in sample-1min sample-dht-2min; do
    file_messages "$DATA/$f.mock" "$TMP/$f.file"
    n=$(lines "$TMP/$f.file")
    if ! start_replay "$f" --speed max "$DATA/$f.mock"; then
        not_ok "$f: peerscope-replay starts"
        continue
    fi
    live_messages "$REP_URL" $((n + 1)) "$TMP/$f.live"
    expect_status "$f: peerscope-dump receives the runtime and $n states and events" 0 $? "$(head -3 "$TMP/$f.live.err")"
    if same_per_kind "$TMP/$f.file" "$TMP/$f.live"; then
        ok "$f: every state and every event as the file holds them, each kind in its order"
    else
        not_ok "$f: every state and event as the file holds them" "$(diff "$TMP/$f.file" "$TMP/$f.live" | head -5 | cut -c1-200)"
    fi
    states=$(grep -c '"state":' "$TMP/$f.file")
    events=$(grep -c '"event":' "$TMP/$f.file")
    check "$f: Runtime.recording counts $states states and $events events" \
        test "$(jq -r 'select(.runtime) | "\(.runtime.recording.state_count) \(.runtime.recording.event_count)"' "$TMP/$f.live.all")" = "$states $events"
    stop_replay
    expect_status "$f: SIGTERM ends peerscope-replay with 0" 0 "$REP_STATUS" "$(tail -3 "$TMP/replay-$f.out.err")"
done

F=$DATA/sample-1min.mock
N=$(lines "$TMP/sample-1min.file")

# ------------------------------------------------------------ the endpoint: page, health, token

if start_replay page --speed max --quiet "$F"; then
    check "/healthz answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REP_PORT/healthz")" = 200
    check "/ serves the visualizer page" sh -c "curl -s 'http://127.0.0.1:$REP_PORT/' | grep -qi '<html'"
    check "a foreign Origin is refused (403), as on a live node" test "$(curl -s -o /dev/null -w '%{http_code}' \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
        -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Origin: http://evil.example' \
        "http://127.0.0.1:$REP_PORT/introspect")" = 403
    if [ -x "${PSC_TOP:-}" ]; then
        PEER=$("$DUMP" --file "$F" --only runtime 2>/dev/null | jq -r .runtime.peer_id)
        timeout 60 "$PSC_TOP" --batch --width 120 --height 20 "$REP_URL" >"$TMP/top.txt" 2>"$TMP/top.err"
        expect_status "peerscope-top --batch reads the replay" 0 $? "$(cat "$TMP/top.err")"
        check "  ... showing the recorded node ($PEER) and its connections" \
            sh -c "grep -q '^peer $PEER ' '$TMP/top.txt' && grep -q '^conns [1-9]' '$TMP/top.txt'"
    else
        skip_test "peerscope-top reads the replay" "peerscope-top not built"
    fi
    PAGE_PORT=$REP_PORT
    PAGE_PID=$REP_PID
else
    not_ok "peerscope-replay starts (page)"
fi

TOKEN=replay-test-token-0123456789
if start_replay token --speed max --quiet --token "$TOKEN" "$F"; then
    "$PROBE" "$REP_URL" runtime >"$TMP/notoken.out" 2>&1
    expect_status "no token: refused (the C client reports an authentication refusal)" 4 $?
    "$PROBE" --token wrong-token-wrong-token "$REP_URL" runtime >"$TMP/badtoken.out" 2>&1
    expect_status "a wrong token: refused" 4 $?
    "$PROBE" --token "$TOKEN" "$REP_URL" runtime >"$TMP/token.out" 2>&1
    expect_status "the right token: served" 0 $? "$(cat "$TMP/token.out")"
    timeout 60 "$DUMP" --token "$TOKEN" --follow-events --count 5 "$REP_URL" >/dev/null 2>"$TMP/dumptoken.err"
    expect_status "peerscope-dump with the token gets events" 0 $? "$(cat "$TMP/dumptoken.err")"
    stop_replay
else
    not_ok "peerscope-replay starts (token)"
fi

# ------------------------------------------------------------ at_ts through the C client

if start_replay at --speed 1 --quiet "$F"; then
    "$PROBE" "$REP_URL" runtime >"$TMP/rt.out" 2>&1
    read -r START END < <(sed -n 's/^recording start=\([0-9]*\) end=\([0-9]*\) .*/\1 \2/p' "$TMP/rt.out")
    check "Runtime.recording: start and end of the recording, speed 1, no loop" \
        grep -q "^recording start=[0-9]* end=[0-9]* speed=1 loop=0 states=30 events=937" "$TMP/rt.out"
    # the file's states with their times, to say what each at_ts must answer
    jq -r 'select(.state) | .state.instant_ts' "$TMP/sample-1min.file" >"$TMP/state_ts"
    FIRST=$(head -1 "$TMP/state_ts")
    LAST=$(tail -1 "$TMP/state_ts")
    THIRD=$(sed -n 3p "$TMP/state_ts")
    MID=$(((START + END) / 2))
    WANT_MID=$(awk -v t="$MID" '$1 <= t { v = $1 } END { print v }' "$TMP/state_ts")
    "$PROBE" "$REP_URL" at "$START" "$THIRD" $((THIRD + 1)) "$MID" "$END" $((START - 1)) $((END + 1)) >"$TMP/at.out" 2>&1
    expect_status "seven REQUEST STATE with at_ts, seven answers" 0 $? "$(cat "$TMP/at.out")"
    check "at the start: the first state" grep -q "^at $START ok instant_ts=$FIRST " "$TMP/at.out"
    check "at a state's time: that state" grep -q "^at $THIRD ok instant_ts=$THIRD " "$TMP/at.out"
    check "just after it: still that state" grep -q "^at $((THIRD + 1)) ok instant_ts=$THIRD " "$TMP/at.out"
    check "in the middle: the last state at or before it" grep -q "^at $MID ok instant_ts=$WANT_MID " "$TMP/at.out"
    check "at the end: the last state" grep -q "^at $END ok instant_ts=$LAST " "$TMP/at.out"
    check "before the recording: an error that says so" grep -q "^at $((START - 1)) err .*outside the recording" "$TMP/at.out"
    check "after it: an error that says so" grep -q "^at $((END + 1)) err .*outside the recording" "$TMP/at.out"
    timeout 60 "$DUMP" --state-at "$MID" "$REP_URL" >"$TMP/dump-at.jsonl" 2>"$TMP/dump-at.err"
    expect_status "peerscope-dump --state-at: exit 0" 0 $? "$(cat "$TMP/dump-at.err")"
    check "  ... one line: that state, as the file holds it" \
        test "$(jq -c 'select(.state.instant_ts == '"$WANT_MID"')' "$TMP/sample-1min.file")" = "$(cat "$TMP/dump-at.jsonl")"
    timeout 60 "$DUMP" --state-at $((END + 1)) "$REP_URL" >/dev/null 2>"$TMP/dump-at2.err"
    expect_status "peerscope-dump --state-at outside the recording: exit 5" 5 $?
    check "  ... with the server's reason" grep -q "outside the recording" "$TMP/dump-at2.err"
    stop_replay
else
    not_ok "peerscope-replay starts (at_ts)"
fi

# ------------------------------------------------------------ --loop, --start

if start_replay loop --speed max --loop --quiet "$F"; then
    # events only: one kind, so the passes cannot interleave with another's
    grep '"event":' "$TMP/sample-1min.file" >"$TMP/events.file"
    E=$(lines "$TMP/events.file")
    timeout 120 "$DUMP" --follow-events --count $((2 * E + 1)) "$REP_URL" >"$TMP/loop.live" 2>"$TMP/loop.err"
    expect_status "--loop: more events than the recording holds ($((2 * E + 1)))" 0 $? "$(head -3 "$TMP/loop.err")"
    check "--loop: the first pass is the recording's events" cmp -s <(head -n "$E" "$TMP/loop.live") "$TMP/events.file"
    check "--loop: the second pass is the recording's events again" \
        cmp -s <(sed -n "$((E + 1)),$((2 * E))p" "$TMP/loop.live") "$TMP/events.file"
    check "--loop: then the third begins" cmp -s <(tail -n 1 "$TMP/loop.live") <(head -n 1 "$TMP/events.file")
    stop_replay
else
    not_ok "peerscope-replay starts (loop)"
fi

# the index of the first message played from START+30 s: times made non-decreasing, as the replay plays them
SKIP=$("$PSC_PYTHON" - "$TMP/sample-1min.file" "$START" <<'PY'
import json, sys
start = int(sys.argv[2]) + 30000
hi = 0
for i, line in enumerate(open(sys.argv[1])):
    m = json.loads(line)
    ts = m["state"].get("instant_ts", 0) if "state" in m else m["event"].get("ts", 0)
    hi = max(hi, int(ts))
    if hi >= start:
        print(i)
        break
PY
)
if start_replay start --speed max --start +30s --quiet "$F"; then
    live_messages "$REP_URL" $((N - SKIP + 1)) "$TMP/start.live"
    expect_status "--start +30s: the messages from 30 s on ($((N - SKIP)))" 0 $? "$(head -3 "$TMP/start.live.err")"
    tail -n +$((SKIP + 1)) "$TMP/sample-1min.file" | jq -c 'del(.event.type.property_types)' >"$TMP/start.want"
    jq -c 'del(.event.type.property_types)' "$TMP/start.live" >"$TMP/start.got"
    check "--start +30s: they are the recording's from there, in order" same_per_kind "$TMP/start.want" "$TMP/start.got"
    check "--start +30s: the first event of each type still carries its metadata" \
        test "$(jq -r 'select(.event) | .event.type.name' "$TMP/start.live" | sort -u | wc -l)" = \
        "$(jq -r 'select(.event and (.event.type.property_types | length) > 0) | .event.type.name' "$TMP/start.live" | sort -u | wc -l)"
    stop_replay
else
    not_ok "peerscope-replay starts (start)"
fi
ABS=$((START + 30000))
if start_replay start-abs --speed max --start "$ABS" --quiet "$F"; then
    live_messages "$REP_URL" $((N - SKIP + 1)) "$TMP/startabs.live"
    expect_status "--start MS (absolute): the same messages" 0 $?
    stop_replay
fi
"$REPLAY" --port 0 --start $((END + 1)) "$F" >/dev/null 2>"$TMP/late.err"
expect_status "--start after the end: usage error (2)" 2 $? "$(cat "$TMP/late.err")"
check "  ... saying when the recording runs" grep -q "after the recording's end" "$TMP/late.err"

# ------------------------------------------------------------ damaged files

# cut in the middle of the 500th record; peerscope-dump --file reads the same prefix
"$PSC_PYTHON" - "$F" "$TMP/truncated.mock" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 4
for _ in range(499):
    off += 8 + struct.unpack_from("<I", d, off + 4)[0]
open(sys.argv[2], "wb").write(d[:off + 8 + struct.unpack_from("<I", d, off + 4)[0] // 2])
PY
file_messages "$TMP/truncated.mock" "$TMP/truncated.file"
M=$(lines "$TMP/truncated.file")
if start_replay truncated --speed max "$TMP/truncated.mock"; then
    check "a truncated file: served, with a warning naming the record and its offset" \
        grep -q "record 499 at offset [0-9]*: truncated record" "$TMP/replay-truncated.out.err"
    live_messages "$REP_URL" $((M + 1)) "$TMP/trunc.live"
    expect_status "  ... every record before the damage is played ($M)" 0 $?
    check "  ... as the file holds them" same_per_kind "$TMP/trunc.live" "$TMP/truncated.file"
    stop_replay
else
    not_ok "a truncated file is served up to the damage"
fi
"$REPLAY" --port 0 --strict "$TMP/truncated.mock" >/dev/null 2>"$TMP/trunc-strict.err"
expect_status "a truncated file with --strict: exit 5" 5 $? "$(cat "$TMP/trunc-strict.err")"
check "  ... naming the offset" grep -q "at offset [0-9]*: truncated record" "$TMP/trunc-strict.err"

# a byte flipped inside the 100th record's payload
OFF=$("$PSC_PYTHON" - "$F" "$TMP/corrupt.mock" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
off = 4
for _ in range(99):
    off += 8 + struct.unpack_from("<I", d, off + 4)[0]
d[off + 8 + 5] ^= 0xff
open(sys.argv[2], "wb").write(d)
print(off)
PY
)
file_messages "$TMP/corrupt.mock" "$TMP/corrupt.file"
M=$(lines "$TMP/corrupt.file")
if start_replay corrupt --speed max "$TMP/corrupt.mock"; then
    check "a corrupted record: skipped with a warning giving its offset ($OFF)" \
        grep -q "record 99 at offset $OFF: checksum mismatch" "$TMP/replay-corrupt.out.err"
    live_messages "$REP_URL" $((M + 1)) "$TMP/corrupt.live"
    expect_status "  ... every other record is played ($M)" 0 $?
    check "  ... as the file holds them" same_per_kind "$TMP/corrupt.live" "$TMP/corrupt.file"
    stop_replay
else
    not_ok "a corrupted file is served without the bad record"
fi
"$REPLAY" --port 0 --strict "$TMP/corrupt.mock" >/dev/null 2>"$TMP/corrupt-strict.err"
expect_status "a corrupted record with --strict: exit 5" 5 $? "$(cat "$TMP/corrupt-strict.err")"

echo "not a recording at all" >"$TMP/text.mock"
"$REPLAY" --port 0 "$TMP/text.mock" >/dev/null 2>"$TMP/text.err"
expect_status "not a recording: exit 5" 5 $?
check "  ... saying so" grep -q "not a recording" "$TMP/text.err"
"$REPLAY" --port 0 "$TMP/missing.mock" >/dev/null 2>"$TMP/missing.err"
expect_status "a missing file: exit 5" 5 $?
printf '\001\000\000\000' >"$TMP/empty.mock"
"$REPLAY" --port 0 "$TMP/empty.mock" >/dev/null 2>"$TMP/empty.err"
expect_status "a recording with nothing in it: exit 5" 5 $?

# ------------------------------------------------------------ usage and listening

"$REPLAY" >/dev/null 2>&1
expect_status "no operand: exit 2" 2 $?
"$REPLAY" --speed fast "$F" >/dev/null 2>&1
expect_status "--speed fast: exit 2" 2 $?
"$REPLAY" --help | grep -q "Exit status"
check "--help lists the exit statuses" test $? -eq 0
if [ -n "${PAGE_PORT:-}" ]; then
    "$REPLAY" --port "$PAGE_PORT" "$F" >/dev/null 2>"$TMP/busy.err"
    expect_status "a busy port: exit 6" 6 $? "$(cat "$TMP/busy.err")"
    stop_pid "$PAGE_PID"
fi
"$REPLAY" --port 0 --bind 0.0.0.0 "$F" >/dev/null 2>"$TMP/remote.err"
expect_status "a non-loopback address without a token: exit 6" 6 $? "$(cat "$TMP/remote.err")"
check "  ... saying a token is needed" grep -q "needs --token" "$TMP/remote.err"

finish

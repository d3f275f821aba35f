#!/bin/bash
# The endpoint under abuse: soak-host (an endpoint whose host emits 10,000
# events/s) against soak-abuse (every kind of abuse at once, and good
# clients that check their event streams) for SECONDS.
#
#   soak.sh SECONDS [STATUS_MS]     (documented length: 600 s, status every 10 s;
#                                    the test suite runs a short one)
#
# Passes when: the host survives and shuts down clean (everything the
# library allocated is given back); every good client got every event or
# a DISCARDING notice for it; once the abuse ends, the host's descriptors
# and the library's held bytes come back to what they were before it; and,
# over a run of at least six samples, the floor of the library's held
# bytes in the last third of the abuse is no more than 25% (plus 1 MiB)
# over the first third's, and the floor of the descriptors no more than 16. Prints every status sample and the emit latency's p99 before and
# under abuse (reported, never judged: latency on a shared machine is not
# a verdict).
# shellcheck source=../tools/lib.sh
. "$PSC_TOOLS_TESTLIB"

SECONDS_RUN=${1:-600}
STATUS_MS=${2:-10000}
TOKEN=soak-token-0123456789abcdef
HOST_OUT=$TMP/host.out

# The host reads its stdin to know when to stop: a FIFO held open here.
mkfifo "$TMP/host.in"
"$PSC_SOAK_HOST" --token "$TOKEN" --rate 10000 --status-ms "$STATUS_MS" <"$TMP/host.in" >"$HOST_OUT" 2>"$TMP/host.err" &
HOST_PID=$!
STARTED_PIDS+=("$HOST_PID")
exec 7>"$TMP/host.in"

if ! wait_lines "$HOST_OUT" 1; then
    not_ok "soak-host listens" "$(cat "$TMP/host.err")"
    finish
fi
PORT=$(sed -n 's/^port //p' "$HOST_OUT")
ok "soak-host listens on 127.0.0.1:$PORT"

samples() { grep -c '^status' "$HOST_OUT"; }
sample_count_ge() { [ "$(samples)" -ge "$1" ]; }
wait_until() { # SECONDS COMMAND...: poll the condition every 0.2 s
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 5; i++)); do
        "$@" && return 0
        kill -0 "$HOST_PID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; } # the value of NAME=... in a status line

# two quiet samples: the baseline
check "two quiet status samples (bound 120 s)" wait_until 120 sample_count_ge 2
BASE=$(grep '^status' "$HOST_OUT" | tail -1)
BASE_FDS=$(field fds <<<"$BASE")
BASE_HELD=$(field held_bytes <<<"$BASE")
QUIET_P99=$(field emit_p99_ns <<<"$BASE")
FIRST_ABUSE=$(($(samples) + 1))

"$PSC_SOAK_ABUSE" --port "$PORT" --token "$TOKEN" --seconds "$SECONDS_RUN" --good 4 >"$TMP/abuse.out" 2>"$TMP/abuse.err"
ABUSE_STATUS=$?
LAST_ABUSE=$(samples)
sed 's/^/# /' "$TMP/abuse.out"
expect_status "every kind of abuse ran, and every good client got its events (or notices for them)" 0 \
    "$ABUSE_STATUS" "$(cat "$TMP/abuse.out" "$TMP/abuse.err")"
check "the host survived the abuse" kill -0 "$HOST_PID"

# After the abuse: sessions gone, descriptors and held bytes back to the baseline.
settled() {
    local s
    s=$(grep '^status' "$HOST_OUT" | tail -1)
    [ "$(field sessions <<<"$s")" = 0 ] && [ "$(field fds <<<"$s")" -le "$BASE_FDS" ] &&
        [ "$(field held_bytes <<<"$s")" -le $((BASE_HELD + 262144)) ]
}
if wait_until 120 settled; then
    ok "after the abuse: no session left, descriptors ($BASE_FDS) and held bytes ($BASE_HELD + 256 KiB) back to the baseline"
else
    not_ok "after the abuse: descriptors and held bytes back to the baseline" \
        "baseline: $BASE" "last: $(grep '^status' "$HOST_OUT" | tail -1)"
fi

ABUSE_LINES=$(sed -n "${FIRST_ABUSE},${LAST_ABUSE}p" <(grep '^status' "$HOST_OUT"))
N=$(grep -c . <<<"$ABUSE_LINES")
if [ "$N" -ge 6 ]; then
    # A leak raises the floor; bursts of sessions only make peaks, which
    # land in one sample or another by chance: compare the floors.
    THIRD=$((N / 3))
    floor_of() { field "$1" | sort -n | head -1; }
    FIRST_HELD=$(head -n "$THIRD" <<<"$ABUSE_LINES" | floor_of held_bytes)
    LAST_HELD=$(tail -n "$THIRD" <<<"$ABUSE_LINES" | floor_of held_bytes)
    check "held bytes do not grow under abuse: last third's floor $LAST_HELD <= first third's $FIRST_HELD x 1.25 + 1 MiB" \
        test "$LAST_HELD" -le $((FIRST_HELD * 5 / 4 + 1048576))
    FIRST_FDS=$(head -n "$THIRD" <<<"$ABUSE_LINES" | floor_of fds)
    LAST_FDS=$(tail -n "$THIRD" <<<"$ABUSE_LINES" | floor_of fds)
    check "descriptors do not grow under abuse: last third's floor $LAST_FDS <= first third's $FIRST_FDS + 16" \
        test "$LAST_FDS" -le $((FIRST_FDS + 16))
else
    skip_test "no growth under abuse" "$N samples under abuse, 6 needed (a longer run)"
fi
ABUSE_P99=$(field emit_p99_ns <<<"$ABUSE_LINES" | sort -n)
echo "# emit p99: quiet ${QUIET_P99} ns; under abuse median $(sed -n "$(((N + 1) / 2))p" <<<"$ABUSE_P99") ns, max $(tail -1 <<<"$ABUSE_P99") ns over $N samples"
grep '^status' "$HOST_OUT" | sed 's/^/# /'

exec 7>&-   # the host's stdin ends: it shuts down
wait "$HOST_PID"
HOST_STATUS=$?
expect_status "the host shuts down clean, every byte the library allocated given back" 0 "$HOST_STATUS" \
    "$(tail -2 "$HOST_OUT")" "$(cat "$TMP/host.err")"
finish

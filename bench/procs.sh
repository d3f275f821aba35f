# Shared by the bench scripts that run programs (record_throughput.sh,
# hub_scale.sh): a scratch folder and the processes started, both gone at
# exit; CPU seconds, the clock, bounded waits. Source it after cd to the
# tree; bench_scratch NAME makes $TMP and the exit trap.

bench_scratch() { # NAME
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/psc-$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
bench_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}

# CPU seconds (user + system) a process has used so far
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
now_s() { date +%s.%N; }
wait_for() { # SECONDS COMMAND...
    local i
    for ((i = 0; i < $1 * 10; i++)); do "${@:2}" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
lines_ge() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

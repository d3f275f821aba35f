#!/usr/bin/env python3
"""Smoke test of the benchmark (CI runs it so the benchmark cannot rot).

Runs `peerscope-bench --scenario S --runs 1 --json` and checks the shape of
the JSON it prints: every section present, with the expected keys and
types, sane counts. It never judges the timings (a loaded CI machine may be
slow); the bar's verdicts are only checked to be booleans.

Usage: check_bench_json.py PATH_TO_PEERSCOPE_BENCH
"""
import json
import numbers
import subprocess
import sys


def fail(msg):
    print(f"bench-smoke: {msg}", file=sys.stderr)
    sys.exit(1)


def need(obj, key, kind, where):
    if key not in obj:
        fail(f"{where}: missing {key!r}")
    value = obj[key]
    if kind is numbers.Number:
        ok = isinstance(value, numbers.Number) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        fail(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


def stat(obj, key, where):
    s = need(obj, key, dict, where)
    for k in ("median", "min", "max"):
        v = need(s, k, numbers.Number, f"{where}.{key}")
        if v < 0:
            fail(f"{where}.{key}.{k} is negative")
    if not s["min"] <= s["median"] <= s["max"]:
        fail(f"{where}.{key}: min <= median <= max does not hold")


def main():
    if len(sys.argv) != 2:
        fail("usage: check_bench_json.py PEERSCOPE_BENCH")
    run = subprocess.run([sys.argv[1], "--scenario", "S", "--runs", "1", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=280, check=False)
    sys.stderr.write(run.stderr.decode(errors="replace"))  # the readable table
    if run.returncode != 0:
        fail(f"peerscope-bench exited with {run.returncode}")
    try:
        doc = json.loads(run.stdout)
    except ValueError as e:
        fail(f"stdout is not one JSON object: {e}")
    if not isinstance(doc, dict):
        fail("stdout is not a JSON object")

    for key in ("version", "machine", "date", "scenario"):
        need(doc, key, str, "top")
    if doc["scenario"] != "S" or need(doc, "runs", int, "top") != 1:
        fail("scenario or runs not as asked")

    hot = need(doc, "hot_path_ns", dict, "top")
    for key in ("atomic_add", "counter_add_bytes", "counter_add", "counter_add_2threads", "emit", "emit_2threads"):
        stat(hot, key, "hot_path_ns")

    snaps = need(doc, "snapshots", list, "top")
    if len(snaps) != 1 or snaps[0].get("scenario") != "S":
        fail("snapshots: expected scenario S only")
    s = snaps[0]
    if need(s, "connections", int, "snapshots[0]") != 60 or need(s, "streams", int, "snapshots[0]") != 600:
        fail("snapshots[0]: scenario S has 60 connections with 10 streams each")
    if need(s, "bytes", int, "snapshots[0]") <= 0:
        fail("snapshots[0].bytes")
    for key in ("collect_encode_ms", "protobuf_c_pack_ms", "memcpy_ms", "fnv1a_ms"):
        stat(s, key, "snapshots[0]")
    for key in ("ratio_to_pack", "ratio_to_memcpy", "allocs_per_snapshot"):
        need(s, key, numbers.Number, "snapshots[0]")
    need(s, "peak_rss_kb", int, "snapshots[0]")

    fan = need(doc, "fanout", dict, "top")
    need(fan, "state_bytes", int, "fanout")
    for mode in ("full", "delta"):
        rows = need(fan, mode, list, "fanout")
        if [r.get("sessions") for r in rows] != [1, 8, 64]:
            fail(f"fanout.{mode}: expected 1, 8 and 64 sessions")
        for r in rows:
            need(r, "cpu_ms_per_push", numbers.Number, f"fanout.{mode}")
            need(r, "bytes_per_push", numbers.Number, f"fanout.{mode}")
            if need(r, "pushes", int, f"fanout.{mode}") < 1:
                fail(f"fanout.{mode}: no push measured")
            need(r, "states_replaced", int, f"fanout.{mode}")
    for key in ("ratio_64_to_1_full", "ratio_64_to_1_delta"):
        need(fan, key, numbers.Number, "fanout")

    ev = need(doc, "events", dict, "top")
    for key in ("rate", "latency_median_ms", "latency_p99_ms", "latency_max_ms", "max_no_drop_rate",
                "first_drop_rate"):
        need(ev, key, numbers.Number, "events")
    for key in ("sessions", "sent", "delivered", "dropped", "ring"):
        need(ev, key, int, "events")
    if ev["sessions"] != 8 or ev["sent"] <= 0 or ev["delivered"] > ev["sent"]:
        fail("events: counts do not add up")

    stall = need(doc, "stalled_session", dict, "top")
    samples = need(stall, "samples", list, "stalled_session")
    if len(samples) < 2:
        fail("stalled_session: too few samples")
    for smp in samples:
        need(smp, "seconds", numbers.Number, "stalled_session.samples")
        if need(smp, "lib_bytes", int, "stalled_session.samples") <= 0:
            fail("stalled_session: the library holds no memory?")
        need(smp, "rss_kb", int, "stalled_session.samples")
    for key in ("lib_bytes_reading", "events_emitted", "events_dropped", "states_replaced"):
        need(stall, key, int, "stalled_session")

    deltas = need(doc, "delta_states", list, "top")
    if len(deltas) != 1:
        fail("delta_states: expected one scenario")
    d = deltas[0]
    for key in ("full_bytes", "delta_bytes", "ratio", "amortized_ratio_full_every_60", "churn_percent"):
        need(d, key, numbers.Number, "delta_states[0]")
    if not 0 < d["delta_bytes"] and d["full_bytes"] > 0:
        fail("delta_states[0]: sizes")
    stat(d, "delta_ms", "delta_states[0]")
    stat(d, "snapshot_ms", "delta_states[0]")

    met = need(doc, "metrics", dict, "top")
    if need(met, "scenario", str, "metrics") != "S":
        fail("metrics: expected scenario S")
    for key in ("state_bytes", "text_bytes", "openmetrics_bytes", "series"):
        if need(met, key, int, "metrics") <= 0:
            fail(f"metrics.{key}: nothing scraped?")
    for key in ("snapshot_ms", "scrape_ms", "render_ms", "cached_scrape_ms"):
        stat(met, key, "metrics")

    rec = need(doc, "recorder", dict, "top")
    if need(rec, "scenario", str, "recorder") != "S":
        fail("recorder: expected scenario S")
    mem = need(rec, "memory", list, "recorder")
    if len(mem) != 2:
        fail("recorder.memory: expected two runs (the defaults, a tight budget)")
    for m in mem:
        for key in ("seconds", "max_bytes", "bytes", "peak_bytes", "full_states", "delta_states", "events",
                    "held_ms", "pruned", "file_bytes"):
            need(m, key, int, "recorder.memory")
        for key in ("allocator_bytes", "write_ms"):
            need(m, key, numbers.Number, "recorder.memory")
        if m["peak_bytes"] > m["max_bytes"]:
            fail("recorder.memory: held more than max_bytes")
        if m["full_states"] < 1 or m["file_bytes"] <= 0:
            fail("recorder.memory: nothing recorded?")
    for key in ("sample_ms", "snapshot_ms", "emit_ns", "emit_recorded_ns", "emit_paced_ns", "emit_paced_recorded_ns"):
        stat(rec, key, "recorder")
    for key in ("sample_mean_ms", "snapshot_mean_ms"):
        need(rec, key, numbers.Number, "recorder")

    bar = need(doc, "bar", list, "top")
    if not bar:
        fail("bar: empty")
    for line in bar:
        need(line, "name", str, "bar")
        need(line, "value", numbers.Number, "bar")
        need(line, "limit", numbers.Number, "bar")
        need(line, "unit", str, "bar")
        need(line, "met", bool, "bar")
    print("bench-smoke: JSON shape OK")


if __name__ == "__main__":
    main()

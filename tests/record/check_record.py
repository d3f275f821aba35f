#!/usr/bin/env python3
"""Checks of what peerscope-record stored, against peerscope-dump's JSON.

Every expected value is computed here again, from the JSON that
peerscope-dump prints for the recorder's own --raw recording (what the
recorder received, states in full) or for an independent session on the
same endpoint; nothing is taken from the recorder's code.

  check_record.py rows DB RAW_JSON RAW_FILE [WITNESS_JSON]
      states, their derived rows, blobs and events against the recording
  check_record.py queries DB RAW_JSON README
      the five SQL examples of README.md ("Recording"), run by the sqlite3
      shell, against values computed from the recording
  check_record.py prefix DB RAW_JSON MAX_GAP_MS
      after a kill -9: the stored events are a prefix of those received,
      the newest stored no more than MAX_GAP_MS older than the newest received
  check_record.py dump-blobs DB OUT_FILE
      write every state blob as a 2020 recording (for peerscope-dump)
  check_record.py stores DB
      every table and view of the SQLite database DB against the same
      PostgreSQL store (psql, with PGHOST, PGPORT, PGUSER, PGDATABASE set),
      row by row, keyed by what the rows mean (ids may differ)

Exit status 0 when every check holds; otherwise each failure is printed.
"""
import base64
import datetime
import json
import re
import sqlite3
import struct
import subprocess
import sys

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print('FAIL: ' + msg)


def num(v):
    return int(v) if v is not None else 0


def load_json_lines(path):
    out = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def read_recording(path):
    """Payloads of a 2020 recording file, in order."""
    data = open(path, 'rb').read()
    pos, out = 4, []
    while pos + 8 <= len(data):
        _, n = struct.unpack_from('<II', data, pos)
        if pos + 8 + n > len(data):
            break
        out.append(data[pos + 8:pos + 8 + n])
        pos += 8 + n
    return out


def fnv1a(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h


def hexid(b64):
    return base64.b64decode(b64 or '').hex()


def gauge(t, side):
    g = (t or {}).get(side) or {}
    return num(g.get('cum_bytes')), num(g.get('inst_bw'))


def minute_text(ts):
    return datetime.datetime.fromtimestamp(ts // 60000 * 60, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')


# ------------------------------------------------------------- expectations

class Expect:
    """What the recorder should have derived from the states of a recording."""

    def __init__(self, msgs):
        self.states = []   # (seq, ts, summary dict, conns, protos, buckets)
        self.events = []   # (seq, ts, type, props)
        self.runtimes = []
        prev = None        # stream counters of the previous state of the run
        run_key = None
        for m in msgs:
            if 'runtime' in m:
                rt = m['runtime']
                key = (rt.get('peer_id'), num(rt.get('start_ts')))
                if key != run_key or not key[1]:
                    prev = None
                run_key = key
                self.runtimes.append(rt)
            elif 'state' in m:
                st, prev = self.state(m['state'], prev)
                self.states.append(st)
            elif 'event' in m:
                e = m['event']
                self.events.append((num(e.get('seq')), num(e.get('ts')), e['type']['name'],
                                    json.loads(e.get('content') or 'null')))

    @staticmethod
    def state(s, prev):
        ss = s.get('subsystems') or {}
        conns, protos, buckets, seen = [], {}, [], {}
        peers = set()
        streams_total = opened = 0
        for c in ss.get('connections') or []:
            listed = (c.get('streams') or {}).get('streams') or []
            n_streams = num(c.get('stream_count')) or len(listed)
            streams_total += n_streams
            status = c.get('status', 'ACTIVE')
            if status == 'ACTIVE':
                opened += 1
                if c.get('peer_id'):
                    peers.add(c['peer_id'])
            bin_, rin = gauge(c.get('traffic'), 'traffic_in')
            bout, rout = gauge(c.get('traffic'), 'traffic_out')
            tl = c.get('timeline') or {}
            conns.append((hexid(c.get('id')), c.get('peer_id', ''), c.get('transport_name', ''),
                          'in' if c.get('role') == 'RESPONDER' else 'out', status,
                          (c.get('endpoints') or {}).get('dst_multiaddr', ''), n_streams, bin_, bout, rin, rout,
                          num(c.get('latency_ns')), num(tl.get('open_ts')) or None, num(tl.get('close_ts')) or None))
            for st in listed:
                key = (hexid(c.get('id')), hexid(st.get('id')))
                sin, _ = gauge(st.get('traffic'), 'traffic_in')
                sout, _ = gauge(st.get('traffic'), 'traffic_out')
                seen[key] = (sin, sout)
                p = protos.setdefault(st.get('protocol', ''), [0, 0, 0, 0, 0])
                p[0] += 1
                p[1] += sin
                p[2] += sout
                old = prev.get(key) if prev is not None else None
                if old and old[0] <= sin and old[1] <= sout:
                    p[3] += sin - old[0]
                    p[4] += sout - old[1]
                else:
                    p[3] += sin
                    p[4] += sout
        proto_rows = sorted((name, v[0], v[1], v[2], v[3] if prev is not None else None,
                             v[4] if prev is not None else None) for name, v in protos.items())
        dht_peers = 0
        dhts = ([ss['dht']] if ss.get('dht') else []) + (ss.get('additional_dhts') or [])
        for d in dhts:
            name = d.get('name') or d.get('protocol', '')
            for b in d.get('buckets') or []:
                ps = b.get('peers') or []
                active = sum(1 for p in ps if p.get('status', 'ACTIVE') == 'ACTIVE')
                buckets.append((name, num(b.get('cpl')), len(ps), active))
                dht_peers += len(ps)
        tin, rin = gauge(s.get('traffic'), 'traffic_in')
        tout, rout = gauge(s.get('traffic'), 'traffic_out')
        summary = dict(connections=len(ss.get('connections') or []), connections_open=opened,
                       streams=streams_total, peers=len(peers), dht_peers=dht_peers,
                       peerstore_peers=len((ss.get('peerstore') or {}).get('peers') or []),
                       topics=len((ss.get('pubsub') or {}).get('topics') or []),
                       bytes_in=tin, bytes_out=tout, rate_in=rin, rate_out=rout)
        return (num(s.get('seq')), num(s.get('instant_ts')), summary, sorted(conns), proto_rows,
                sorted(buckets)), seen


# -------------------------------------------------------------------- rows

def check_rows(db_path, raw_json, raw_file, witness_json=None):
    msgs = load_json_lines(raw_json)
    exp = Expect(msgs)
    db = sqlite3.connect(db_path)
    rows = db.execute('SELECT id, seq, ts, kind, base_seq, blob, connections, connections_open, streams, peers, '
                      'dht_peers, peerstore_peers, topics, bytes_in, bytes_out, rate_in, rate_out '
                      'FROM states ORDER BY id').fetchall()
    if len(rows) != len(exp.states):
        fail(f'{len(rows)} states stored, {len(exp.states)} in the recording')
    if not rows:
        fail('no state stored')
    # the recording's records line up with the dump's lines: the state payloads as received
    payloads = read_recording(raw_file)
    if len(payloads) != len(msgs):
        fail(f'{len(payloads)} records in the recording file, {len(msgs)} lines in its dump')
    state_payloads = [p for p, m in zip(payloads, msgs) if 'state' in m]
    kinds = set()
    prev_seq = None
    names = ['connections', 'connections_open', 'streams', 'peers', 'dht_peers', 'peerstore_peers', 'topics',
             'bytes_in', 'bytes_out', 'rate_in', 'rate_out']
    for i, (row, want) in enumerate(zip(rows, exp.states)):
        sid, seq, ts, kind, base_seq, blob = row[:6]
        kinds.add(kind)
        if (seq, ts) != (want[0], want[1]):
            fail(f'state {i}: seq/ts {seq}/{ts}, recording {want[0]}/{want[1]}')
            continue
        got = dict(zip(names, row[6:]))
        if got != want[2]:
            fail(f'state seq {seq}: totals {got}, expected {want[2]}')
        conns = sorted(db.execute('SELECT conn_id, peer_id, transport, direction, status, remote_addr, streams, '
                                  'bytes_in, bytes_out, rate_in, rate_out, latency_ns, open_ts, close_ts '
                                  'FROM connections WHERE state_id = ?', (sid,)).fetchall())
        if conns != want[3]:
            fail(f'state seq {seq}: {len(conns)} connection rows differ from the {len(want[3])} expected'
                 f' (first difference: {next((a, b) for a, b in zip(conns + [None] * 99, want[3] + [None] * 99) if a != b)})')
        protos = sorted(db.execute('SELECT protocol, streams, bytes_in, bytes_out, delta_in, delta_out '
                                   'FROM stream_protocols WHERE state_id = ?', (sid,)).fetchall())
        if protos != want[4]:
            fail(f'state seq {seq}: protocol rows {protos} expected {want[4]}')
        buckets = sorted(db.execute('SELECT dht, cpl, peers, active FROM dht_buckets WHERE state_id = ?',
                                    (sid,)).fetchall())
        if buckets != want[5]:
            fail(f'state seq {seq}: DHT bucket rows differ ({len(buckets)} vs {len(want[5])})')
        if kind == 'full':
            if i < len(state_payloads) and bytes(blob) != state_payloads[i]:
                fail(f'state seq {seq}: the full blob is not the state as received')
            if base_seq is not None:
                fail(f'state seq {seq}: a full state with base_seq {base_seq}')
        elif kind == 'delta':
            if base_seq != prev_seq:
                fail(f'state seq {seq}: delta on base {base_seq}, the previous state was {prev_seq}')
        else:
            fail(f'state seq {seq}: kind {kind!r}')
        prev_seq = seq
    print(f'# {len(rows)} states checked ({", ".join(sorted(kinds))}), '
          f'{sum(len(s[3]) for s in exp.states)} connection rows')

    events = db.execute('SELECT seq, ts, type, props FROM events ORDER BY id').fetchall()
    got = [(s, t, ty, json.loads(p)) for s, t, ty, p in events]
    if got != exp.events:
        fail(f'{len(got)} events stored, {len(exp.events)} in the recording; first difference at '
             f'{next((i for i, (a, b) in enumerate(zip(got, exp.events)) if a != b), min(len(got), len(exp.events)))}')
    seqs = [e[0] for e in got]
    if seqs != sorted(set(seqs)):
        fail('event seqs are not strictly increasing')
    print(f'# {len(got)} events checked, seq {seqs[0] if seqs else "-"}..{seqs[-1] if seqs else "-"}')
    if witness_json:
        wit = {}
        for m in load_json_lines(witness_json):
            e = m.get('event')
            if e:
                wit[num(e.get('seq'))] = (num(e.get('ts')), e['type']['name'], json.loads(e.get('content') or 'null'))
        missing = [s for s in seqs if s not in wit]
        if missing:
            fail(f'{len(missing)} stored events are not in the independent dump (first seq {missing[0]})')
        bad = [s for s, t, ty, p in got if s in wit and wit[s] != (t, ty, p)]
        if bad:
            fail(f'{len(bad)} stored events differ from the independent dump (first seq {bad[0]})')
        print(f'# {len(seqs) - len(missing)} events found alike in an independent peerscope-dump session')
    types = dict(db.execute('SELECT name, properties FROM event_types').fetchall())
    for name in {e[2] for e in got}:
        if name not in types:
            fail(f'event type {name} has no event_types row')
        elif not json.loads(types[name]):
            fail(f'event type {name} has no properties')


def dump_blobs(db_path, out):
    db = sqlite3.connect(db_path)
    with open(out, 'wb') as f:
        f.write(struct.pack('<I', 1))
        for (blob,) in db.execute('SELECT blob FROM states ORDER BY id'):
            b = bytes(blob)
            f.write(struct.pack('<II', fnv1a(b), len(b)) + b)


# ------------------------------------------------------------------ queries

def readme_queries(readme):
    text = open(readme, encoding='utf-8').read()
    m = re.search(r'^## Recording\n(.*?)(?=^## )', text, re.S | re.M)
    if not m:
        sys.exit('README.md has no "## Recording" section')
    return re.findall(r'```sql\n(.*?)```', m.group(1), re.S)


def run_shell(db, sql):
    r = subprocess.run(['sqlite3', '-batch', '-noheader', '-list', '-separator', '|', db], input=sql,
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f'sqlite3 failed ({r.returncode}): {r.stderr.strip()}\n{sql}')
    return [line.split('|') for line in r.stdout.splitlines()]


def check_queries(db_path, raw_json, readme):
    qs = readme_queries(readme)
    if len(qs) != 5:
        fail(f'the README\'s Recording section has {len(qs)} sql examples, not 5')
        return
    msgs = load_json_lines(raw_json)
    exp = Expect(msgs)
    peer = exp.runtimes[0]['peer_id']
    db = sqlite3.connect(db_path)
    closed = db.execute('SELECT max(coalesce(closed, last_seen)) FROM sessions').fetchone()[0]

    def subst(q, when=None):
        # the examples name a node by a peer id prefix and a moment in UTC: point them at this recording
        q = re.sub(r"'12D3KooW[^'%]*%'", f"'{peer[:14]}%'", q)
        if when is not None:
            q = re.sub(r"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'", f"'{when}'", q)
        return q

    # 1: connections open at a moment: a whole second inside the span of a state (not the last)
    states = exp.states
    t = None
    for k in range(1, len(states) - 1):
        cand = (states[k][1] // 1000 + 1) * 1000
        if states[k][1] <= cand < states[k + 1][1]:
            t, held = cand, states[k]
            break
    if t is None:
        fail('no whole second falls inside a state span (states too close together?)')
    else:
        when = datetime.datetime.fromtimestamp(t // 1000, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S')
        got = run_shell(db_path, subst(qs[0], when))
        want = [[peer, str(held[2]['connections_open'])]]
        if got != want:
            fail(f'query 1 (open connections at {when}): {got}, expected {want}')

    # 2: peers over time
    per_min = {}
    for seq, ts, summ, *_ in states:
        per_min.setdefault(minute_text(ts), []).append(summ)
    want = [[m, str(min(s['peers'] for s in v)), str(max(s['peers'] for s in v)),
             str(max(s['dht_peers'] for s in v)), str(max(s['peerstore_peers'] for s in v))]
            for m, v in sorted(per_min.items())]
    got = run_shell(db_path, subst(qs[1]))
    if got != want:
        fail(f'query 2 (peers over time): {got}, expected {want}')

    # 3: bandwidth per protocol per minute (sums of the per-state deltas; none for a run's first state)
    bw = {}
    for seq, ts, summ, conns, protos, buckets in states:
        for name, n, bin_, bout, din, dout in protos:
            cur = bw.setdefault((minute_text(ts), name), [None, None])
            if din is not None:
                cur[0] = (cur[0] or 0) + din
                cur[1] = (cur[1] or 0) + dout
    want = sorted(([m, p, '' if v[0] is None else str(v[0]), '' if v[1] is None else str(v[1])]
                   for (m, p), v in bw.items()),
                  key=lambda r: (r[0], -int(r[2] or -1), r[1]))
    got = run_shell(db_path, subst(qs[2]))
    if got != want:
        fail(f'query 3 (bandwidth per protocol per minute): {got}, expected {want}')

    # 4: events per type per minute
    per = {}
    for seq, ts, ty, props in exp.events:
        per[(minute_text(ts), ty)] = per.get((minute_text(ts), ty), 0) + 1
    want = sorted(([m, ty, str(n)] for (m, ty), n in per.items()), key=lambda r: (r[0], -int(r[2]), r[1]))
    got = run_shell(db_path, subst(qs[3]))
    if got != want:
        fail(f'query 4 (events per type per minute): {got}, expected {want}')

    # 5: DHT bucket fill over time
    fill = {}
    for seq, ts, summ, conns, protos, buckets in states:
        for dht, cpl, peers, active in buckets:
            if dht == 'wan':
                fill.setdefault((minute_text(ts), cpl), []).append(peers)
    want = [[m, str(cpl), str(min(v)), str(max(v))] for (m, cpl), v in sorted(fill.items())]
    got = run_shell(db_path, subst(qs[4]))
    if got != want:
        fail(f'query 5 (DHT bucket fill): {got}, expected {want}')
    print(f'# 5 README queries run by the sqlite3 shell; {len(states)} states, {len(exp.events)} events behind them')


# ------------------------------------------------------------------- prefix

def check_prefix(db_path, raw_json, max_gap):
    exp = Expect(load_json_lines(raw_json))
    db = sqlite3.connect(db_path)
    stored = [(s, t) for s, t in db.execute('SELECT seq, ts FROM events ORDER BY id')]
    received = [(e[0], e[1]) for e in exp.events]
    if not stored:
        fail('no event was stored before the kill')
        return
    if stored != received[:len(stored)]:
        fail(f'the {len(stored)} stored events are not a prefix of the {len(received)} received')
    gap = received[-1][1] - stored[-1][1]
    print(f'# received {len(received)} events, stored {len(stored)}: the newest stored is {gap} ms older '
          f'than the newest received (bound {max_gap} ms)')
    if gap > max_gap:
        fail(f'{len(received) - len(stored)} events lost, spanning {gap} ms (more than {max_gap} ms)')
    st_stored = [s for (s,) in db.execute('SELECT seq FROM states ORDER BY id')]
    st_recv = [s[0] for s in exp.states]
    if st_stored != st_recv[:len(st_stored)]:
        fail('the stored states are not a prefix of those received')


# ------------------------------------------------------------------- stores

# What to compare, per table or view: columns by meaning (ids replaced by the
# natural keys they stand for). {blob} and {json} are spelled per dialect.
NODE = '(SELECT peer_id FROM nodes n WHERE n.id = {t}.node_id)'
RUN = '(SELECT start_ts FROM runs r WHERE r.id = {t}.run_id)'
SEQ = '(SELECT seq FROM states s WHERE s.id = {t}.state_id)'
COMPARE = [
    ('nodes', 'peer_id, implementation, first_seen, last_seen'),
    ('runs', NODE + ', start_ts, version, platform, peerscope_version, first_seen, last_seen, last_event_seq'),
    ('sessions', RUN + ', url, opened, last_seen, closed, close_reason, events_dropped'),
    ('event_types', RUN + ', name, {json:properties}'),
    ('states', NODE + ', ' + RUN + ', seq, ts, kind, base_seq, {blob:blob}, connections, connections_open, '
     'streams, peers, dht_peers, peerstore_peers, topics, bytes_in, bytes_out, rate_in, rate_out'),
    ('connections', SEQ + ', ' + NODE + ', ts, conn_id, peer_id, transport, direction, status, remote_addr, '
     'streams, bytes_in, bytes_out, rate_in, rate_out, latency_ns, open_ts, close_ts'),
    ('stream_protocols', SEQ + ', ts, protocol, streams, bytes_in, bytes_out, delta_in, delta_out'),
    ('dht_buckets', SEQ + ', ts, dht, cpl, peers, active'),
    ('events', NODE + ', ' + RUN + ', ts, seq, type, {json:props}'),
    ('state_spans', 'seq, valid_from, valid_to'),
    ('connection_spans', 'node, valid_from, valid_to, conn_id, peer_id, transport, direction, status, '
     'remote_addr, streams, bytes_in, bytes_out'),
    ('peers_over_time', 'node, minute_ts, minute, peers_min, peers_max, connections_max, dht_peers_max, '
     'peerstore_max, states'),
    ('protocol_bandwidth', 'node, minute_ts, minute, protocol, bytes_in, bytes_out, streams_max'),
    ('events_per_minute', 'node, minute_ts, minute, type, events'),
    ('dht_fill', 'node, minute_ts, minute, dht, cpl, peers_min, peers_max, active_max'),
]


def spell(cols, table, pg):
    cols = cols.replace('{t}', table)
    cols = re.sub(r'\{blob:(\w+)\}', (r"encode(\1, 'hex')" if pg else r'lower(hex(\1))'), cols)
    return re.sub(r'\{json:(\w+)\}', r'\1', cols)


def norm(v, is_json):
    if v is None or v == '':
        return ''
    if is_json:
        return json.dumps(json.loads(v), sort_keys=True, separators=(',', ':'))
    return str(v)


def check_stores(db_path):
    import csv
    csv.field_size_limit(1 << 30)
    import io
    db = sqlite3.connect(db_path)
    total = 0
    for table, cols in COMPARE:
        json_cols = [i for i, c in enumerate(cols.split(', ')) if c.startswith('{json:')]
        lite = [tuple(norm(v, i in json_cols) for i, v in enumerate(row))
                for row in db.execute(f'SELECT {spell(cols, table, False)} FROM {table}')]
        q = f'COPY (SELECT {spell(cols, table, True)} FROM {table}) TO STDOUT WITH (FORMAT csv)'
        r = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', q], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f'psql on {table}: {r.stderr.strip()}')
            continue
        pg = [tuple(norm(v, i in json_cols) for i, v in enumerate(row)) for row in csv.reader(io.StringIO(r.stdout))]
        lite.sort()
        pg.sort()
        if lite != pg:
            extra = [x for x in pg if x not in lite][:2]
            missing = [x for x in lite if x not in pg][:2]
            fail(f'{table}: SQLite has {len(lite)} rows, PostgreSQL {len(pg)}; only in PostgreSQL {extra}, '
                 f'only in SQLite {missing}')
        elif not lite:
            fail(f'{table}: empty in both stores')
        total += len(lite)
    print(f'# {len(COMPARE)} tables and views, {total} rows alike in SQLite and PostgreSQL')


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'rows':
        check_rows(*sys.argv[2:6]) if len(sys.argv) > 5 else check_rows(*sys.argv[2:5])
    elif cmd == 'queries':
        check_queries(*sys.argv[2:5])
    elif cmd == 'prefix':
        check_prefix(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == 'stores':
        check_stores(sys.argv[2])
    elif cmd == 'dump-blobs':
        dump_blobs(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
    sys.exit(1 if FAILS else 0)


if __name__ == '__main__':
    main()

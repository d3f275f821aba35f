#!/usr/bin/env python3
"""The Grafana dashboards against the renderer's families.

Usage: check_dashboard.py LIST_FAMILIES DASHBOARD.json...

Every PromQL expression of a dashboard (each "expr" field at any depth, and
the templating queries) may name only series the renderer emits, as
LIST_FAMILIES prints them (counters with _total). Prints TAP.
"""
import json
import re
import subprocess
import sys

NAME = re.compile(r'(?<![A-Za-z0-9_:])(peerscope_[A-Za-z0-9_:]*)')


def exprs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == 'expr' and isinstance(v, str):
                out.append(v)
            elif k in ('query', 'definition') and isinstance(v, str):
                out.append(v)
            else:
                exprs(v, out)
    elif isinstance(node, list):
        for v in node:
            exprs(v, out)
    return out


def main():
    known = set(subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout.split())
    n = 0
    failed = False

    def result(good, desc, detail=''):
        nonlocal n, failed
        n += 1
        print(('ok' if good else 'not ok') + f' {n} - {desc}')
        if not good:
            failed = True
            for line in detail.splitlines():
                print('#   ' + line)

    result(len(known) > 20, f'{len(known)} series names from the renderer')
    for path in sys.argv[2:]:
        try:
            with open(path, encoding='utf-8') as f:
                board = json.load(f)
        except (OSError, ValueError) as e:
            result(False, f'{path}: JSON', str(e))
            continue
        found = exprs(board, [])
        result(len(found) >= 10, f'{path}: {len(found)} PromQL expressions')
        names = set()
        bad = []
        for e in found:
            for name in NAME.findall(e):
                names.add(name)
                if name not in known:
                    bad.append(f'{name} in: {e}')
        result(not bad, f'{path}: every metric name exists ({len(names)} used)', '\n'.join(bad))
        panels = [p for p in board.get('panels', []) if p.get('type') != 'row']
        empty = [p.get('title', '?') for p in panels if not p.get('targets')]
        result(not empty, f'{path}: every panel has a query', ', '.join(empty))
    print(f'1..{n}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

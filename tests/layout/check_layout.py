#!/usr/bin/env python3
"""The tree against the README's Layout section.

Checks that every folder of src/ is in the README's table and nothing else
is, that each file includes only what its folder may use (and of another
folder only its interface header, util/ and wire/ excepted), that private
headers are guarded by their path, that tools/, bench/, examples/ and
bindings/ include no private header, and that the top-level folders the README lists are the
ones in the tree. Prints every violation; exit status 1 if any.
Usage: check_layout.py SOURCE_ROOT
"""
import os
import re
import sys

KITS = {'util', 'wire'}  # every header of these may be used by the layers above


def readme_layout(root):
    text = open(os.path.join(root, 'README.md'), encoding='utf-8').read()
    m = re.search(r'^## Layout\n(.*?)^## ', text, re.S | re.M)
    if not m:
        sys.exit('README.md has no "## Layout" section')
    section = m.group(1)
    table = {}
    for row in re.finditer(r'^\| `src/([^`]+)/` \|[^|]*\| ([^|]*) \|$', section, re.M):
        uses = {u.strip() for u in row.group(2).split(',') if u.strip() not in ('', '-')}
        table[row.group(1)] = uses
    tops = set(re.findall(r'^    (\.?[a-z][\w.-]*)/', section, re.M))
    return table, tops


def folder_of(rel, table):
    """The table folder a path under src/ belongs to (longest prefix)."""
    best = None
    for f in table:
        if rel == f or rel.startswith(f + '/'):
            if best is None or len(f) > len(best):
                best = f
    return best


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    table, tops = readme_layout(root)
    bad = []
    src = os.path.join(root, 'src')

    present = set()
    for d, _, files in os.walk(src):
        if any(f.endswith(('.c', '.h')) for f in files):
            present.add(os.path.relpath(d, src))
    for f in sorted(present - set(table)):
        bad.append(f'src/{f}/ holds code but is not in the README\'s layout table')
    for f in sorted(set(table) - present):
        bad.append(f'the README\'s layout table names src/{f}/, which holds no code')
    for f, uses in table.items():
        for u in sorted(uses - set(table)):
            bad.append(f'the README says src/{f}/ uses {u}, which is not in the table')

    for d, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(d, name)
            rel = os.path.relpath(path, src)
            mine = folder_of(os.path.dirname(rel), table)
            text = open(path, encoding='utf-8').read()
            for inc in re.findall(r'^#include "([^"]+)"', text, re.M):
                if inc.startswith('peerscope/'):
                    continue
                theirs = folder_of(os.path.dirname(inc), table)
                if theirs is None:
                    bad.append(f'src/{rel}: includes "{inc}": not a path from src/ (write "folder/name.h")')
                elif theirs == mine:
                    continue
                elif theirs not in table.get(mine, set()):
                    bad.append(f'src/{rel}: includes "{inc}": src/{mine}/ does not use {theirs}')
                elif theirs not in KITS and os.path.basename(inc) != os.path.basename(theirs) + '.h':
                    bad.append(f'src/{rel}: includes "{inc}": a header private to src/{theirs}/ '
                               f'(its interface is {theirs}/{os.path.basename(theirs)}.h)')
            if name.endswith('.h'):
                guard = 'PSC_' + re.sub(r'[^A-Za-z0-9]', '_', rel[:-2]).upper() + '_H'
                if not re.search(rf'^#ifndef {guard}\n#define {guard}\n', text, re.M):
                    bad.append(f'src/{rel}: header guard should be {guard}')

    for top in ('tools', 'bench', 'examples', 'bindings'):
        for d, _, files in os.walk(os.path.join(root, top)):
            if 'node_modules' in d:
                continue
            for name in files:
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(d, name)
                for inc in re.findall(r'^#include "([^"]+)"', open(path, encoding='utf-8').read(), re.M):
                    if folder_of(os.path.dirname(inc), table) is not None:
                        bad.append(f'{os.path.relpath(path, root)}: includes the private "{inc}" '
                                   '(tools, examples, bindings and the benchmark use public headers only)')

    tree_tops = {e for e in os.listdir(root)
                 if os.path.isdir(os.path.join(root, e)) and e not in ('.git',) and
                 not e.startswith('build') and e != 'node_modules' and (not e.startswith('.') or e == '.ci')}
    for t in sorted(tree_tops - tops):
        bad.append(f'{t}/ is in the tree but not in the README\'s layout')
    for t in sorted(tops - tree_tops):
        bad.append(f'the README\'s layout names {t}/, which is not in the tree')

    for b in bad:
        print(b)
    print(f'{len(table)} folders of src/ checked, {len(bad)} problems')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

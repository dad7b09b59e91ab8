"""Where a process spends its instructions: callgrind self cost per shared object and top functions.

usage: bench_profile.py [--stdin FILE] [--top N] -- CMD ARGS...
Runs CMD under `valgrind --tool=callgrind` (with --separate-threads=no) and prints self Ir per
object (ld.so, libcrypto, libcurl, the executable itself — which holds the static Swift runtime —
...) and the top N functions. Used for docs/bench.md's "what dominates" section.
"""
from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile


def parse(path):
    names = {"ob": {}, "fn": {}, "fl": {}}
    by_ob = collections.Counter()
    by_fn = collections.Counter()
    ob = fn = None
    skip_next = False
    comp = re.compile(r"^(c?ob|c?fn|c?fl|fi|fe)=(?:\((\d+)\))? ?(.*)$")
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = comp.match(line)
        if m:
            kind, idx, name = m.groups()
            base = kind.lstrip("c") if kind not in ("fi", "fe") else "fl"
            table = names[base]
            if idx is None:
                idx = name
            if name:
                table[idx] = name
            if kind == "ob":
                ob = table.get(idx, idx)
            elif kind == "fn":
                fn = table.get(idx, idx)
            continue
        if line.startswith("calls="):
            skip_next = True
            continue
        if line and (line[0].isdigit() or line[0] in "+-*"):
            if skip_next:
                skip_next = False
                continue
            parts = line.split()
            if len(parts) >= 2:
                try:
                    ir = int(parts[1])
                except ValueError:
                    continue
                by_ob[ob] += ir
                by_fn[(fn, ob)] += ir
    return by_ob, by_fn


def main():
    args = sys.argv[1:]
    stdin, top = None, 12
    while args and args[0] != "--":
        if args[0] == "--stdin":
            stdin = args[1]; args = args[2:]
        elif args[0] == "--top":
            top = int(args[1]); args = args[2:]
        else:
            sys.exit(__doc__)
    cmd = args[1:]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        with open(stdin or "/dev/null", "rb") as fin:
            subprocess.run(["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
                            f"--callgrind-out-file={out}", *cmd], stdin=fin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        by_ob, by_fn = parse(out)
    total = sum(by_ob.values())
    print(f"total {total / 1e6:.1f} M instructions: {' '.join(cmd)[:100]}")
    print("| object | M Ir | share |\n|---|---:|---:|")
    for ob, ir in by_ob.most_common(10):
        print(f"| {os.path.basename(ob or '?')} | {ir / 1e6:.2f} | {100 * ir / total:.0f} % |")
    print(f"\n| function (self) | object | M Ir | share |\n|---|---|---:|---:|")
    for (fn, ob), ir in by_fn.most_common(top):
        print(f"| `{(fn or '?')[:70]}` | {os.path.basename(ob or '?')} | {ir / 1e6:.2f} | {100 * ir / total:.0f} % |")


if __name__ == "__main__":
    main()

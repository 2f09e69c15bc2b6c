#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Fails on an include cycle between modules of user/, or on a stage that
uses a stage above it (docs/architecture.md).

A module is a name with its .c and .h (model_python.c + model_python.h);
module A uses module B when A.c or A.h includes B.h. A cycle is A using B
and B, through any chain, using A: the two can no longer be understood or
changed apart. The stages are user/'s folders, in pipeline order; CMake
already refuses a stage's include of a higher stage's header, this check
says it before the build does, by name.

Usage: scripts/check_layers.py [REPO]   (exit 1 and one line per problem)
"""
import os
import re
import sys

STAGES = ["lib", "target", "plan", "probe", "record", "model", "report", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def modules(user):
    """{module: (stage, set of modules it includes)} for every file of user/."""
    found = {}
    for stage in STAGES:
        folder = os.path.join(user, stage)
        for name in sorted(os.listdir(folder)):
            base, ext = os.path.splitext(name)
            if ext not in (".c", ".h"):
                continue
            with open(os.path.join(folder, name)) as f:
                uses = set(INCLUDE.findall(f.read())) - {base}
            entry = found.setdefault(base, (stage, set()))
            entry[1].update(uses)
    return found


def cycles(graph):
    """Every strongly connected group of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    found = modules(os.path.join(repo, "user"))
    graph = {m: uses for m, (_, uses) in found.items()}
    problems = []
    for m, (stage, uses) in sorted(found.items()):
        for u in sorted(uses):
            if u in found and STAGES.index(found[u][0]) > STAGES.index(stage):
                problems.append(f"{stage}/{m} uses {found[u][0]}/{u}: a stage may use only "
                                f"the stages below it ({' -> '.join(STAGES)})")
    for group in cycles(graph):
        problems.append("include cycle: " + " <-> ".join(group) +
                        " (each uses the other; give them one direction)")
    for p in problems:
        print("check_layers: " + p, file=sys.stderr)
    if not problems:
        print(f"check_layers: {len(found)} modules in {len(STAGES)} stages, no cycle")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

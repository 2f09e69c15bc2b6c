# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--condition EXPR: the calls a condition selects, with their callers, are
exactly those a Python-side filter selects from the same recording's
per-call timeline (each call's duration, self time, depth, calls made and
function computed here); exceptions against the fixture's own count; bad
expressions get the column."""
import json
import os
import tempfile
from collections import Counter

import pytest

from conftest import fixture, truth, uscope
from python_helpers import DEBIAN_PYTHON, PY_FIXTURES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="end-to-end tests need root (real BPF)")


def calls_from_timeline(recording):
    """Every call of the recording, from `--format timeline-json`: function,
    depth, duration and self time (ms), the calls it made, its callees."""
    out = uscope("report", recording, "--format", "timeline-json")
    assert out.returncode == 0, out.stderr
    events = json.loads(out.stdout)["timeline"]
    roots, stacks = [], {}
    for e in events:
        stack = stacks.setdefault(e["tid"], [])
        if e["event"] in ("call", "resume"):
            call = {"function": e["function"], "depth": e["depth"], "start": e["time_ms"],
                    "end": None, "callees": [], "resume": e["event"] == "resume"}
            (stack[-1]["callees"] if stack else roots).append(call)
            stack.append(call)
        elif e["event"] in ("return", "raise"):
            while stack and stack[-1]["depth"] > e["depth"]:
                stack.pop()  # an exit not reported: closed by this one
            if stack:
                stack.pop()["end"] = e["time_ms"]
    return roots


def kept_paths(calls, predicate, path=()):
    """Counter of call paths (function names) kept: calls the predicate
    matches, and their callers."""
    kept = Counter()
    for c in calls:
        below = kept_paths(c["callees"], predicate, path + (c["function"],))
        if c["end"] is None:
            continue
        duration = c["end"] - c["start"]
        c["duration_ms"] = duration
        c["self_ms"] = duration - sum(k["end"] - k["start"] for k in c["callees"] if k["end"])
        c["calls"] = sum(1 for k in c["callees"] if not k["resume"])
        if below or predicate(c):
            kept[path + (c["function"],)] += 1
            kept.update(below)
    return kept


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("condition") / "patterns.usc")
    r = uscope("run", "-q", "-o", path, "--report", os.devnull, "--", DEBIAN_PYTHON,
               os.path.join(PY_FIXTURES, "patterns.py"))
    assert r.returncode == 0, r.stderr
    return path


def report_with(recording, condition):
    out = uscope("report", recording, "--format", "json", "--condition", condition)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["condition"] == condition
    return report


CONDITIONS = [
    ("duration_ms > 20", lambda c: c["duration_ms"] > 20),
    ("function ~ 'c*' or function == 'leaf'",
     lambda c: c["function"].startswith("c") or c["function"] == "leaf"),
    ("depth >= 3 and not function ~ '_*'",
     lambda c: c["depth"] >= 3 and not c["function"].startswith("_")),
    ("calls >= 100", lambda c: c["calls"] >= 100),
    ("self_ms > 1 or calls == 12", lambda c: c["self_ms"] > 1 or c["calls"] == 12),
]


@pytest.mark.parametrize("condition,predicate", CONDITIONS, ids=[c for c, _ in CONDITIONS])
def test_a_condition_selects_what_a_filter_of_the_timeline_selects(recording, condition,
                                                                   predicate):
    report = report_with(recording, condition)
    expected = kept_paths(calls_from_timeline(recording), predicate)
    got = counts_of(report)
    assert got == expected
    assert got  # each condition here selects something


def counts_of(report, phases=("startup", "shutdown")):
    """Counter of call paths (function names) in a json report: every
    thread, its program and `phases`."""
    paths = Counter()

    def walk(nodes, path):
        for n in nodes:
            p = path + (n["function"],)
            paths[p] += n["count"] + n.get("resumes", 0)
            walk(n["calls"], p)

    for t in report["threads"]:
        walk(t["calls"], ())
        for phase in phases:
            if phase in t:
                walk(t[phase]["calls"], ())
    return paths


def test_the_slow_call_and_its_callers_only(recording):
    report = report_with(recording, "duration_ms > 20")
    got = counts_of(report, phases=())  # the program's own calls
    # patterns.py: a() sleeps 30 ms once in six calls; run() and the module hold it
    assert got[("<module>", "run", "a")] == 1
    assert all(p[-1] in ("<module>", "run", "a") for p in got), got


def test_exceptions_by_type_with_the_fixture_count():
    r = uscope("run", "-q", "--format", "json", "--report", "/dev/stdout", "--condition",
               "exception == 'ValueError'", "--", DEBIAN_PYTHON,
               os.path.join(PY_FIXTURES, "slow_spots.py"), timeout=300)
    assert r.returncode == 0, r.stderr
    counts = truth(r.stdout)
    report = json.loads(r.stdout[r.stdout.index("{"):r.stdout.rindex("}") + 1])
    got = counts_of(report)
    risky = [n for p, n in got.items() if p[-1] == "risky"]
    careful = [n for p, n in got.items() if p[-1] == "careful"]
    assert risky == [counts["risky"]] == [1000]
    assert careful == [1000]  # the callers of each raise, nothing else below main
    assert not any(p[-1] in ("tiny", "sleepy", "nest") for p in got)


def test_a_native_program_by_module_and_calls():
    r = uscope("run", "-q", "--format", "json", "--report", "/dev/stderr", "--condition",
               "module == 'shapes' and function ~ '*_area'", "--",
               fixture("../../examples/shapes"))
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stderr)
    got = counts_of(report)
    full = json.loads(uscope("run", "-q", "--format", "json", "--report", "/dev/stderr", "--",
                             fixture("../../examples/shapes")).stderr)
    area = Counter({p: n for p, n in counts_of(full).items() if p[-1].endswith("_area")})
    assert {p: n for p, n in got.items() if p[-1].endswith("_area")} == area
    assert all(p[-1].endswith("_area") or any(q[:len(p)] == p and q[-1].endswith("_area")
                                               for q in got) for p in got)


@pytest.mark.parametrize("condition,column,what", [
    ("duraton_ms > 3", 1, "did you mean duration_ms?"),
    ("duration_ms > > 3", 15, "expected a number"),
    ("function ~ 'parse_*' and", 25, "the expression ends"),
    ("(depth < 3", 1, "never closed"),
])
def test_a_bad_condition_points_at_its_column(recording, condition, column, what):
    r = uscope("report", recording, "--condition", condition)
    assert r.returncode == 2
    assert f"column {column}: " in r.stderr and what in r.stderr, r.stderr


def test_alloc_bytes_counts_a_call_and_its_callees():
    """allocs: large_blocks allocates 12 MiB itself; the worker threads and
    the small helpers far less. Inclusive bytes per call, from the json of
    the same recording with no condition (each of these runs once)."""
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "allocs.usc")
        r = uscope("run", "-q", "--memory", "-o", rec, "--report", os.devnull, "--",
                   fixture("allocs"))
        assert r.returncode == 0, r.stderr
        full = json.loads(uscope("report", rec, "--format", "json").stdout)

        def inclusive(n):
            return n["alloc_bytes"] + sum(inclusive(c) for c in n["calls"])

        expected, several = set(), set()
        for t in full["threads"]:
            for top in t["calls"]:
                for n in [top] + top["calls"]:
                    if n["count"] != 1:
                        several.add(n["function"])  # print_truth: 7 small calls
                    elif inclusive(n) > 1000000:
                        expected.add(n["function"])
        report = report_with(rec, "alloc_bytes > 1000000")
        got = {p[-1] for p in counts_of(report, phases=())} - several
        assert "large_blocks" in expected and got == expected

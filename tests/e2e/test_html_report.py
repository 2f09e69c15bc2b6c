# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The HTML report: one self-contained page, opened in headless Chromium
(Debian's): no script error, no request off the file, the summary, the
timeline and flame graph drawn, the call tree with its search, the flat
profile sorted by a click, the pattern groups, exceptions and bottlenecks,
each checked against the fixture's own counts. A million calls stay a file
under 30 MB that holds every call, merged ones counted."""
import json
import os
import re
import subprocess

import pytest

from conftest import fixture, truth, uscope
from python_helpers import DEBIAN_PYTHON, PY_FIXTURES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="end-to-end tests need root (real BPF)")

WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
MAX_BOXES = 200000  # report_html.c: TIMELINE_BOXES


def page_data(page):
    """The recording's data the page carries (JSON inside a script element)."""
    with open(page) as f:
        text = f.read()
    assert "<script src" not in text and "<link" not in text  # works offline
    m = re.search(r'<script type="application/json" id="uscope-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1).replace("<\\/", "</"))


def open_in_chromium(page, search, tmp_path):
    shot = str(tmp_path / "report.png")
    check = subprocess.run(["node", os.path.join(WEB, "check_report.js"), page, search, shot],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["errors"] == [] and seen["requests"] == [], seen["errors"]
    assert seen["ready"]
    assert os.path.getsize(shot) > 20000
    print(f"{page}: ready in {seen['readyMs']} ms")
    return seen


def calls_of(data, name):
    """Calls of the function `name` summed over the page's call-tree nodes."""
    ids = {i for i, f in enumerate(data["functions"]) if f[0] == name}
    return sum(n[2] for n in data["nodes"] if n[1] in ids)


def test_a_python_program_in_the_browser(tmp_path):
    page = str(tmp_path / "patterns.html")
    r = uscope("run", "--format", "html", "--report", page, "--", DEBIAN_PYTHON,
               os.path.join(PY_FIXTURES, "patterns.py"))
    assert r.returncode == 0, r.stderr
    data = page_data(page)
    # the fixture's loops: run() calls a, b 6 times and c, d 12 times; tally() leaf 100 times
    assert [calls_of(data, f) for f in ("a", "b", "c", "d", "leaf")] == [6, 6, 12, 12, 100]
    seen = open_in_chromium(page, "leaf", tmp_path)
    assert "calls: " in seen["facts"] and "exit status: 0" in seen["facts"]
    assert any(row.startswith("▾run (patterns.py:30)") for row in seen["treeRows"]), seen["treeRows"]
    assert seen["matches"] and all("leaf (patterns.py:26)" in m for m in seen["matches"])
    assert "6× [a → b → 2× [c → d]]" in seen["patterns"]
    assert "100× [leaf]" in seen["patterns"]
    # the flat profile, sorted by calls with a click: leaf's 100 first
    assert seen["flatByCalls"][0][0].startswith("leaf (patterns.py:26)")
    assert seen["flatByCalls"][0][1] == "100"
    assert seen["timeline"]["drawn"] > 2000 and seen["flame"]["drawn"] > 2000
    assert any(b.startswith("a (patterns.py:9)") for b in seen["bottlenecks"])  # its 30 ms call


def test_exceptions_and_bottlenecks_with_their_counts(tmp_path):
    page = str(tmp_path / "slow.html")
    r = uscope("run", "--format", "html", "--report", page, "--", DEBIAN_PYTHON,
               os.path.join(PY_FIXTURES, "slow_spots.py"), timeout=300)
    assert r.returncode == 0, r.stderr
    counts = truth(r.stdout)
    data = page_data(page)
    raised = [m for m in data["marks"] if m[4] == "ValueError"]
    assert len(raised) == counts["risky"] == 1000  # each raise marked on the timeline
    assert calls_of(data, "tiny") == counts["tiny"]
    seen = open_in_chromium(page, "tiny", tmp_path)
    assert any(e.startswith("ValueError") and "1000× caught" in e for e in seen["exceptions"])
    rules = " ".join(seen["bottlenecks"])
    for rule in ("call_overhead", "slow_call", "exceptions", "deep_recursion"):
        assert rule in rules, rules


def test_a_recording_gives_the_same_page(tmp_path):
    rec, page = str(tmp_path / "shapes.usc"), str(tmp_path / "shapes.html")
    r = uscope("run", "-q", "-o", rec, "--", fixture("../../examples/shapes"))
    assert r.returncode == 0, r.stderr
    r = uscope("report", rec, "--format", "html", "--report", page)
    assert r.returncode == 0, r.stderr
    report = json.loads(uscope("report", rec, "--format", "json").stdout)
    data = page_data(page)
    assert data["summary"]["calls"] == report["total_calls"]
    # no call merged: every call is a box of its own
    assert data["decimation"]["threshold_us"] == 0
    assert sum(b[4] for t in data["threads"] for b in t["boxes"]) == report["total_calls"]
    seen = open_in_chromium(page, "area", tmp_path)
    assert f"calls: {report['total_calls']}" in seen["facts"]
    assert any(row.startswith("▾main") for row in seen["treeRows"]), seen["treeRows"]
    assert seen["matches"]


def test_a_million_calls_stay_small_and_every_call_is_counted(tmp_path):
    page = str(tmp_path / "million.html")
    r = uscope("run", "--format", "html", "--report", page, "--", fixture("callbench"),
               "1000000", timeout=600)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(page) < 30 << 20
    data = page_data(page)
    boxes = [b for t in data["threads"] for b in t["boxes"]]
    assert len(boxes) <= MAX_BOXES
    assert data["decimation"]["threshold_us"] > 0
    # main and its million calls: merged or not, each one is in a box's count
    assert sum(b[4] for b in boxes) == data["summary"]["calls"] == 1000001
    seen = open_in_chromium(page, "bench_target", tmp_path)
    assert "are merged with their neighbours" in seen["decimation"]
    assert seen["timeline"]["drawn"] > 1000


def test_memory_counters_reach_the_page(tmp_path):
    rec, page = str(tmp_path / "memory.usc"), str(tmp_path / "memory.html")
    r = uscope("run", "-q", "--memory", "-o", rec, "--", fixture("allocs"))
    assert r.returncode == 0, r.stderr
    assert uscope("report", rec, "--format", "html", "--report", page).returncode == 0
    report = json.loads(uscope("report", rec, "--format", "json").stdout)
    data = page_data(page)
    assert data["summary"]["peak_heap_bytes"] == report["memory"]["heap"]["peak_bytes"] > 0
    heap = [c for c in data["counters"] if c["name"] == "heap in use"]
    assert heap and max(p[1] for p in heap[0]["points"]) > 0
    seen = open_in_chromium(page, "main", tmp_path)
    assert "peak heap: " in seen["facts"]


def test_html_needs_calls_not_counters():
    r = uscope("run", "--aggregate", "--format", "html", "--", fixture("empty"))
    assert r.returncode != 0
    assert "no timeline, chrome or html report" in r.stderr

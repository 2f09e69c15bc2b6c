# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Shared helpers for the end-to-end tests: real BPF, as root.

Every number these tests assert comes from the fixtures themselves (they
count their own calls and print "count NAME=N"), never from uscope.
"""
import json
import os
import re
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("USCOPE_BUILD", os.path.join(REPO, "build"))
# USCOPE_BIN: another uscope (the sanitizer build) on the same fixtures
USCOPE = os.environ.get("USCOPE_BIN", os.path.join(BUILD, "uscope"))
FIXTURES = os.path.join(BUILD, "tests", "fixtures")


def fixture(name):
    return os.path.join(FIXTURES, name)


def truth(stdout):
    """The fixture's own counts: {"fib": 465, ...}."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^count (\w+)=(\d+)$", stdout, re.M)}


class Traced:
    def __init__(self, proc, report_text):
        self.proc = proc
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report_text = report_text

    @property
    def report(self):
        return json.loads(self.report_text)


def uscope(*args, timeout=120, **kw):
    return subprocess.run([USCOPE, *args], capture_output=True, text=True, timeout=timeout, **kw)


def trace(*args, fmt="json", timeout=120, **kw):
    """uscope run/attach with the report written to a file, parsed if json."""
    with tempfile.NamedTemporaryFile(suffix=".report", delete=False) as f:
        path = f.name
    try:
        cmd, rest = args[0], list(args[1:])
        proc = uscope(cmd, "-q", "--format", fmt, "--report", path, *rest, timeout=timeout, **kw)
        with open(path) as f:
            text = f.read()
        return Traced(proc, text)
    finally:
        os.unlink(path)


def walk(nodes, path=()):
    """Yields (call path, node) for every node of a json call tree."""
    for n in nodes:
        p = path + (n["function"],)
        yield p, n
        yield from walk(n["calls"], p)


def counts_by_function(report):
    """Calls per function over all threads and call paths."""
    totals = {}
    for t in report["threads"]:
        for _, n in walk(t["calls"]):
            totals[n["function"]] = totals.get(n["function"], 0) + n["count"]
    return totals


def node(report, *path, thread=0):
    for p, n in walk(report["threads"][thread]["calls"]):
        if p == path:
            return n
    return None


def pytest_collection_modifyitems(config, items):
    """Without root every end-to-end test is skipped, saying why."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="the end-to-end tests load BPF programs: run them as root")
    for item in items:
        item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def needs_build():
    if os.geteuid() == 0 and not os.path.exists(USCOPE):
        pytest.exit(f"{USCOPE} is missing: build first (scripts/test.sh does)", returncode=2)

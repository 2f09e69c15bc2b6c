# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Await points: a coroutine awaiting three sleeps of known length is seen
suspended three times, at the lines of its awaits, for as long as each
sleep (with tolerance: a sleep never ends early, and the VM is noisy)."""
import os

import pytest

from conftest import trace
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter, line_of

WORKLOAD = os.path.join(PY_FIXTURES, "lines_workload.py")
SLEEPS = [("asyncio.sleep(0.05)", 50), ("asyncio.sleep(0.10)", 100), ("asyncio.sleep(0.02)", 20)]


def sleeper_awaits(report):
    return [a for a in report["awaits"]
            if a["coroutine"] == "sleeper" and a["file"].endswith("lines_workload.py")]


@pytest.mark.parametrize("name", INTERPRETERS)
def test_three_awaits_with_their_lines_and_times(name):
    python = interpreter(name)
    t = trace("run", "--", python, WORKLOAD)
    assert t.returncode == 0, t.stderr
    awaits = sleeper_awaits(t.report)
    assert [a["line"] for a in awaits] == [line_of(text, WORKLOAD) for text, _ in SLEEPS]
    for a, (_, ms) in zip(awaits, SLEEPS):
        assert ms - 1 <= a["duration_ms"] <= ms + 60, a
        assert a["awaited"] == "sleep"          # the coroutine it awaited
        assert a["yielded"].endswith("Future")  # what went up to the event loop
    sleeper = [c for c in t.report["coroutines"] if c["coroutine"] == "sleeper"]
    assert len(sleeper) == 1 and sleeper[0]["awaits"] == 3
    assert sleeper[0]["await_ms"] == pytest.approx(sum(a["duration_ms"] for a in awaits), abs=0.01)
    # each asyncio.sleep() is its own coroutine, though their frames share an address
    assert sum(c["coroutine"] == "sleep" for c in t.report["coroutines"]) == 3


def test_await_threshold_keeps_the_slower_ones():
    python = interpreter("debian-3.11")
    t = trace("run", "--await-threshold", "30", "--", python, WORKLOAD)
    assert t.returncode == 0, t.stderr
    assert [a["line"] for a in sleeper_awaits(t.report)] == \
        [line_of(text, WORKLOAD) for text, ms in SLEEPS if ms > 30]
    sleeper = [c for c in t.report["coroutines"] if c["coroutine"] == "sleeper"]
    assert sleeper[0]["awaits"] == 3        # the totals count them all
    text = trace("run", "--await-threshold", "30", "--", python, WORKLOAD, fmt="awaits")
    assert "3 of them 30.000 ms or longer shown" in text.report_text or \
        "of them 30.000 ms or longer shown" in text.report_text
    assert "await asyncio.sleep(0.10)" in text.report_text
    assert "await asyncio.sleep(0.02)" not in text.report_text

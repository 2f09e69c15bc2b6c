# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Repeated call patterns: fixtures whose loops make known nested patterns
(6x [a, b, 2x [c, d]] with one slow iteration, 100x [leaf]) give exactly
those periods, repeats, positions and outliers, in json and as text."""
import os
import tempfile
import pytest
from conftest import fixture, trace, uscope
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="end-to-end tests need root (real BPF)")


def names(labels):
    """Function names from report labels ("a (patterns.py:9)" -> "a")."""
    return [label.split(" ")[0] for label in labels]


def pattern_under(report, parent):
    found = [p for p in report["patterns"] if p["parent"].split(" ")[0] == parent]
    assert len(found) == 1, report["patterns"]
    return found[0]


def check_known_patterns(report, a, b, c, d, leaf):
    loop = pattern_under(report, "run")
    assert (loop["period"], loop["repeats"], loop["occurrences"]) == (6, 6, 1)
    assert names(loop["calls"]) == [a, b, c, d, c, d]
    assert loop["last_call"] - loop["first_call"] == 6 * 6 - 1  # calls in a row
    # the iteration whose first call sleeps 30 ms (on a busy machine another
    # iteration of a few microseconds may be preempted past 3x the median too)
    assert 3 in loop["outliers"]
    assert loop["iteration_ms"]["max"] >= 30 > loop["iteration_ms"]["min"]
    assert len(loop["patterns"]) == 1
    inner = loop["patterns"][0]
    assert (inner["period"], inner["repeats"], inner["offset"]) == (2, 2, 2)
    assert names(inner["calls"]) == [c, d]
    assert inner["patterns"] == []
    tally = pattern_under(report, "tally")
    assert (tally["period"], tally["repeats"]) == (1, 100)
    assert names(tally["calls"]) == [leaf]


def test_a_native_loop_gives_its_nested_pattern():
    t = trace("run", "--", fixture("patterns"))
    assert t.returncode == 0, t.stderr
    check_known_patterns(t.report, "step_a", "step_b", "step_c", "step_d", "leaf")


@pytest.mark.parametrize("name", INTERPRETERS)
def test_a_python_loop_gives_its_nested_pattern(name):
    t = trace("run", "--", interpreter(name), os.path.join(PY_FIXTURES, "patterns.py"))
    assert t.returncode == 0, t.stderr
    check_known_patterns(t.report, "a", "b", "c", "d", "leaf")
    assert pattern_under(t.report, "run")["phase"] == "program"


def test_the_text_report_folds_the_nested_repeat():
    with tempfile.TemporaryDirectory() as d:
        recording = os.path.join(d, "p.usc")
        t = trace("run", "-o", recording, "--", fixture("patterns"), fmt="patterns")
        assert t.returncode == 0, t.stderr
        assert "6× [step_a → step_b → 2× [step_c → step_d]]" in t.report_text
        assert "100× [leaf]" in t.report_text
        slow = t.report_text.split("in run, ")[1].split("\n\n")[0]
        listed = slow.split("slower than 3× the median: iteration ")[1]
        assert "4" in listed.replace(" and", ",").split(", ")
        # the same from the recording
        again = uscope("report", recording, "--format", "patterns")
        assert again.returncode == 0, again.stderr
        assert "6× [step_a → step_b → 2× [step_c → step_d]]" in again.stdout


def test_the_tree_shows_the_repeated_block_under_its_caller():
    t = trace("run", "--", fixture("patterns"), fmt="tree")
    assert t.returncode == 0, t.stderr
    lines = t.report_text.splitlines()
    run_row = next(i for i, line in enumerate(lines) if line.endswith("─ run"))
    assert lines[run_row + 1].endswith("↻ 6× [step_a → step_b → 2× [step_c → step_d]]")

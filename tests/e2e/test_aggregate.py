# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--aggregate: counters kept in the kernel, no record per call. Its counts
must equal the exact mode's, and both the fixtures' own."""
import pytest

from conftest import fixture, trace, truth
from python_helpers import INTERPRETERS, WORKLOAD, interpreter, python_functions


def by_name(report):
    return {f["function"]: f for f in report["functions"]}


@pytest.mark.parametrize("argv", [["recursion", "14", "3"], ["threads", "4"],
                                  ["jumps", "7"], ["throws", "50"]])
def test_native_counts_equal_the_exact_mode_and_the_fixture(argv):
    exact = trace("run", "--", fixture(argv[0]), *argv[1:])
    agg = trace("run", "--aggregate", "--", fixture(argv[0]), *argv[1:])
    assert agg.returncode == exact.returncode
    assert truth(agg.stdout) == truth(exact.stdout)  # the threads' lines come in any order
    assert agg.report["aggregate"] is True
    assert agg.report["threads"] == [] or all(not t["calls"] for t in agg.report["threads"])
    want = {name: f["count"] for name, f in by_name(exact.report).items()}
    got = {name: f["count"] for name, f in by_name(agg.report).items()}
    assert got == want
    for name, n in truth(agg.stdout).items():
        if name in got:
            assert got[name] == n, name


def test_latency_histogram_holds_each_call_in_its_power_of_two():
    agg = trace("run", "--aggregate", "-f", "sleep_20ms", "--", fixture("sleeper"), "3")
    f = by_name(agg.report)["sleep_20ms"]
    assert f["count"] == f["timed"] == truth(agg.stdout)["sleep_20ms"] == 3
    # 20 ms lies in [2^24, 2^25) ns
    assert f["latency"] == [{"from_ns": 1 << 24, "calls": 3}]
    assert 19.9 <= f["min_ms"] and f["max_ms"] <= 33.5


def test_the_report_is_a_flat_table_with_histograms():
    agg = trace("run", "--aggregate", "--", fixture("recursion"), "10", "0", fmt="tree")
    assert "Calls" in agg.report_text and "fib" in agg.report_text
    assert "distribution" in agg.report_text and "|*" in agg.report_text


@pytest.mark.parametrize("name", INTERPRETERS)
def test_python_counts_per_code_object_equal_the_exact_mode(name):
    python = interpreter(name)
    exact = trace("run", "--", python, WORKLOAD)
    agg = trace("run", "--aggregate", "--", python, WORKLOAD)
    assert agg.returncode == exact.returncode, agg.stderr  # the workload ends raising
    want = {line: f["count"] for line, f in python_functions(exact.report, WORKLOAD).items()}
    got = {line: f["count"] for line, f in python_functions(agg.report, WORKLOAD).items()}
    assert got == want

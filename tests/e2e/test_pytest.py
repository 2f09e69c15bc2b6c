# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pytest runs traced from outside: each test with its node id, outcome and
duration, against pytest's own junit XML of the same run."""
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, trace
from python_helpers import DEBIAN_PYTHON, PY_FIXTURES

SUITE = os.path.relpath(os.path.join(PY_FIXTURES, "pytest_suite"), REPO)


def has_pytest():
    return subprocess.run([DEBIAN_PYTHON, "-c", "import pytest"],
                          capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not os.access(DEBIAN_PYTHON, os.X_OK) or not has_pytest(),
                                reason="Debian's python3.11 with pytest (python3-pytest) is "
                                       "needed: scripts/setup.sh installs it")


def junit_outcomes(path):
    """{(classname, name): (outcome, seconds)} from pytest's junit XML."""
    found = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if case.find(child) is not None:
                outcome = name
        found[(case.get("classname"), case.get("name"))] = (outcome, float(case.get("time")))
    return found


def as_junit_key(nodeid):
    """tests/x/test_a.py::TestB::test_c[1] -> ("tests.x.test_a.TestB", "test_c[1]")"""
    path, *parts = nodeid.split("::")
    module = path[:-3].replace("/", ".")
    return ".".join([module] + parts[:-1]), parts[-1]


def run_suite(tmp_path, *pytest_args):
    xml = tmp_path / "junit.xml"
    t = trace("run", "--", DEBIAN_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              f"--junitxml={xml}", *pytest_args, SUITE, cwd=REPO)
    assert t.returncode in (0, 1), t.stderr    # 1: some tests failed, as they should
    return t, junit_outcomes(xml)


def check_against_junit(report, junit):
    ours = {as_junit_key(test["nodeid"]): test for test in report["tests"]}
    assert set(ours) == set(junit)
    for key, (outcome, seconds) in junit.items():
        assert ours[key]["outcome"] == outcome, key
        assert ours[key]["duration_ms"] / 1e3 == pytest.approx(seconds, abs=0.0015), key


def test_each_test_with_its_node_id_and_outcome_as_junit_says(tmp_path):
    t, junit = run_suite(tmp_path)
    check_against_junit(t.report, junit)
    outcomes = sorted(test["outcome"] for test in t.report["tests"])
    assert outcomes == ["error", "failed", "failed", "passed", "passed", "passed", "passed",
                        "passed", "skipped", "skipped"]
    sleeps = [test for test in t.report["tests"] if test["nodeid"].endswith("::test_sleeps")]
    assert sleeps[0]["phases"]["call"]["duration_ms"] >= 50
    assert [test for test in t.report["tests"] if test.get("xfail")][0]["nodeid"].endswith(
        "test_expected_failure")
    # each test that ran has its own call tree, from its test function down
    for test in t.report["tests"]:
        name = test["nodeid"].split("::")[-1].split("[")[0]
        if "call" not in test["phases"] or test["phases"]["call"]["outcome"] == "skipped":
            continue
        roots = test["calls"]
        assert len(roots) == 1 and roots[0]["function"].split(".")[-1] == name, test["nodeid"]
        assert roots[0]["count"] == 1
    sleep_root = sleeps[0]["calls"][0]
    assert sleep_root["total_ms"] >= 50
    assert [c["function"] for c in sleep_root["calls"]] == []  # time.sleep is C: no call below


@pytest.mark.parametrize("args", [["-x"], ["-k", "squares"], ["-n", "0"]])
def test_options_change_which_tests_run(tmp_path, args):
    if args[0] == "-n" and subprocess.run([DEBIAN_PYTHON, "-c", "import xdist"],
                                          capture_output=True).returncode:
        pytest.fail("-n needs pytest-xdist: scripts/setup.sh installs python3-pytest-xdist")
    t, junit = run_suite(tmp_path, *args)
    check_against_junit(t.report, junit)
    if args == ["-x"]:
        assert len(t.report["tests"]) == 2      # stops at the first failure
    if args == ["-k", "squares"]:
        assert len(t.report["tests"]) == 3


def test_tests_format(tmp_path):
    xml = tmp_path / "junit.xml"
    t = trace("run", "--", DEBIAN_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              f"--junitxml={xml}", SUITE, cwd=REPO, fmt="tests")
    assert "10 tests: 5 passed, 2 failed, 1 errors, 2 skipped" in t.report_text
    assert "test_sample.py::TestGroup::test_sleeps" in t.report_text


def test_the_pytest_command_itself(tmp_path):
    """`uscope run -- pytest-3 ARGS`: a script whose #! names the interpreter."""
    script = "/usr/bin/pytest-3"
    if not os.access(script, os.X_OK):
        pytest.skip(f"{script} is not installed")
    xml = tmp_path / "junit.xml"
    t = trace("run", "--", script, "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
              "-k", "squares", SUITE, cwd=REPO)
    assert t.returncode == 1, t.stderr
    check_against_junit(t.report, junit_outcomes(xml))


def test_attach_to_a_running_pytest(tmp_path):
    """Tests that run after uscope attaches are recognised as they end."""
    import time
    suite = os.path.relpath(os.path.join(PY_FIXTURES, "pytest_slow"), REPO)
    xml = tmp_path / "junit.xml"
    target = subprocess.Popen([DEBIAN_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--junitxml={xml}", suite], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)     # start-up and the first tests run untraced
        t = trace("attach", "-p", str(target.pid), "--duration", "2")
        assert t.returncode == 0, t.stderr
    finally:
        target.wait(timeout=60)
    junit = junit_outcomes(xml)
    seen = {as_junit_key(test["nodeid"]): test for test in t.report["tests"]}
    assert 3 <= len(seen) < len(junit)
    for key, test in seen.items():
        assert test["outcome"] == junit[key][0], key

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--lines: each line a Python frame starts, against sys.settrace's 'line'
events of the same interpreter on the same workload (a separate run), and
the coverage files against `python -m trace --count --missing`'s."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import USCOPE, trace, uscope
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter, line_of, minor_of

WORKLOAD = os.path.join(PY_FIXTURES, "lines_workload.py")
ATTACH_TARGET = os.path.join(PY_FIXTURES, "lines_attach_target.py")
# PyThreadState.c_tracefunc (tests/e2e/test_python_layout.py checks uscope's)
C_TRACEFUNC = {8: 64, 9: 64, 10: 64, 11: 72, 12: -1, 13: -1}   # 3.12+: sys.monitoring


def settrace_truth(python, script, mode="lines"):
    """What settrace sees of `script` in `python` (fixtures/settrace_truth.py)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        subprocess.run([python, os.path.join(PY_FIXTURES, "settrace_truth.py"), mode, out,
                        script], capture_output=True, text=True, timeout=120, check=True)
        with open(out) as f:
            data = json.load(f)
    finally:
        os.unlink(out)
    if mode != "lines":
        return data
    return {int(k): v for k, v in data["counts"].items()}, data["steps"]


def counts_of(report, script):
    counts = {}
    for row in report["lines"]:
        if os.path.abspath(row["file"]) == script:
            counts[row["line"]] = counts.get(row["line"], 0) + row["count"]
    return counts


def lines_python(name):
    return interpreter(name)


@pytest.mark.parametrize("name", INTERPRETERS)
def test_line_counts_equal_settrace(name):
    python = lines_python(name)
    truth, _ = settrace_truth(python, WORKLOAD)
    t = trace("run", "--lines", "--", python, WORKLOAD)
    assert t.returncode == 0, t.stderr
    assert "result 7 10 55 26 2 3" in t.stdout     # the program's own output, unchanged
    assert counts_of(t.report, WORKLOAD) == truth
    # the branch never taken and the function never called have no line
    assert line_of("total -= 1000", WORKLOAD) not in truth
    assert line_of('return "not run"', WORKLOAD) not in truth


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.8", "pyenv-3.10", "pyenv-3.12",
                                  "pyenv-3.13"])
def test_steps_come_in_settrace_order(name):
    python = lines_python(name)
    _, truth_steps = settrace_truth(python, WORKLOAD)
    t = trace("run", "--lines", "--", python, WORKLOAD, fmt="steps")
    assert t.returncode == 0, t.stderr
    steps = [int(m.group(1)) for m in
             re.finditer(r"lines_workload\.py:(\d+) \(", t.report_text)]
    assert steps[:len(truth_steps)] == truth_steps
    # time since start rises; the thread's previous step time is shown
    times = [float(line.split()[0]) for line in t.report_text.splitlines()
             if "lines_workload.py:" in line]
    assert times == sorted(times)


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.10", "pyenv-3.12", "pyenv-3.13"])
def test_coverage_files_equal_trace_modules(name, tmp_path):
    python = lines_python(name)
    theirs, ours = tmp_path / "trace", tmp_path / "uscope"
    subprocess.run([python, "-m", "trace", "--count", "--missing", "-C", str(theirs), WORKLOAD],
                   capture_output=True, timeout=120, check=True)
    t = trace("run", "--lines", "--coverdir", str(ours), "--", python, WORKLOAD,
              fmt="coverage")
    assert t.returncode == 0, t.stderr
    expected = (theirs / "lines_workload.cover").read_text()
    assert (ours / "lines_workload.cover").read_text() == expected
    never = [line for line in expected.splitlines() if line.startswith(">>>>>>")]
    assert any("total -= 1000" in line for line in never)
    assert any('return "not run"' in line for line in never)
    assert re.search(r"lines_workload\s+\S+/lines_workload\.cover", t.report_text)


def test_lines_report_names_the_hot_lines():
    python = lines_python("pyenv-3.10")
    t = trace("run", "--lines", "--scope", PY_FIXTURES, "--", python, WORKLOAD, fmt="lines")
    assert t.returncode == 0, t.stderr
    text = t.report_text
    loop = line_of("if i % 3 == 0", WORKLOAD) - 1     # branches' loop: 12 runs, one exit
    assert re.search(rf"\n\s+13\s+.*lines_workload\.py:{loop}\s+for i in range\(n\):", text)
    assert "asyncio/" not in text.split("SOURCE", 1)[1]   # --scope keeps the program's own
    # a line two functions share (a comprehension's) is one row, as settrace counts it
    evens = line_of("evens = [x", WORKLOAD)
    assert len(re.findall(rf"lines_workload\.py:{evens}\s", text)) == 1
    assert re.search(rf"\n\s+22\s+.*lines_workload\.py:{evens}\s", text)


def test_lines_of_a_program_that_is_not_python_is_a_clear_error():
    r = uscope("run", "--lines", "--", "true")
    assert r.returncode != 0
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "not a CPython program" in errors[0]


def test_line_formats_need_lines():
    r = uscope("run", "--format", "steps", "--", "true")
    assert r.returncode == 2
    assert "add --lines" in r.stderr


def start_target(python, tmp_path):
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    minor = minor_of(python)
    target = subprocess.Popen([python, ATTACH_TARGET, str(ready), str(stop),
                               str(C_TRACEFUNC[minor])], stdout=subprocess.PIPE, text=True)
    for _ in range(200):
        if ready.exists():
            break
        time.sleep(0.05)
    assert ready.exists(), "the target did not start"
    return target, stop


def finish_target(target, stop):
    stop.touch()
    out, _ = target.communicate(timeout=60)
    assert target.returncode == 0
    return out


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.8", "pyenv-3.9", "pyenv-3.10",
                                  "pyenv-3.12", "pyenv-3.13"])
def test_attach_records_lines_and_leaves_no_hook(name, tmp_path):
    python = lines_python(name)
    target, stop = start_target(python, tmp_path)
    try:
        t = trace("attach", "-p", str(target.pid), "--lines", "--duration", "1")
        assert t.returncode == 0, t.stderr
        work_loop = line_of("total += i", ATTACH_TARGET)
        counts = counts_of(t.report, ATTACH_TARGET)
        assert counts.get(work_loop, 0) >= 200
    finally:
        out = finish_target(target, stop)
    # its own settrace works as before, and no C trace function (3.12: no
    # sys.monitoring event, no instrumented line) is left
    assert "settrace lines 3" in out
    assert "c_tracefunc 0" in out or "monitoring events 0" in out
    if minor_of(python) >= 12:
        assert "instrumented lines 0" in out


@pytest.mark.parametrize("name", ["pyenv-3.10", "pyenv-3.12", "pyenv-3.13"])
def test_hook_is_taken_out_when_uscope_is_killed(name, tmp_path):
    python = lines_python(name)
    target, stop = start_target(python, tmp_path)
    try:
        u = subprocess.Popen([USCOPE, "attach", "-q", "-p", str(target.pid), "--lines",
                              "-o", str(tmp_path / "rec.usc")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        u.send_signal(signal.SIGKILL)
        u.wait(timeout=30)
        time.sleep(0.5)     # the guard's turn
    finally:
        out = finish_target(target, stop)
    assert "settrace lines 3" in out
    assert "c_tracefunc 0" in out or "monitoring events 0" in out
    # 3.12+: the guard moved the version on (3.13: in each thread's eval
    # breaker too), so the code dropped the line events
    if minor_of(python) >= 12:
        assert "instrumented lines 0" in out
    # the recording is readable up to its last flush, lines included
    r = uscope("report", "--format", "lines", str(tmp_path / "rec.usc"))
    assert r.returncode == 0, r.stderr
    assert "lines_attach_target.py" in r.stdout


LOCALS = os.path.join(PY_FIXTURES, "locals_workload.py")
EXPECTED_CHANGES = [
    "[NEW] x: int :: 5", "[NEW] y: int :: 5", "[CHANGED] y: int :: 5 -> 10",
    "[NEW] name: str :: 'ab'", "[NEW] items: list :: len 3", "[NEW] ratio: float :: 0.5",
    "[NEW] flag: bool :: True", "[NEW] nothing: NoneType :: None",
    "[CHANGED] items: list :: len 3 -> len 4",
]


def locals_under(report_text, function):
    """The variable lines written under the steps of `function`."""
    found, inside = [], False
    for line in report_text.splitlines():
        if re.match(r"\s+\d+\.\d+ ", line):      # a step
            inside = re.search(rf"[(.]{re.escape(function)}\)", line) is not None
        elif line.startswith("uscope:"):
            inside = False
        elif inside and line.strip():
            found.append(line.strip())
    return found


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.8", "pyenv-3.9", "pyenv-3.10",
                                  "pyenv-3.11", "pyenv-3.12", "pyenv-3.13"])
def test_locals_changed_shows_exactly_the_changes(name):
    python = lines_python(name)
    t = trace("run", "--lines", "--locals=changed", "--", python, LOCALS, fmt="steps")
    assert t.returncode == 0, t.stderr
    assert "result 25" in t.stdout
    assert locals_under(t.report_text, "sets_values") == EXPECTED_CHANGES
    # a cell in outer, a free variable in scaled: both read through the cell
    assert "[NEW] factor: int :: 3" in locals_under(t.report_text, "outer")
    assert locals_under(t.report_text, "scaled") == ["[NEW] v: int :: 2",
                                                     "[NEW] factor: int :: 3"]


def test_locals_all_lists_every_bound_variable_at_each_step():
    python = lines_python("pyenv-3.10")
    t = trace("run", "--lines", "--locals", "--", python, LOCALS, fmt="steps")
    assert t.returncode == 0, t.stderr
    under = locals_under(t.report_text, "sets_values")
    # before `return ...` runs: all seven variables, items grown to 4
    assert under[-7:] == ["x: int :: 5", "y: int :: 10", "name: str :: 'ab'",
                          "items: list :: len 4", "ratio: float :: 0.5", "flag: bool :: True",
                          "nothing: NoneType :: None"]
    assert under[0] == "x: int :: 5"        # before line 16: only x is bound


CALLS_WORKLOAD = os.path.join(PY_FIXTURES, "locals_calls_workload.py")
MOMENT_ROW = re.compile(r"^\s*[\d.]+\s+\[\s*\d+\]\s+\d+\s+(call|return)\s+\S+:\d+ \((.+)\)$")


def moments_of(report_text):
    """The call and return rows of a steps report, each with the variables
    written under it, in settrace_truth.py's form (calls)."""
    moments = []
    for line in report_text.splitlines():
        m = MOMENT_ROW.match(line)
        if m:
            moments.append({"event": m.group(1), "function": m.group(2).split(".")[-1],
                            "vars": []})
        elif line.startswith(" " * 50) and moments:
            moments[-1]["vars"].append(line.strip())
        elif line.startswith("uscope:"):
            break
    for moment in moments:
        moment["vars"].sort()
    return moments


@pytest.mark.parametrize("name", INTERPRETERS)
def test_locals_at_calls_and_returns_equal_settrace(name):
    """Without --lines, --locals reads each frame at its call (a generator's
    resume too) and its return (a yield, an exception too): the variables
    settrace's 'call' and 'return' events find in f_locals."""
    python = lines_python(name)
    truth = settrace_truth(python, CALLS_WORKLOAD, "calls")
    t = trace("run", "--locals", "--", python, CALLS_WORKLOAD, fmt="steps")
    assert t.returncode == 0, t.stderr
    assert "done 3 7 15 [2, 1] size 3 0 3 True" in t.stdout
    assert moments_of(t.report_text) == truth
    # the free variable at counter's call: still in its closure on 3.11+
    assert {"event": "call", "function": "counter",
            "vars": ["count: int :: 10", "step: int :: 5"]} in truth


def test_locals_changed_at_a_return_are_what_the_call_did():
    python = lines_python("pyenv-3.12")
    t = trace("run", "--locals=changed", "--", python, CALLS_WORKLOAD, fmt="steps")
    assert t.returncode == 0, t.stderr
    moments = moments_of(t.report_text)
    adds = [m["vars"] for m in moments if m["function"] == "add"]
    assert adds[:2] == [["[NEW] a: int :: 1", "[NEW] b: int :: 2"],
                        ["[NEW] label: str :: 'sum'", "[NEW] total: int :: 3"]]
    # a generator's resume goes on from its yield: nothing is new there
    countdown = [(m["event"], m["vars"]) for m in moments if m["function"] == "countdown"]
    assert countdown == [("call", ["[NEW] n: int :: 2"]), ("return", ["[NEW] left: int :: 2"]),
                         ("call", []),
                         ("return", ["[CHANGED] left: int :: 2 -> 1",
                                     "[CHANGED] n: int :: 2 -> 1"]),
                         ("call", []), ("return", ["[CHANGED] n: int :: 1 -> 0"])]
    # a variable whose type changed says both
    assert {"event": "return", "function": "retype",
            "vars": ["[CHANGED] v: int :: 3 -> str :: '3'"]} in moments
    fails = [m for m in moments if m["function"] == "fails"]
    assert fails[-1] == {"event": "return", "function": "fails",
                         "vars": ["[NEW] ratio: float :: 1.5"]}


GLOBALS_WORKLOAD = os.path.join(PY_FIXTURES, "globals_workload.py")
LINE_ROW = re.compile(r"^\s*[\d.]+ .*\[\s*\d+\]\s+\d+\s+\S+:(\d+) \((.+?)\)  ")


def globals_at_steps(report_text):
    """Each line step of a steps report with the globals written under it."""
    steps = []
    for line in report_text.splitlines():
        m = LINE_ROW.match(line)
        if m:
            steps.append({"line": int(m.group(1)), "function": m.group(2).split(".")[-1],
                          "globals": []})
        elif line.strip().startswith("global ") and steps:
            steps[-1]["globals"].append(line.strip())
        elif line.startswith("uscope:"):
            break
    for step in steps:
        step["globals"].sort()
    return steps


@pytest.mark.parametrize("name", INTERPRETERS)
def test_globals_at_each_line_equal_settrace(name):
    """--globals: at each line, the module's variables (no dunders, modules,
    functions or classes) that settrace's frame.f_globals holds then."""
    python = lines_python(name)
    truth = settrace_truth(python, GLOBALS_WORKLOAD, "globals")
    t = trace("run", "--lines", "--locals", "--globals", "--", python, GLOBALS_WORKLOAD,
              fmt="steps")
    assert t.returncode == 0, t.stderr
    assert "globals 6 done 3 /" in t.stdout
    assert globals_at_steps(t.report_text) == truth
    # a deleted global is gone at the next line
    assert "global ratio: float :: 0.5" not in truth[-1]["globals"]


def test_globals_changed_shows_what_each_line_did():
    python = lines_python("pyenv-3.10")
    t = trace("run", "--lines", "--locals=changed", "--globals", "--", python, GLOBALS_WORKLOAD,
              fmt="steps")
    assert t.returncode == 0, t.stderr
    changes = [line.strip() for line in t.report_text.splitlines()
               if "global " in line and line.strip().startswith("[")]
    assert changes[:4] == ["[NEW] global counter: int :: 0", "[NEW] global name: str :: 'start'",
                           "[NEW] global items: list :: len 0",
                           "[NEW] global ratio: float :: 0.5"]
    assert "[CHANGED] global counter: int :: 0 -> 1" in changes
    assert "[CHANGED] global items: list :: len 2 -> len 3" in changes
    assert "[CHANGED] global name: str :: 'start' -> 'done'" in changes


def test_globals_at_calls_and_returns():
    """Without --lines, the globals come with each call's and return's row,
    a module body's (no locals of its own) included."""
    python = lines_python("pyenv-3.13")
    t = trace("run", "--locals=changed", "--globals", "--", python, GLOBALS_WORKLOAD,
              fmt="steps")
    assert t.returncode == 0, t.stderr
    moments = moments_of(t.report_text)
    assert moments[0] == {"event": "call", "function": "<module>", "vars": []}
    bumps = [m for m in moments if m["function"] == "bump"]
    assert bumps[0] == {"event": "call", "function": "bump",
                        "vars": ["[NEW] global i: int :: 0", "[NEW] step: int :: 1"]}
    assert bumps[1] == {"event": "return", "function": "bump",
                        "vars": ["[CHANGED] global counter: int :: 0 -> 1",
                                 "[CHANGED] global items: list :: len 0 -> len 1"]}


def test_globals_need_locals():
    r = uscope("run", "--globals", "--", "true")
    assert r.returncode == 2
    assert "--globals adds a module's globals to the locals: add --locals" in r.stderr


def test_locals_beyond_32_are_said_to_be_left_out():
    python = lines_python("pyenv-3.11")
    t = trace("run", "--locals=changed", "--", python,
              os.path.join(PY_FIXTURES, "many_locals.py"), fmt="steps")
    assert t.returncode == 0, t.stderr
    moments = moments_of(t.report_text)
    assert moments[0]["vars"] == [
        "(3 more variables not read: uscope reads a frame's first 32)", "[NEW] v: int :: 1"]
    # at the return, the first 32 slots: v, a0-a15, b0-b14
    assert len(moments[1]["vars"]) == 31
    assert "[NEW] b14: int :: 1" in moments[1]["vars"]


def test_locals_without_steps_or_with_aggregate_are_refused():
    r = uscope("run", "--locals", "--aggregate", "--", "true")
    assert r.returncode == 2
    assert "--aggregate keeps counters per function: no --locals" in r.stderr
    r = uscope("run", "--format", "steps", "--", "true")
    assert r.returncode == 2
    assert "add --lines" in r.stderr


@pytest.mark.parametrize("name", ["pyenv-3.8", "pyenv-3.10", "debian-3.11", "pyenv-3.12"])
def test_a_tracer_the_program_sets_meanwhile_is_left_to_it(name, tmp_path):
    """sys.settrace installs the same C function as uscope's hook, with the
    program's tracer as its object: uscope leaves such a thread alone."""
    python = lines_python(name)
    ready, go, stop = tmp_path / "ready", tmp_path / "go", tmp_path / "stop"
    target = subprocess.Popen([python, ATTACH_TARGET, str(ready), str(stop), "-1", str(go)],
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if ready.exists():
                break
            time.sleep(0.05)
        u = subprocess.Popen([USCOPE, "attach", "-q", "-p", str(target.pid), "--lines",
                              "--duration", "3", "--format", "lines", "--report",
                              str(tmp_path / "r.txt")], stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        go.touch()      # the program's own tracer, while uscope is attached
        _, err = u.communicate(timeout=120)
        assert u.returncode == 0, err
    finally:
        stop.touch()
        out, _ = target.communicate(timeout=60)
    assert target.returncode == 0
    assert "settrace lines 3" in out       # its tracer, set while uscope was on it

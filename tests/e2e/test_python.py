# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Python tracing, checked against sys.setprofile in the same interpreter.

Runs on Debian's python3.11 and on every pyenv CPython 3.8-3.13 present; an
absent one is skipped with a message.
"""
import json
import os
import subprocess

import pytest

from conftest import USCOPE, counts_by_function, trace, uscope, walk
from python_helpers import (INTERPRETERS, PY_FIXTURES, WORKLOAD, interpreter, line_of, minor_of,
                            python_functions, setprofile_truth)

CLEAN = dict(os.environ, USCOPE_WORKLOAD_CLEAN="1")


def untraced(python, *args, env=None):
    return subprocess.run([python, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module", params=INTERPRETERS)
def workload_run(request):
    """One traced and one untraced run of the workload, and the truth."""
    python = interpreter(request.param)
    truth = setprofile_truth(python, WORKLOAD)
    plain = untraced(python, WORKLOAD)
    traced = trace("run", "--", python, WORKLOAD)
    return python, truth, plain, traced


def test_output_and_exit_status_are_unchanged(workload_run):
    python, _, plain, traced = workload_run
    assert plain.returncode == 1, plain.stderr  # the workload ends with an uncaught exception
    assert traced.returncode == plain.returncode, traced.stderr
    assert traced.stdout == plain.stdout
    assert "RuntimeError: the end" in traced.stderr


def test_every_call_and_resume_equals_setprofile(workload_run):
    python, truth, _, traced = workload_run
    report = traced.report
    assert report["lost_events"] == 0
    seen = python_functions(report, WORKLOAD)
    assert truth, "setprofile saw no call: the truth script failed"
    for line, expect in truth.items():
        got = seen.get(line)
        assert got, f"uscope has no function at line {line} ({expect['name']})"
        assert (got["count"], got["resumes"]) == (expect["calls"], expect["resumes"]), \
            f"{expect['name']} (line {line})"
    extra = {line: f["function"] for line, f in seen.items() if line not in truth and f["count"]}
    assert not extra, f"uscope saw calls setprofile did not: {extra}"


def test_known_counts(workload_run):
    """A few counts the workload makes by construction, as a second check."""
    _, _, _, traced = workload_run
    seen = python_functions(traced.report, WORKLOAD)
    assert seen[line_of("def fib(")]["count"] == 1973          # fib(15)
    assert seen[line_of("def deep(")]["count"] == 201           # 200 deep
    assert seen[line_of("def countdown(")]["count"] == 1
    assert seen[line_of("def countdown(")]["resumes"] == 12
    assert seen[line_of("async def gather_ticks(")]["count"] == 1
    assert seen[line_of("def worker(")]["count"] == 3


def test_recursion_deeper_than_64_is_reconciled(workload_run):
    _, _, _, traced = workload_run
    report = traced.report
    deep = python_functions(report, WORKLOAD)[line_of("def deep(")]
    assert deep["count"] == 201
    assert deep["inferred_exits"] > 0  # past the kernel's 64 pending returns


def test_qualified_names(workload_run):
    python, _, _, traced = workload_run
    names = {f["function"] for f in python_functions(traced.report, WORKLOAD).values()}
    if minor_of(python) >= 11:
        assert {"Shape.area", "Square.area", "make_adder.<locals>.add", "Shape.__init__"} <= names
    else:
        assert {"area", "add", "__init__"} <= names


def test_each_thread_is_its_own_tree(workload_run):
    _, _, _, traced = workload_run
    report = traced.report
    worker_threads = [t for t in report["threads"]
                      if any(n["function"] == "worker" for _, n in walk(t["calls"]))]
    assert len(worker_threads) == 3
    main = report["threads"][0]
    assert not any(n["function"] == "worker" for _, n in walk(main["calls"]))


def test_return_values(workload_run):
    _, _, _, traced = workload_run
    returns = {}
    for t in traced.report["threads"]:
        for _, n in walk(t["calls"]):
            if n["kind"] == "python" and n["file"] == WORKLOAD and "return" in n:
                returns[n["function"]] = n["return"]
    assert returns["answer"] == "int 42"
    assert returns["half"] == "float 2.5"
    assert returns["greet"] == "str 'hello bob'"
    assert returns["nothing"] == "None"
    assert returns["flag"] == "bool True"
    assert returns["add"] == "int 5"


def test_exception_caught_five_frames_up(workload_run):
    _, _, _, traced = workload_run
    chains = [e for e in traced.report["exceptions"] if e["type"] == "ValueError"
              and e["message"] == "bad level 5"]
    assert len(chains) == 1, traced.report["exceptions"]
    chain = chains[0]
    assert chain["caught"] is True
    assert [f["function"] for f in chain["frames"]] == \
        ["level5", "level4", "level3", "level2", "level1"]
    assert [f["line"] for f in chain["frames"]] == [
        line_of('raise ValueError("bad level'), line_of("return level5(x)"),
        line_of("return level4(x)"), line_of("return level3(x)"), line_of("return level2(x)")]
    level5 = [n for t in traced.report["threads"] for _, n in walk(t["calls"])
              if n["function"] == "level5"][0]
    assert level5["exceptions"] == [{"type": "ValueError", "message": "bad level 5", "count": 1}]


def test_uncaught_exception(workload_run):
    _, _, _, traced = workload_run
    chains = [e for e in traced.report["exceptions"] if e["type"] == "RuntimeError"]
    assert len(chains) == 1
    assert chains[0]["caught"] is False
    assert [f["function"] for f in chains[0]["frames"]] == ["fail", "<module>"]
    assert chains[0]["message"] == "the end"


def test_args():
    python = interpreter("debian-3.11")
    traced = trace("run", "--args", "--", python, WORKLOAD, env=CLEAN)
    args = {n["function"]: n.get("args") for t in traced.report["threads"]
            for _, n in walk(t["calls"]) if n["kind"] == "python" and n["file"] == WORKLOAD}
    assert args["add"] == "int 2, int 3"
    assert args["greet"] == "str 'bob'"
    assert args["half"] == "int 5"
    in_main = [n for p, n in walk(traced.report["threads"][0]["calls"])
               if "main" in p and n["function"] == "Shape.__init__"]
    assert in_main[0]["args"] == "Square, int 19"  # the last of Square(0..19)


def test_focus():
    python = interpreter("debian-3.11")
    traced = trace("run", "--focus", "level0", "--", python, WORKLOAD, env=CLEAN)
    paths = [p for t in traced.report["threads"] for p, _ in walk(t["calls"])]
    assert paths == [("level0",), ("level0", "level1"), ("level0", "level1", "level2"),
                     ("level0", "level1", "level2", "level3"),
                     ("level0", "level1", "level2", "level3", "level4"),
                     ("level0", "level1", "level2", "level3", "level4", "level5")]


def test_scope_collapses_calls_that_leave_it():
    python = interpreter("debian-3.11")
    traced = trace("run", "--scope", PY_FIXTURES, "--", python, WORKLOAD, env=CLEAN)
    report = traced.report
    collapsed = 0
    for t in report["threads"]:
        for _, n in walk(t["calls"]):
            if n["kind"] == "python" and not n["file"].startswith(PY_FIXTURES + "/"):
                assert n.get("collapsed") is True, n["function"]
                # what it calls outside the scope is folded in; the scope's own
                # code it calls back (a coroutine under asyncio.run) shows
                assert all(c["file"].startswith(PY_FIXTURES + "/") for c in n["calls"])
                collapsed += 1
    assert collapsed > 0  # asyncio.run, threading...
    main = [n for p, n in walk(report["threads"][0]["calls"]) if p == ("<module>", "main")]
    assert main and main[0]["count"] == 1


def test_exception_only():
    python = interpreter("debian-3.11")
    traced = trace("run", "--exception-only", "--", python, WORKLOAD)
    for t in traced.report["threads"]:
        for _, n in walk(t["calls"]):
            raised_below = any("exceptions" in d for _, d in walk([n]))
            assert raised_below, n["function"]
    names = {n["function"] for t in traced.report["threads"] for _, n in walk(t["calls"])}
    assert {"level0", "level5", "fail"} <= names
    assert "answer" not in names and "fib" not in names


def test_no_imports_hides_the_import_machinery():
    python = interpreter("debian-3.11")
    traced = trace("run", "--no-imports", "--", python, WORKLOAD, env=CLEAN)
    files = {n["file"] for t in traced.report["threads"] for _, n in walk(t["calls"])
             if n["kind"] == "python"}
    assert not any("importlib._bootstrap" in f for f in files)
    assert WORKLOAD in files


def test_gc_and_imports_from_usdt():
    python = interpreter("debian-3.11")
    traced = trace("run", "--", python, WORKLOAD, env=CLEAN)
    report = traced.report
    printed = int(traced.stdout.split("gc collections so far")[1].split()[0])
    assert report["gc"]["collections"] >= printed >= 3
    assert sum(report["gc"]["by_generation"]) == report["gc"]["collections"]
    assert report["imports"] > 0
    chrome = trace("run", "--", python, WORKLOAD, fmt="chrome", env=CLEAN).report
    imports = [e["name"] for e in chrome["traceEvents"] if e.get("cat") == "import"]
    assert "asyncio" in imports
    assert any(e.get("cat") == "gc" for e in chrome["traceEvents"])


def test_pyenv_shim_is_followed(tmp_path):
    """`python3` on PATH may be a script that execs the real interpreter."""
    shim = tmp_path / "python3"
    shim.write_text(f"#!/bin/sh\nexec /usr/bin/env python3.11 \"$@\"\n")
    shim.chmod(0o755)
    interpreter("debian-3.11")
    env = dict(CLEAN, PATH=f"{tmp_path}:/usr/bin:/bin")
    traced = trace("run", "--", "python3", WORKLOAD, env=env)
    assert traced.returncode == 0, traced.stderr
    seen = python_functions(traced.report, WORKLOAD)
    assert seen[line_of("def fib(")]["count"] == 1973


def expected_step(i):
    return sum(j * j for j in range(i % 7 + 3))


@pytest.mark.parametrize("name", INTERPRETERS)
def test_attach_traces_and_leaves_the_target_as_it_was(name, tmp_path):
    python = interpreter(name)
    stop = tmp_path / "stop"
    errors = open(tmp_path / "stderr", "w+")
    # read stdout through its buffer (communicate() would skip what readline() buffered)
    target = subprocess.Popen([python, os.path.join(PY_FIXTURES, "attach_target.py"), str(stop)],
                              stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        ready = target.stdout.readline().split()
        assert ready[:2] == ["ready", str(target.pid)]
        traced = trace("attach", "-p", str(target.pid), "--duration", "2")
        assert traced.returncode == 0, traced.stderr
        assert target.poll() is None, "the target died while attached"
        stop.touch()
        target.wait(timeout=30)  # its few lines fit in the pipe
        out = target.stdout.read()
    finally:
        if target.poll() is None:
            target.kill()
        errors.seek(0)
        err = errors.read()
        errors.close()
    assert target.returncode == 0, err
    lines = out.splitlines()
    steps = [line.split() for line in lines if line.startswith("step ")]
    assert len(steps) > 100
    wrong = [s for i, s in enumerate(steps) if s != ["step", str(i), str(expected_step(i))]]
    assert not wrong, wrong[:3]
    expect = "n/a" if minor_of(python) < 11 else "NULL"
    assert lines[-1] == f"eval_frame {expect}"
    counts = counts_by_function(traced.report)
    assert counts.get("step", 0) > 100
    assert counts.get("square", 0) > 300  # Python-to-Python calls: seen on 3.11+ too


def call(*args, python=None):
    cmd = [USCOPE, "call", *(["--python", python] if python else []), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc, json.loads(proc.stdout) if proc.stdout.strip() else None


def test_call_prints_the_seed_000_document():
    proc, doc = call("json.dumps", '{"a": 1}')  # the default python3 (a pyenv shim here)
    assert proc.returncode == 0, proc.stderr
    assert doc["path"] == "json.dumps"
    ex = doc["execution"]
    assert ex["function"] == "dumps"
    assert ex["arguments"]["obj"] == "{'a': 1}"
    assert ex["return_value"] == "str '{\"a\": 1}'"
    assert ex["raised_exception"] is False and ex["partial_execution"] is False
    assert ex["duration_ms"] > 0
    assert [c["function"].split(".")[-1] for c in ex["calls"]] == ["encode"]
    assert ex["exceptions"] == []


def test_call_with_kwargs_and_an_exception():
    python = interpreter("debian-3.11")
    proc, doc = call("--kwargs", "sort_keys=True", "json.dumps", "{'b': 1, 'a': 2}", python=python)
    assert doc["execution"]["arguments"]["sort_keys"] == "True"
    assert doc["execution"]["return_value"] == "str '{\"a\": 2, \"b\": 1}'"
    proc, doc = call("json.loads", "{bad", python=python)
    assert proc.returncode == 0, proc.stderr
    ex = doc["execution"]
    assert ex["raised_exception"] is True and ex["partial_execution"] is True
    assert ex["exception"]["type"] == "JSONDecodeError"
    raised = [e for e in ex["exceptions"] if e["type"] == "JSONDecodeError"]
    assert raised and raised[0]["caught"] is False
    assert raised[0]["traceback"][0].startswith("    at loads, ")
    assert any("decoder.py:" in line for line in raised[0]["traceback"])


def test_call_of_an_unknown_function_says_so():
    proc, _ = call("json.no_such_function", python=interpreter("debian-3.11"))
    assert proc.returncode != 0
    assert "no_such_function" in proc.stderr


@pytest.mark.parametrize("name", INTERPRETERS)
def test_a_code_object_made_where_a_freed_one_was_is_told_apart(name):
    python = interpreter(name)
    traced = trace("run", "--", python, os.path.join(PY_FIXTURES, "code_reuse.py"))
    assert traced.returncode == 0, traced.stderr
    made = {f: n for f, n in counts_by_function(traced.report).items() if f.startswith("made_")}
    assert made == {f"made_{i}": 1 for i in range(200)}


@pytest.mark.parametrize("name", INTERPRETERS)
def test_getitem_called_by_subscript_is_counted(name):
    # 3.11.0-3.11.3 (Debian's 3.11.2) run a specialised obj[i]'s __getitem__
    # inside the caller's C call (gh-104405): uscope probes where the
    # instruction pushes the frame, past its checks, so a site that keeps
    # deoptimising (two classes in turn) is not counted twice
    python = interpreter(name)
    traced = trace("run", "--", python, os.path.join(PY_FIXTURES, "getitem.py"))
    assert traced.returncode == 0, traced.stderr
    assert "gh-104405" not in traced.stderr, traced.stderr
    want = dict(line.split(" ", 1)[1].split("=") for line in traced.stdout.splitlines())
    counts = counts_by_function(traced.report)
    for qualname, count in want.items():
        name_there = qualname if qualname in counts else "__getitem__"  # 3.8-3.10: no qualname
        if name_there == "__getitem__":
            assert counts["__getitem__"] == sum(int(c) for c in want.values())
        else:
            assert counts[qualname] == int(count), (qualname, counts)
    assert sorted(int(c) for c in want.values()) == [147, 264]


def test_the_inline_getitem_probe_is_shown_for_debian_python():
    python = interpreter("debian-3.11")
    out = uscope("probes", "--binary", python)
    assert out.returncode == 0, out.stderr
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[2])"],
                             capture_output=True, text=True, check=True).stdout
    if int(version) >= 4:
        pytest.skip(f"{python} is 3.11.{int(version)}: gh-104405 is fixed there")
    assert "probe where BINARY_SUBSCR_GETITEM pushes its frame, file offset 0x" in out.stdout


@pytest.mark.parametrize("limit", [None, "10000"])
@pytest.mark.parametrize("name", INTERPRETERS)
def test_recursion_goes_as_deep_traced_as_untraced(name, limit):
    # 3.12+ spends C recursion budget on each C call of the eval loop, and
    # traced every Python call is one: uscope gives the budget back
    python = interpreter(name)
    script = [os.path.join(PY_FIXTURES, "deep_recursion.py")] + ([limit] if limit else [])
    plain = untraced(python, *script)
    traced = trace("run", "--", python, *script)
    assert traced.returncode == plain.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout
    assert int(plain.stdout.split("=")[1]) > (9000 if limit else 900)


def test_call_timeout_stops_the_call_and_reports_what_ran(tmp_path):
    # spins.spin() calls step() until stopped; it writes how many times step
    # counted itself. The stop can land at step's first instruction, before
    # it counts itself: that call was made (uscope counts it) but not counted.
    count_file = tmp_path / "count"
    env = dict(os.environ, SPINS_COUNT_FILE=str(count_file), PYTHONPATH=PY_FIXTURES)
    proc = subprocess.run([USCOPE, "call", "-q", "--python", interpreter("debian-3.11"),
                           "--timeout", "0.5", "spins.spin"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    ex = json.loads(proc.stdout)["execution"]
    assert ex["timed_out"] is True and ex["partial_execution"] is True
    assert ex["exception"]["type"] == "CallTimeout"
    assert 400 <= ex["duration_ms"] < 5000
    steps = sum(c["count"] for c in ex["calls"] if c["function"] == "step")
    truth = int(count_file.read_text())
    assert truth > 0 and steps - truth in (0, 1), (steps, truth)


def test_call_timeout_takes_a_duration():
    proc = subprocess.run([USCOPE, "call", "--timeout", "soon", "json.dumps", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--timeout takes seconds" in proc.stderr


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.13"])
def test_chrome_marks_where_each_exception_started(name):
    # workload.py raises ValueError in level5 (caught four frames up) and
    # RuntimeError in fail (uncaught): one instant event each, at the raise
    t = trace("run", "--", interpreter(name), WORKLOAD, fmt="chrome")
    events = t.report["traceEvents"]
    raises = [e for e in events if e["ph"] == "i" and e.get("cat") == "exception"]
    mine = {(e["name"], e["args"]["function"]) for e in raises
            if e["args"]["function"] in ("level5", "fail")}
    assert mine == {("raise ValueError", "level5"), ("raise RuntimeError", "fail")}, raises
    assert sum(e["args"]["function"] in ("level1", "level2", "level3", "level4")
               for e in raises) == 0  # passing through is not starting
    assert all(e["s"] == "t" and "tid" in e for e in raises)


def test_call_profile_gives_time_by_operation_and_bottlenecks():
    """Seed 000's performance_profile: grouping.process runs validate (20 ms),
    create_grouping twice (2 x 40 ms) and build_metadata (40 ms): the
    operations in that order of time, their shares adding up to the call,
    and a reason for each slow one."""
    env = dict(os.environ, PYTHONPATH=PY_FIXTURES)
    proc = subprocess.run([USCOPE, "call", "-q", "--profile", "--python",
                           interpreter("debian-3.11"), "grouping.process"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    ex = json.loads(proc.stdout)["execution"]
    profile = ex["performance_profile"]
    assert profile["total_time"] == ex["duration_ms"]
    ops = profile["time_by_operation"]
    assert [o["operation"] for o in ops] == ["create_grouping", "build_metadata",
                                             "validate_columns", "process (itself)"]
    assert 80 <= ops[0]["time_ms"] < 200 and 20 <= ops[2]["time_ms"] < 100
    assert abs(sum(o["time_ms"] for o in ops) - profile["total_time"]) < 0.01
    assert abs(sum(o["percent"] for o in ops) - 100) < 0.01
    slow = {b["operation"].split(" ")[0] for b in profile["bottlenecks"] if b["rule"] == "slow_call"}
    assert slow == {"create_grouping", "build_metadata", "validate_columns"}
    for b in profile["bottlenecks"]:
        assert b["reason"] and b["optimization_suggestion"] and "of the call" in b["evidence"]
    plain = json.loads(subprocess.run([USCOPE, "call", "-q", "--python", interpreter("debian-3.11"),
                                       "grouping.process"], capture_output=True, text=True,
                                      timeout=120, env=env).stdout)
    assert "performance_profile" not in plain["execution"]  # only when asked


@pytest.mark.parametrize("name", INTERPRETERS)
def test_each_call_knows_the_line_it_was_called_from(name):
    """callsites.py: each callee records the line its caller is at
    (sys._getframe(1).f_lineno) and prints them; every call node's
    call_lines are exactly those (a multi-line call included), and the tree
    says them."""
    t = trace("run", "--", interpreter(name), os.path.join(PY_FIXTURES, "callsites.py"))
    assert t.returncode == 0, t.stderr
    truth = {}
    for line in t.stdout.splitlines():
        key, lines = line.removeprefix("callsite ").split("=")
        truth[tuple(key.split("->"))] = sorted(int(n) for n in lines.split(","))
    seen = {}

    def walk(nodes, parent):
        for n in nodes:
            if n["function"] in ("leaf", "helper"):
                seen[(parent, n["function"])] = sorted(n.get("call_lines", []))
            walk(n["calls"], n["function"])

    for thread in t.report["threads"]:
        walk(thread["calls"], None)
    assert seen == truth, (seen, truth)
    tree = trace("run", "--", interpreter(name), os.path.join(PY_FIXTURES, "callsites.py"),
                 fmt="tree").report_text
    lines = ", ".join(str(n) for n in truth[("main", "leaf")])
    assert f"leaf (callsites.py:16)  (from lines {lines})" in tree, tree
    timeline = trace("run", "--", interpreter(name), os.path.join(PY_FIXTURES, "callsites.py"),
                     fmt="timeline-json").report["timeline"]
    calls = [e for e in timeline if e["event"] == "call" and e["function"] == "leaf"]
    assert len(calls) == 6  # 5 from main, 1 from helper: each with its line
    assert {e["call_line"] for e in calls} == set(truth[("main", "leaf")] +
                                                 truth[("helper", "leaf")])

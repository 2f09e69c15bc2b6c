# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--follow (the default of run): the processes the target makes and the
programs they exec are traced too, each with its own counts."""
import os
import subprocess

import pytest

from conftest import fixture, trace, truth, walk
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter


def counts_by_process(report):
    """{pid: {function: calls}} over every thread of each process."""
    out = {}
    for t in report["threads"]:
        per = out.setdefault(t["pid"], {})
        for _, n in walk(t["calls"]):
            per[n["function"]] = per.get(n["function"], 0) + n["count"]
    return out


def test_a_shell_pipeline_traces_each_program_with_its_own_counts():
    first = subprocess.run([fixture("recursion"), "12", "0"], capture_output=True, text=True)
    t = trace("run", "--", "sh", "-c", f"{fixture('recursion')} 12 0 | {fixture('jumps')} 5")
    assert t.returncode == 0, t.stderr
    processes = {p["pid"]: p for p in t.report["processes"]}
    by_command = {p["command"].split()[0]: pid for pid, p in processes.items()}
    assert fixture("recursion") in by_command and fixture("jumps") in by_command
    counts = counts_by_process(t.report)
    recursion = counts[by_command[fixture("recursion")]]
    jumps = counts[by_command[fixture("jumps")]]
    assert {k: recursion[k] for k in ("fib", "leaf")} == \
        {k: v for k, v in truth(first.stdout).items() if k in ("fib", "leaf")}
    for name, n in truth(t.stdout).items():
        assert jumps[name] == n, name
    # each child names the shell that made it
    assert processes[by_command[fixture("jumps")]]["parent_pid"] in processes


@pytest.mark.parametrize("name", INTERPRETERS)
def test_a_multiprocessing_pool_counts_every_workers_calls(name):
    python = interpreter(name)
    t = trace("run", "--", python, os.path.join(PY_FIXTURES, "pool.py"))
    assert t.returncode == 0, t.stderr
    want = truth(t.stdout)["square"]
    counts = counts_by_process(t.report)
    per_worker = [c.get("square", 0) for pid, c in counts.items() if pid != t.report["pid"]]
    assert sum(per_worker) == want == 40
    assert len(t.report["processes"]) >= 3  # the program and its two workers


def test_no_follow_traces_the_first_process_only():
    python = interpreter("pyenv-3.12")
    t = trace("run", "--no-follow", "--", python, os.path.join(PY_FIXTURES, "pool.py"))
    assert t.returncode == 0, t.stderr
    counts = counts_by_process(t.report)
    assert set(counts) == {t.report["pid"]}
    assert counts[t.report["pid"]].get("square", 0) == 0
    assert t.report["processes"] == []


def test_each_exec_of_a_library_function_is_probed_once_per_process():
    # every program the shell runs maps the same libc: its strlen (an IFUNC)
    # is one site, one link per process, counted once per call
    t = trace("run", "-f", "libc:strlen", "--", "sh", "-c",
              f"{fixture('ifuncs')} 100; {fixture('ifuncs')} 50")
    assert t.returncode == 0, t.stderr
    names = [f["function"] for f in t.report["functions"]]
    assert names.count("strlen") == 1
    counts = counts_by_process(t.report)
    by_command = {p["pid"]: p["command"] for p in t.report["processes"]}
    runs = sorted(c.get("strlen", 0) for pid, c in counts.items()
                  if by_command.get(pid, "").startswith(fixture("ifuncs")))
    assert runs == [50, 100]


def test_a_library_the_shell_does_not_load_is_traced_in_the_program_it_runs():
    # dash maps no libm; the program it runs does
    t = trace("run", "-f", "libm:sqrt", "--", "sh", "-c", f"{fixture('ifuncs')} 40")
    assert t.returncode == 0, t.stderr
    got = {}
    for per in counts_by_process(t.report).values():
        for name, n in per.items():
            got[name] = got.get(name, 0) + n
    assert got["sqrt"] == truth(t.stdout)["sqrt"] == 40


def test_an_object_no_program_can_load_is_an_error_and_without_follow_any_absent_one():
    t = trace("run", "-f", "libnothere:x", "--", "sh", "-c", "true")
    assert t.returncode != 0 and "no object 'libnothere'" in t.stderr
    t = trace("run", "--no-follow", "-f", "libm:sqrt", "--", "sh", "-c", "true")
    assert t.returncode != 0 and "no object 'libm'" in t.stderr


def test_a_cpp_exception_in_a_program_the_shell_runs_behaves_as_untraced():
    # the unwinder's stop and its return slots are the child's, not the shell's
    plain = subprocess.run([fixture("throws"), "30"], capture_output=True, text=True)
    t = trace("run", "--", "sh", "-c", f"{fixture('throws')} 30", timeout=60)
    assert t.returncode == plain.returncode == 0, t.stderr
    assert t.stdout == plain.stdout
    got = {}
    for per in counts_by_process(t.report).values():
        for name, n in per.items():
            got[name] = got.get(name, 0) + n
    assert got["_Z6level5i"] == truth(t.stdout)["level5"] == 30

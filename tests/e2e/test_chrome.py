# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The chrome export's whole vocabulary, each kind where it means something,
checked against the format's documented fields (chrome_format.py): X calls,
B for a call still running at the end, i raises, C counters, b/n/e async
slices for coroutines (one per coroutine, an n at each resume after an
await), s/t/f flows (a coroutine's runs; the call that made a thread to the
thread's first call), M names; counts against the fixture's own."""
import json
import os
import signal
import subprocess
import time

import pytest

from chrome_format import check
from conftest import USCOPE, fixture, trace, truth
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="end-to-end tests need root (real BPF)")

COROUTINES = os.path.join(PY_FIXTURES, "coroutines.py")


@pytest.mark.parametrize("name", INTERPRETERS)
def test_coroutines_are_async_slices_with_flows_through_their_runs(name):
    t = trace("run", "--", interpreter(name), COROUTINES, fmt="chrome")
    assert t.returncode == 0, t.stderr
    counts = truth(t.stdout)
    problems, by_phase = check(t.report)
    assert problems == []
    workers = [e for e in by_phase["b"] if e["name"] == "worker"]
    assert len(workers) == counts["worker"] == 3
    for b in workers:
        key = (b["cat"], b["id"])
        resumes = [e for e in by_phase["n"] if (e["cat"], e["id"]) == key]
        assert len(resumes) == 3  # each await of asyncio.sleep: one suspension
        assert sum(e["name"] == "resumed" for e in resumes) == 3
        steps = [e for e in by_phase["t"] if (e["cat"], e["id"]) == key]
        ends = [e for e in by_phase["f"] if (e["cat"], e["id"]) == key]
        assert len(steps) == 2 and len(ends) == 1  # s, t, t, f through four runs
        end = [e for e in by_phase["e"] if (e["cat"], e["id"]) == key and
               e["name"] == "worker"][0]
        awaits = [e for e in by_phase["b"] if (e["cat"], e["id"]) == key and
                  e["name"] == "await"]
        assert len(awaits) == 3  # one await slice per suspension, nested in its slice
        runs = [e for e in by_phase["X"] if e["name"] == "worker" and
                b["ts"] <= e["ts"] <= end["ts"] and e["tid"] == b["tid"]]
        assert len(runs) >= 4


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.12"])
def test_a_new_thread_gets_a_flow_from_the_call_that_made_it(name):
    t = trace("run", "--", interpreter(name), COROUTINES, fmt="chrome")
    assert t.returncode == 0, t.stderr
    problems, by_phase = check(t.report)
    assert problems == []
    # the thread Python names "helper" (not the OS: before 3.14 it names no thread)
    helper = [e["tid"] for e in by_phase["M"] if e["tid"] != e["pid"]]
    assert len(helper) == 1, by_phase["M"]
    starts = [e for e in by_phase["s"] if e["cat"] == "task"]
    ends = [e for e in by_phase["f"] if e["cat"] == "task"]
    assert len(starts) == len(ends) == 1
    assert ends[0]["tid"] == helper[0] and starts[0]["tid"] != helper[0]
    # the flow starts inside Thread.start's call on the main thread
    start = starts[0]
    around = [e for e in by_phase["X"] if e["tid"] == start["tid"] and
              e["ts"] <= start["ts"] <= e["ts"] + e["dur"]]
    assert any(e["name"] == "Thread.start" or e["name"] == "start" for e in around), \
        sorted({e["name"] for e in around})
    in_thread = [e for e in by_phase["X"] if e["tid"] == helper[0]]
    assert in_thread and min(e["ts"] for e in in_thread) >= ends[0]["ts"]


def test_a_native_program_with_threads_and_one_still_running(tmp_path):
    """threads: its workers get flows from main; attach and stop while a
    call runs: that call is a B event (it began, no end is known)."""
    t = trace("run", "--", fixture("threads"), fmt="chrome")
    assert t.returncode == 0, t.stderr
    problems, by_phase = check(t.report)
    assert problems == []
    starts = [e for e in by_phase["s"] if e["cat"] == "task"]
    tids = {e["tid"] for e in by_phase["X"]}
    assert len(starts) == len(tids) - 1 >= 1  # every thread but main was made by it

    # 200 calls of sleep_20ms back to back: tracing stops inside one of them
    sleeper = subprocess.Popen([fixture("sleeper"), "200"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        out = str(tmp_path / "attach.json")
        r = subprocess.run([USCOPE, "attach", "-q", "-p", str(sleeper.pid), "--duration", "1",
                            "--format", "chrome", "--report", out],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            trace_json = json.load(f)
        problems, by_phase = check(trace_json)
        assert problems == []
        assert [e["name"] for e in by_phase["B"]] == ["sleep_20ms"]
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()

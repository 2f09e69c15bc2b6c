# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--memory: allocations, peak, leaks and collections, against truth the
fixtures count themselves (tests/fixtures/allocs.c, memory_workload.py) and
gc.get_stats() from the same interpreter."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import USCOPE, fixture, trace, uscope
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter

ALLOCS = fixture("allocs")
MEMORY_WORKLOAD = os.path.join(PY_FIXTURES, "memory_workload.py")
MIB = 1 << 20


def allocs_truth(stdout):
    """{"grow_buffer": {"allocs": 11, "bytes": ..., "frees": 11}, ...}"""
    return {m.group(1): {"allocs": int(m.group(2)), "bytes": int(m.group(3)),
                         "frees": int(m.group(4))}
            for m in re.finditer(r"^mem (\w+) allocs=(\d+) bytes=(\d+) frees=(\d+)$", stdout, re.M)}


def by_function(memory):
    return {f["function"]: f for f in memory["by_function"]}


def leak_ending_in(memory, name):
    found = [leak for leak in memory["leaks"] if leak["path"][-1] == name]
    assert len(found) == 1, memory["leaks"]
    return found[0]


@pytest.fixture(scope="module")
def native_run():
    plain = subprocess.run([ALLOCS], capture_output=True, text=True, timeout=60)
    traced = trace("run", "--memory", "--", ALLOCS)
    return plain, traced


def test_native_output_and_status_unchanged(native_run):
    plain, traced = native_run
    assert traced.returncode == plain.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout


def test_native_counts_equal_the_fixture(native_run):
    _, traced = native_run
    truth = allocs_truth(traced.stdout)
    memory = traced.report["memory"]
    assert len(truth) == 7
    assert traced.report["lost_events"] == 0
    assert memory["missed_returns"] == 0 and memory["untracked_allocs"] == 0
    assert memory["sampled"] is False
    seen = by_function(memory)
    for name, expect in truth.items():
        got = seen[name]
        assert (got["allocs"], got["bytes"], got["frees"]) == \
            (expect["allocs"], expect["bytes"], expect["frees"]), name
    # every block small_worker makes it frees at once, with no allocation between
    assert seen["small_worker"]["temporary"] == truth["small_worker"]["allocs"]
    # grown by realloc is not temporary; only its last block, freed right away, is
    assert seen["grow_buffer"]["temporary"] == 1


def test_native_leak_has_its_blocks_bytes_and_function(native_run):
    _, traced = native_run
    memory = traced.report["memory"]
    leak = leak_ending_in(memory, "leak_blocks")
    assert leak["path"] == ["main", "leak_blocks"]
    assert (leak["count"], leak["bytes"]) == (7, 7 * 333)
    assert memory["leaks_at"] == "still live at exit"


def test_native_peak_is_the_large_blocks(native_run):
    _, traced = native_run
    memory = traced.report["memory"]
    large = by_function(memory)["large_blocks"]
    # its 8 malloc'd MiB and 2 mapped 2 MiB blocks are all live at the peak
    assert large["peak_bytes"] == 8 * MIB + 2 * 2 * MIB
    assert memory["heap"]["peak_stack"] == ["main", "large_blocks"]
    assert memory["heap"]["peak_bytes"] >= large["peak_bytes"]
    assert memory["heap"]["final_bytes"] < memory["heap"]["peak_bytes"]
    assert memory["peak_rss_bytes"] >= memory["initial_rss_bytes"] > 0


def test_native_nodes_carry_their_allocations(native_run):
    _, traced = native_run
    main = traced.report["threads"][0]["calls"][0]
    assert main["function"] == "main"
    grow = [n for n in main["calls"] if n["function"] == "grow_buffer"][0]
    truth = allocs_truth(traced.stdout)["grow_buffer"]
    assert (grow["alloc_count"], grow["alloc_bytes"]) == (truth["allocs"], truth["bytes"])


def test_sampling_keeps_big_blocks_and_scales_small_ones():
    traced = trace("run", "--memory", "--memory-sample", "10", "--", ALLOCS)
    assert traced.returncode == 0, traced.stderr
    truth = allocs_truth(traced.stdout)
    memory = traced.report["memory"]
    assert memory["sampled"] is True and memory["sample_one_in"] == 10
    seen = by_function(memory)
    # 1 MiB and 2 MiB blocks are above the 64 KiB threshold: all kept
    assert seen["large_blocks"]["allocs"] == truth["large_blocks"]["allocs"]
    assert seen["large_blocks"]["bytes"] == truth["large_blocks"]["bytes"]
    # 6000 small blocks, one in ten kept and counted ten times: 25 % is > 10 sigma
    assert abs(seen["small_worker"]["allocs"] - 6000) <= 1500
    assert seen["small_worker"]["allocs"] % 10 == 0


def test_text_reports_show_memory(tmp_path):
    path = str(tmp_path / "memory.usr")
    run = uscope("run", "-q", "--memory", "-o", path, "--", ALLOCS)
    assert run.returncode == 0, run.stderr
    memory = uscope("report", path, "--format", "memory")
    assert "Heap in use" in memory.stdout and "Leaks: still live at exit" in memory.stdout
    assert re.search(r"^\s+7\s+2.3 KiB\s+main > leak_blocks$", memory.stdout, re.M), memory.stdout
    for fmt in ("tree", "flat"):
        text = uscope("report", path, "--format", fmt).stdout
        assert re.search(r"Allocs\s+Bytes", text), text
    chrome = trace("report", path, fmt="chrome").report
    counters = {e["name"] for e in chrome["traceEvents"] if e["ph"] == "C"}
    assert counters == {"heap in use", "resident size"}


def test_attach_counts_unknown_frees_and_leaks_at_detach(tmp_path):
    target = subprocess.Popen([ALLOCS, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    report = str(tmp_path / "attach.json")
    try:
        assert target.stdout.readline().strip() == "ready"
        tracer = subprocess.Popen([USCOPE, "attach", "-p", str(target.pid), "--memory",
                                   "--format", "json", "--report", report],
                                  stderr=subprocess.PIPE, text=True)
        for line in tracer.stderr:
            if "attached to PID" in line:
                break
        target.stdin.write("go\n")
        target.stdin.flush()
        done = target.stdout.readline()
        assert done.startswith("done prepared=100"), done
        time.sleep(0.3)
        tracer.send_signal(signal.SIGINT)
        tracer.communicate(timeout=60)
        assert tracer.returncode == 0
        with open(report) as f:
            memory = json.load(f)["memory"]
        # the 100 blocks were allocated before the attach: their frees are unknown
        assert memory["unknown_frees"] >= 100
        assert memory["leaks_at"] == "still live at detach"
        leak = leak_ending_in(memory, "leak_blocks")
        assert (leak["count"], leak["bytes"]) == (7, 7 * 333)
        assert target.poll() is None, "the target must survive the detach"
    finally:
        target.kill()
        target.wait()


def test_bad_memory_option_is_a_usage_error():
    bad = uscope("run", "--memory=everything", "--", ALLOCS)
    assert bad.returncode == 2 and "--memory takes" in bad.stderr
    bad = uscope("report", "--memory", "x.usr")
    assert bad.returncode == 2


# ---- Python ---------------------------------------------------------------------------


def workload_truth(stdout):
    return {k: v for k, v in re.findall(r"(\w+)=([\d,]+)", stdout)}


@pytest.fixture(scope="module", params=INTERPRETERS)
def python_run(request):
    python = interpreter(request.param)
    traced = trace("run", "--memory", "--", python, MEMORY_WORKLOAD)
    return request.param, traced


def test_python_peak_is_the_50_mib_function(python_run):
    _, traced = python_run
    assert traced.returncode == 0, traced.stderr
    truth = workload_truth(traced.stdout)
    memory = traced.report["memory"]
    peak_truth = int(truth["peak_bytes"])
    assert memory["heap"]["peak_stack"][-1] == "allocate_peak"
    at_peak = by_function(memory)["allocate_peak"]["peak_bytes"]
    assert abs(at_peak - peak_truth) <= 0.05 * peak_truth, at_peak
    assert memory["peak_rss_bytes"] >= peak_truth


def test_python_leak_is_the_kept_list(python_run):
    _, traced = python_run
    truth = workload_truth(traced.stdout)
    memory = traced.report["memory"]
    items, item_bytes = int(truth["leaked_items"]), int(truth["leaked_item_bytes"])
    assert memory["leaks_at"] == "still live when the interpreter began to shut down"
    leak = leak_ending_in(memory, "leak_list")
    # each bytearray's buffer, plus the list's own item array
    assert items <= leak["count"] <= items + 5
    assert items * item_bytes <= leak["bytes"] <= items * (item_bytes + 64) + 64 * 1024


@pytest.mark.parametrize("name", [n for n in INTERPRETERS if n != "pyenv-3.8"])
def test_python_gc_counts_equal_get_stats(name):
    """USDT on Debian's 3.11, the collector's function elsewhere (none on 3.8)."""
    traced = trace("run", "--memory", "--", interpreter(name), MEMORY_WORKLOAD)
    assert traced.returncode == 0, traced.stderr
    truth = [int(n) for n in workload_truth(traced.stdout)["gc_collections"].split(",")]
    gc = traced.report["memory"]["gc"]
    assert sum(truth) > 0
    assert gc["collections"] - gc["during_shutdown"] == sum(truth)
    if name != "pyenv-3.13":  # 3.13 picks an automatic collection's generation inside
        while_running = [total - shutdown for total, shutdown in
                         zip(gc["by_generation"], gc["during_shutdown_by_generation"])]
        assert while_running == truth


@pytest.mark.parametrize("name", [n for n in INTERPRETERS if n != "debian-3.11"])
def test_python_objects_mode_sees_each_object(name):
    python = interpreter(name)
    traced = trace("run", "--memory=objects", "--", python, MEMORY_WORKLOAD)
    assert traced.returncode == 0, traced.stderr
    points = int(workload_truth(traced.stdout)["points"])
    memory = traced.report["memory"]
    assert memory["mode"] == "objects"
    assert by_function(memory)["make_points"]["allocs"] >= points
    assert any(a["allocator"] == "PyObject_Malloc" for a in memory["by_allocator"])


def test_python_objects_mode_warns_where_pymalloc_is_inlined():
    traced = trace("run", "--memory=objects", "--", interpreter("debian-3.11"), MEMORY_WORKLOAD)
    assert traced.returncode == 0
    assert "PYTHONMALLOC=malloc" in traced.stderr


def test_call_memory_profile_has_what_the_function_allocated():
    """`call --memory` adds memory_profile to the call's document."""
    env = dict(os.environ, PYTHONPATH=PY_FIXTURES)
    proc = subprocess.run([USCOPE, "call", "--memory", "--python", interpreter("debian-3.11"),
                           "memory_workload.allocate_peak"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    profile = json.loads(proc.stdout)["execution"]["memory_profile"]
    assert abs(profile["allocated_mb"] - 50) <= 2.5, profile
    assert profile["allocations"][0]["operation"] == "allocate_peak"
    assert profile["peak_mb"] >= 50 and profile["memory_leaked_mb"] < 1

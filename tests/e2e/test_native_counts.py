# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Call counts equal the fixtures' own counts, and the tree has their shape."""
import os
import subprocess

import pytest

from conftest import counts_by_function, fixture, node, trace, truth, uscope


def untraced(*argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_recursion_counts_exit_status_and_output():
    plain = untraced(fixture("recursion"), "14", "3")
    t = trace("run", "--", fixture("recursion"), "14", "3")
    assert t.returncode == 3 == plain.returncode
    assert t.stdout == plain.stdout
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    assert got["fib"] == want["fib"]
    assert got["leaf"] == want["leaf"]
    assert got["main"] == 1
    assert t.report["exit_status"] == 3
    assert t.report["lost_events"] == 0
    assert t.report["command"] == [fixture("recursion"), "14", "3"]
    # recursion nests: fib under fib under main
    assert node(t.report, "main", "fib", "fib", "fib")["count"] > 0
    assert node(t.report, "main", "fib")["count"] == 1


def test_threads_each_have_their_own_tree_and_name():
    t = trace("run", "--", fixture("threads"), "4")
    assert t.returncode == 0
    want = truth(t.stdout)
    assert counts_by_function(t.report)["step"] == want["step"]
    workers = {th["name"]: th for th in t.report["threads"] if th["name"].startswith("worker-")}
    assert sorted(workers) == ["worker-0", "worker-1", "worker-2", "worker-3"]
    for i in range(4):
        calls = workers[f"worker-{i}"]["calls"]
        assert [n["function"] for n in calls] == ["worker"]
        assert calls[0]["calls"][0]["function"] == "step"
        assert calls[0]["calls"][0]["count"] == 100 * (i + 1)  # the fixture's loop bound
    main_thread = [th for th in t.report["threads"] if th["tid"] == t.report["pid"]][0]
    assert main_thread["calls"][0]["function"] == "main"


def test_shared_library_functions_nest_in_the_executable_tree():
    t = trace("run", "-f", "compute", "-f", "libusfix:usfix_add", "-f", "libusfix:usfix_scale",
              "--", fixture("uses_lib"), "90")
    assert t.returncode == 0
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("compute", "usfix_add", "usfix_scale"):
        assert got[name] == want[name], name
    assert node(t.report, "compute", "usfix_scale", "usfix_add")["count"] == want["usfix_scale"]
    assert node(t.report, "compute", "usfix_add")["count"] == want["usfix_add"] - want["usfix_scale"]
    assert node(t.report, "compute", "usfix_add")["object"].endswith("libusfix.so")


def test_recursion_deeper_than_64_keeps_counts_exact():
    t = trace("run", "--", fixture("deep"), "200", "3")
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    assert got["descend"] == want["descend"] == 600
    assert got["side"] == want["side"]
    assert got["bottom"] == want["bottom"]
    assert t.report["inferred_exits"] > 0
    depth = 0
    n = node(t.report, "main")
    while n["calls"] and n["calls"][0]["function"] == "descend":
        n = n["calls"][0]
        depth += 1
    assert depth == 200
    # no call may be left nested wrongly: main holds exactly the 3 outer calls
    assert node(t.report, "main", "descend")["count"] == 3


def test_longjmp_and_signal_handler():
    t = trace("run", "--", fixture("jumps"), "7")
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("outer", "middle", "inner", "after", "work", "on_signal", "in_handler"):
        assert got[name] == want[name], name
    # after() runs in outer() once longjmp has unwound middle() and inner()
    assert node(t.report, "main", "outer", "after")["count"] == want["after"]
    assert node(t.report, "main", "outer", "middle", "inner")["count"] == want["inner"]
    assert node(t.report, "main", "outer", "middle", "after") is None
    assert node(t.report, "main", "outer", "middle")["inferred_exits"] == want["middle"]
    # the handler runs inside work(), where raise() delivered the signal
    assert node(t.report, "main", "work", "on_signal", "in_handler")["count"] == want["in_handler"]


def test_returns_are_seen_again_after_a_longjmp_out_of_more_frames_than_the_kernel_arms():
    # 100 frames skipped by longjmp: the kernel arms at most 64 returns per
    # thread and drops stale ones only when it arms the next; the calls made
    # afterwards, still inside escape_from(), must have their returns seen
    t = trace("run", "--", fixture("deepjump"), "100")
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("escape_from", "descend", "quick", "sleep_20ms"):
        assert got[name] == want[name], name
    assert node(t.report, "main", "escape_from", "quick")["inferred_exits"] == 0
    sleeps = node(t.report, "main", "escape_from", "sleep_20ms")
    assert sleeps["inferred_exits"] == 0
    assert 19.9 <= sleeps["min_ms"] and sleeps["max_ms"] <= 40.0
    assert t.report["inferred_exits"] == want["descend"]


def test_tail_call_and_single_stepped_sites():
    t = trace("run", "--", fixture("tailcalls"), "40")
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("driver", "hop_a", "hop_b"):
        assert got[name] == want[name], name
    assert node(t.report, "main", "driver", "hop_a", "hop_b")["count"] == want["hop_b"]
    assert t.report["inferred_exits"] == 0


def test_known_duration_within_tolerance():
    t = trace("run", "-f", "sleep_20ms", "--", fixture("sleeper"), "3")
    n = node(t.report, "sleep_20ms")
    assert n["count"] == truth(t.stdout)["sleep_20ms"] == 3
    assert 19.9 <= n["min_ms"] and n["max_ms"] <= 40.0
    assert 59.7 <= n["total_ms"] <= 120.0


def test_library_loaded_later_with_dlopen_named_by_path():
    lib = fixture("libusfix.so")
    t = trace("run", "-f", f"{lib}:usfix_add", "--", fixture("dlopener"), lib, "33")
    assert t.returncode == 0
    assert counts_by_function(t.report)["usfix_add"] == truth(t.stdout)["usfix_add"] == 33


def test_nothing_uscope_runs_in_the_held_child_is_counted():
    """Between its release and its exec the child runs no libc code: the
    getenv, close, prctl and execvp uscope used to call there were counted
    as the target's (issue 12, item 8). `empty` calls none of them."""
    traced = trace("run", "-f", "libc:getenv", "-f", "libc:close", "-f", "libc:prctl",
                   "-f", "libc:execvp", "-f", "libc:execve", "-f", "libc:read", "--",
                   fixture("empty"))
    assert traced.returncode == 0, traced.stderr
    assert counts_by_function(traced.report) == {}


def test_a_cpp_exception_through_five_traced_frames_behaves_as_untraced():
    # level5() throws; level4() runs a destructor on the way, level2()
    # catches and rethrows, catcher() catches: the unwinder must walk frames
    # whose return addresses the kernel replaced with its trampoline
    plain = untraced(fixture("throws"), "200")
    t = trace("run", "--", fixture("throws"), "200")
    assert "terminate called" not in t.stderr
    assert t.returncode == plain.returncode == 0
    assert t.stdout == plain.stdout
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name, mangled in (("catcher", "_Z7catcheri"), ("level1", "_Z6level1i"),
                          ("level2", "_Z6level2i"), ("level3", "_Z6level3i"),
                          ("level4", "_Z6level4i"), ("level5", "_Z6level5i"),
                          ("after_catch", "_Z11after_catchi")):
        assert got[mangled] == want[name], name
    # only the frames the exception unwound end unseen: where it is caught,
    # the frames still live get their return probes back
    assert node(t.report, "main", "_Z7catcheri")["inferred_exits"] == 0
    assert node(t.report, "main")["inferred_exits"] == 0
    assert node(t.report, "main", "_Z7catcheri", "_Z6level1i")["inferred_exits"] == want["level1"]


def test_functions_whose_start_cannot_be_probed_or_is_a_loop_head_count_exactly():
    # bump() starts with `lock addq` (the kernel refuses it: the probe moves
    # on); loop_after_endbr() loops back to entry+4 (the probe stays on the
    # endbr64); loop_at_entry() loops back to its entry (passes are not calls)
    t = trace("run", "--", fixture("prologues"), "300")
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("bump", "loop_after_endbr", "loop_at_entry"):
        assert got[name] == want[name] == 300, name
    assert t.report["inferred_exits"] == 0


def test_probes_shows_where_each_probe_goes_and_why():
    out = uscope("probes", "--", fixture("prologues")).stdout
    rows = {line.split()[0]: line for line in out.splitlines() if line and not line[0].isspace()}
    assert " +9 " in rows["bump"] and "accepts" in rows["bump"]
    assert " +0 " in rows["loop_after_endbr"] and "endbr64" in rows["loop_after_endbr"]
    assert "loop comes back to the entry" in rows["loop_at_entry"]


def test_ifuncs_and_aliased_library_functions_count_the_code_that_runs():
    # strlen and memcpy are IFUNCs: the probe goes on the implementation the
    # loader chooses on this machine, not on the resolver; libm's sqrt shares
    # its code with __sqrt and sqrtf64. The fixture makes no other call of them.
    t = trace("run", "-f", "libc:strlen", "-f", "libc:memcpy", "-f", "libm:sqrt", "--",
              fixture("ifuncs"), "500")
    assert t.returncode == 0, t.stderr
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    for name in ("strlen", "memcpy", "sqrt"):
        assert got[name] == want[name] == 500, name


def test_static_functions_of_a_stripped_library_come_from_its_debug_file():
    # libc6-dbg installs libc's .symtab under /usr/lib/debug/.build-id: the
    # strlen implementations (__strlen_avx2, __strlen_evex ...) are static
    if not os.path.isdir("/usr/lib/debug/.build-id"):
        pytest.skip("no debug files installed (scripts/setup.sh installs libc6-dbg)")
    t = trace("run", "-f", "libc:__strlen_*", "--", fixture("ifuncs"), "300")
    assert t.returncode == 0, t.stderr
    got = counts_by_function(t.report)
    assert sum(n for f, n in got.items() if f.startswith("__strlen_")) == 300


def test_cpp_functions_are_picked_by_the_names_people_write():
    t = trace("run", "-f", "level*", "--", fixture("throws"), "20")
    assert t.returncode == 0, t.stderr
    want = truth(t.stdout)
    got = counts_by_function(t.report)
    assert {f: n for f, n in got.items()} == {
        f"_Z6level{i}i": want[f"level{i}"] for i in range(1, 6)}

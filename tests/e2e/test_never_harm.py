# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""uscope never wedges the host nor harms its target, whatever ends it:
detach is one kernel synchronisation per object however many functions are
traced, signals and errors release the command, a killed uscope leaves a
readable recording and an unchanged Python, a failed write fails at once,
and durations across lost events are never made up.

The fixtures count their own calls; a test that would hang fails on its
timeout (generous: it tells a hang from a slow machine, it is no benchmark).
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import USCOPE, counts_by_function, fixture, node, trace, truth, uscope
from python_helpers import DEBIAN_PYTHON, PY_FIXTURES, interpreter

HANG = 60  # seconds: far beyond any detach here, far below a wedged one


def state_of(pid):
    """The kernel's one-letter state of `pid` (R, S, D, T, Z), None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def pids_with(marker):
    """Processes whose command line holds `marker`."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(d))
        except OSError:
            pass
    return found


def kill_all_with(marker):
    for pid in pids_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def assert_uprobes_usable():
    """Another uprobe user is not blocked behind a detach."""
    subprocess.run(["bpftool", "prog", "list"], capture_output=True, check=True, timeout=HANG)


def start_busy(*uscope_args, busy_args=("0",), marker=None):
    """uscope run ... -- busy: main is traced and never returns while traced."""
    marker = marker or f"m-{uuid.uuid4().hex}"
    u = subprocess.Popen([USCOPE, "run", *uscope_args, "--", fixture("busy"), *busy_args, marker],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = u.stdout.readline()
    assert line.startswith("ready"), u.stderr.read() if u.poll() is not None else line
    return u, int(line.split()[1]), marker


# 1. Detach: fast whatever the number of functions, never waits on main.

def test_hundreds_of_library_functions_are_two_links():
    r = uscope("run", "-v", "-f", "libsqlite3:sqlite3_*", "--", "sqlite3", ":memory:",
               "select 1", timeout=HANG)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\n"
    sites = re.search(r"attached (\d+) probe sites \((\d+) links\)", r.stderr)
    assert int(sites.group(1)) >= 200
    assert int(sites.group(2)) <= 2  # one multi-uprobe link per object and program
    assert "sqlite3_prepare_v2" in r.stderr or "sqlite3_" in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_run_with_main_traced_ends_both(sig):
    u, pid, _ = start_busy("-q")
    time.sleep(0.5)
    u.send_signal(sig)
    out, err = u.communicate(timeout=HANG)
    assert state_of(pid) is None, f"the command is left in state {state_of(pid)}"
    counted = truth(out)
    if sig == signal.SIGTERM:  # busy ends its own way on SIGTERM
        assert u.returncode == 0, err
        assert counted["work"] == counted["leaf"] > 0
    else:  # busy does not handle SIGINT: it dies of it, as untraced
        assert u.returncode == 128 + signal.SIGINT, err
    assert "main" in err and "work" in err  # the report was written
    assert_uprobes_usable()


def test_sigterm_to_run_ends_a_command_that_is_stopped():
    # the command is stopped (job control, a debugger, or a stop of uscope's
    # own that went unanswered): the SIGTERM run passes on acts only once the
    # command runs again, so run continues it rather than wait for ever
    u, pid, _ = start_busy("-q")
    time.sleep(0.5)
    os.kill(pid, signal.SIGSTOP)
    for _ in range(50):
        if state_of(pid) == "T":
            break
        time.sleep(0.02)
    assert state_of(pid) == "T"
    u.send_signal(signal.SIGTERM)
    out, err = u.communicate(timeout=HANG)
    assert state_of(pid) is None, f"the command is left in state {state_of(pid)}"
    assert u.returncode == 0, err  # busy ends its own way on SIGTERM
    counted = truth(out)
    assert counted["work"] == counted["leaf"] > 0


def test_sigkill_of_run_with_main_traced_leaves_the_command_running():
    u, pid, _ = start_busy("-q", busy_args=("3",))
    time.sleep(0.5)
    u.kill()
    u.wait(timeout=HANG)
    assert state_of(pid) in ("R", "S"), state_of(pid)
    assert_uprobes_usable()
    out = u.stdout.read()  # busy finishes on its own and closes the pipe
    assert truth(out)["work"] > 0
    for _ in range(50):  # closing its stdout is among the last things it does
        if state_of(pid) in (None, "Z"):
            break
        time.sleep(0.1)
    assert state_of(pid) in (None, "Z")


def test_duration_with_main_traced_detaches_while_it_runs():
    u, pid, _ = start_busy("-q", "--duration", "1", busy_args=("3",))
    out, err = u.communicate(timeout=HANG)
    assert u.returncode == 0, err
    counted = truth(out)
    report_work = re.search(r"^\s*(\d+)\s.*work", err, re.M)
    assert 0 < int(report_work.group(1)) < counted["work"]  # tracing stopped, busy went on


def test_attach_with_main_traced_detaches_and_leaves_it_running():
    busy = subprocess.Popen([fixture("busy"), "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert busy.stdout.readline().startswith("ready")
        traced = trace("attach", "-p", str(busy.pid), "--duration", "1", timeout=HANG)
        assert traced.returncode == 0, traced.stderr
        assert busy.poll() is None
        assert_uprobes_usable()
        busy.terminate()
        out, _ = busy.communicate(timeout=HANG)
    finally:
        busy.kill()
    counts = counts_by_function(traced.report)
    assert 0 < counts["work"] <= truth(out)["work"]


# 2. Errors after following an exec release the command; uscope's death
#    never leaves it stopped.

@pytest.mark.parametrize("args,message", [
    (["-f", "libnothere:foo"], "no object 'libnothere'"),
    (["-f", "zzz*"], "matches no function"),
])
def test_error_after_following_a_wrapper_releases_the_command(tmp_path, args, message):
    marker = f"m-{uuid.uuid4().hex}"
    wrapper = tmp_path / "wrapper.sh"
    wrapper.write_text(f"#!/bin/sh\nexec {fixture('busy')} 0 {marker}\n")
    wrapper.chmod(0o755)
    try:
        r = uscope("run", *args, "--", str(wrapper), timeout=HANG)
        assert r.returncode != 0
        assert message in r.stderr
        assert "killed" in r.stderr or "was not run" in r.stderr  # uscope says which
        time.sleep(0.2)
        assert pids_with(marker) == []
    finally:
        kill_all_with(marker)


def test_a_recording_that_cannot_be_written_is_said_before_the_command_runs(tmp_path):
    marker = f"m-{uuid.uuid4().hex}"
    r = uscope("run", "-o", "/nonexistent/x.usc", "--", fixture("busy"), "0", marker,
               timeout=HANG)
    assert r.returncode == 1
    assert r.stderr.startswith("uscope: error: cannot write the recording /nonexistent/x.usc")
    assert "ready" not in r.stdout and pids_with(marker) == []


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.12"])
def test_killed_uscope_never_leaves_a_python_command_stopped(name, tmp_path):
    """SIGKILL at moments across set-up, the exec and the first Python call."""
    python = interpreter(name)
    script = tmp_path / "count.py"
    script.write_text("import sys, time\nfor i in range(30):\n    time.sleep(0.01)\n"
                      "print('finished', sys.argv[1])\n")
    for delay in (0.02, 0.08, 0.15, 0.25, 0.4, 0.7):
        marker = f"m-{uuid.uuid4().hex}"
        u = subprocess.Popen([USCOPE, "run", "-q", "--", python, str(script), marker],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(delay)
        u.kill()
        u.wait(timeout=HANG)
        try:
            out = u.stdout.read()  # EOF once the command ended (or never ran)
            assert out in ("", f"finished {marker}\n"), out
            assert pids_with(marker) == []
        finally:
            kill_all_with(marker)


def test_a_command_that_ignores_sigint_does_not_keep_uscope():
    u, pid, marker = start_busy("-q", busy_args=("0", "ignore-int"))
    try:
        time.sleep(0.3)
        u.send_signal(signal.SIGINT)  # stops tracing; busy ignores it and runs on
        time.sleep(1.5)
        assert u.poll() is None and state_of(pid) in ("R", "S")
        u.send_signal(signal.SIGINT)  # a second one: uscope goes, busy stays
        u.wait(timeout=HANG)
        assert state_of(pid) in ("R", "S")
    finally:
        kill_all_with(marker)
    err = u.stderr.read()  # busy held the pipes open until now
    assert "work" in err and "left the command" in err


# 4. A killed uscope leaves a recording readable to its last second.

def killed_after_2_5_s(tmp_path, *uscope_args):
    """uscope run ... -o FILE -- busy, SIGKILLed after 2.5 s: the recording's
    json report (said cut short), and busy's own counts once it is stopped."""
    rec = tmp_path / "cut.usc"
    u, pid, marker = start_busy("-q", *uscope_args, "-o", str(rec))
    try:
        time.sleep(2.5)
        u.kill()
        u.wait(timeout=HANG)
        r = uscope("report", str(rec), "--format", "json")
        assert r.returncode == 0, r.stderr
        assert "cut short" in r.stderr
        report = json.loads(r.stdout)
        os.kill(pid, signal.SIGTERM)
        out = u.stdout.read()
    finally:
        kill_all_with(marker)
    return report, truth(out)


def test_sigkill_keeps_the_recording_up_to_its_last_second(tmp_path):
    report, want = killed_after_2_5_s(tmp_path)
    counts = counts_by_function(report)
    assert counts["work"] >= 500  # at 1 ms a call, 2.5 s less at most one unflushed second
    assert counts["work"] <= want["work"]
    main = node(report, "main")  # still running when uscope died: said so, not inferred
    assert main.get("unfinished") == 1 and main["inferred_exits"] == 0


def test_sigkill_keeps_aggregated_counters_up_to_their_last_second(tmp_path):
    report, want = killed_after_2_5_s(tmp_path, "--aggregate")
    work = {f["function"]: f for f in report["functions"]}["work"]
    assert work["count"] >= 500  # at 1 ms a call, 2.5 s less at most one unflushed second
    assert work["count"] <= want["work"]
    assert work["timed"] <= work["count"]


# 5. eval_frame: restored however uscope ends; a left-over one is adopted.

def start_attach_target(python, tmp_path, *extra):
    stop = tmp_path / "stop"
    target = subprocess.Popen([python, os.path.join(PY_FIXTURES, "attach_target.py"), str(stop),
                               *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    assert target.stdout.readline().startswith("ready")
    return target, stop


def finish_attach_target(target, stop):
    stop.touch()
    target.wait(timeout=HANG)
    return target.stdout.read().splitlines()[-1]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGUSR1, signal.SIGALRM])
def test_eval_frame_is_restored_whatever_signal_ends_uscope(sig, tmp_path):
    target, stop = start_attach_target(interpreter("pyenv-3.12"), tmp_path)
    try:
        u = subprocess.Popen([USCOPE, "attach", "-p", str(target.pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(2)  # attached and tracing
        u.send_signal(sig)
        u.communicate(timeout=HANG)
        time.sleep(0.3)  # the guard puts it back when it sees uscope gone
        assert finish_attach_target(target, stop) == "eval_frame NULL"
    finally:
        target.kill()


def test_eval_frame_left_by_a_killed_uscope_is_adopted_and_restored(tmp_path):
    target, stop = start_attach_target(interpreter("pyenv-3.12"), tmp_path, "left-set")
    try:
        traced = trace("attach", "-p", str(target.pid), "--duration", "1", timeout=HANG)
        assert traced.returncode == 0, traced.stderr
        assert finish_attach_target(target, stop) == "eval_frame NULL"
    finally:
        target.kill()
    assert counts_by_function(traced.report).get("square", 0) > 100


# 6. A failed write is an error at once; the command runs on untouched.

@pytest.fixture
def small_disk(tmp_path):
    """A 32 KiB file system: a recording fills it within a second or two."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_fails_at_once_and_leaves_the_command_alone(small_disk):
    u, pid, marker = start_busy("-o", str(small_disk / "r.usc"), busy_args=("3",))
    try:
        out, err = u.communicate(timeout=HANG)
    finally:
        kill_all_with(marker)
    assert u.returncode == 125, err  # documented: the recording failed
    assert err.count("No space left on device") == 1
    assert "runs on untraced" in err
    counted = truth(out)
    assert counted["work"] == counted["leaf"] > 100  # it ran to its end, untouched


def test_a_recording_that_cannot_start_does_not_run_the_command():
    marker = f"m-{uuid.uuid4().hex}"
    r = uscope("run", "-o", "/dev/full", "--", fixture("busy"), "1", marker, timeout=HANG)
    assert r.returncode == 1
    assert "No space left on device" in r.stderr and "was not run" in r.stderr
    assert "ready" not in r.stdout


# 7. Lost events: nothing timed that cannot be proven.

def test_durations_after_lost_events_are_never_made_up():
    r = trace("run", "--buffer-size", "16K", "--", fixture("callbench"), "300000", timeout=HANG)
    assert r.returncode == 0, r.stderr
    report = r.report
    assert report["lost_events"] > 0, "the ring did not overflow: no test"
    for t in report["threads"]:
        for n in t["calls"]:
            for c in n["calls"]:
                # a ~100 ns function: a long timed maximum is an exit paired
                # with the wrong entry
                assert c["max_ms"] < 20, (c["function"], c["max_ms"])


def test_every_thread_is_its_own():
    """(A thread id the kernel reuses is a new thread: tests/unit/test_model.c.)"""
    r = trace("run", "-f", "worker", "--", fixture("threads"), "40", timeout=HANG)
    assert r.returncode == 0, r.stderr
    workers = [t for t in r.report["threads"] if any(n["function"] == "worker" for n in t["calls"])]
    assert len(workers) == truth(r.stdout)["worker"] == 40


# 3. Real programs do not crash the model (the suite also runs under ASan).

def test_two_threads_raising_and_catching_in_a_loop(tmp_path):
    script = tmp_path / "raisers.py"
    script.write_text(
        "import sys, threading\nsys.setswitchinterval(1e-6)\n"
        "def thrower(i):\n    raise ValueError('bad %d' % i)\n"
        "def middle(i):\n    thrower(i)\n"
        "def worker(n):\n    for i in range(n):\n        try:\n            middle(i)\n"
        "        except ValueError:\n            pass\n"
        "ts = [threading.Thread(target=worker, args=(3000,)) for _ in range(2)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\nprint('done')\n")
    r = trace("run", "--", DEBIAN_PYTHON, str(script), timeout=HANG)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
    counts = counts_by_function(r.report)
    assert counts["thrower"] == counts["middle"] == 6000
    raised = [c for c in r.report["exceptions"] if c["type"] == "ValueError"]
    assert sum(c["count"] for c in raised) == 6000
    assert len(raised) <= 16  # distinct messages fold: "(other messages)"
    assert all(c["caught"] for c in raised)

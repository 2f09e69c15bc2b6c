# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`uscope dump -p PID`: every thread's native stack right now, unwound
without frame pointers, the process left running as it was. The fixture's
stacks are known by construction (tests/fixtures/stacks.c)."""
import re
import signal
import subprocess
import time

import pytest

from conftest import fixture, uscope
from python_helpers import INTERPRETERS, interpreter
from test_never_harm import state_of


def frames_by_thread(text):
    """{thread name: [function, ...]} from dump's output."""
    threads, current = {}, None
    for line in text.splitlines():
        m = re.match(r"Thread (\d+) \((.*)\)( \[Python\])?:$", line)
        if m:
            current = threads.setdefault(m.group(2), [])
        elif line.startswith("    ") and current is not None:
            current.append(line.split()[0])
    return threads


def test_dump_shows_each_threads_stack_without_frame_pointers():
    target = subprocess.Popen([fixture("stacks")], stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout.readline().startswith("ready")
        time.sleep(0.3)  # the spinner is spinning, main is in pause()
        r = uscope("dump", "-p", str(target.pid), timeout=60)
        assert r.returncode == 0, r.stderr
        threads = frames_by_thread(r.stdout)
        main = threads["stacks"]
        assert main[main.index("wait_inner"):main.index("main") + 1] == \
            ["wait_inner", "wait_outer", "main"]
        assert main[0] == "pause" or "pause" in main[:3]
        spinner = threads["spinner"]
        assert spinner[:3] == ["spin_inner", "spin_outer", "spinner"]
        assert state_of(target.pid) in ("R", "S")  # never left stopped
        target.send_signal(signal.SIGTERM)
        assert target.wait(timeout=30) == 0  # the handler still runs: untouched
    finally:
        target.kill()


def test_dump_of_a_stripped_python_names_what_it_can():
    python = subprocess.Popen(["/usr/bin/python3.11", "-c",
                               "import time; print('ready', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert python.stdout.readline().startswith("ready")
        r = uscope("dump", "-p", str(python.pid), timeout=60)
        assert r.returncode == 0, r.stderr
        frames = frames_by_thread(r.stdout)["python3.11"]
        assert "Py_BytesMain" in frames and "_start" == frames[-1]
        assert any(re.fullmatch(r"python3\.11\+0x[0-9a-f]+", f) for f in frames)
        assert "<module>" in frames  # its Python frame, though the binary is stripped
    finally:
        python.kill()


def test_dump_of_no_such_process_says_so():
    r = uscope("dump", "-p", "999999")
    assert r.returncode == 1
    assert "no process with PID 999999" in r.stderr


BLOCKED = """
import sys, threading, time
def wait_in_worker(event):
    event.wait()
def sleep_in_main():
    print("ready", flush=True)
    time.sleep(60)
event = threading.Event()
threading.Thread(target=wait_in_worker, args=(event,), name="waiter").start()
sleep_in_main()
"""


@pytest.mark.parametrize("name", INTERPRETERS)
def test_dump_of_a_python_process_shows_its_python_stacks(name):
    python = interpreter(name)
    target = subprocess.Popen([python, "-c", BLOCKED], stdout=subprocess.PIPE, text=True)
    try:
        assert target.stdout.readline().startswith("ready")
        time.sleep(0.2)
        r = uscope("dump", "-p", str(target.pid), timeout=60)
        assert r.returncode == 0, r.stderr
        blocks = r.stdout.split("\n\n")
        main = next(b for b in blocks if "sleep_in_main" in b)
        lines = [line.strip() for line in main.splitlines()[1:]]
        names = [line.split(" (")[0] for line in lines]
        # the Python frames in place of the interpreter frames, innermost first
        assert names.index("sleep_in_main") < names.index("<module>"), main
        assert "sleep_in_main (<string>:7)" in lines, main
        worker = next(b for b in blocks if "wait_in_worker" in b)
        wnames = [line.strip().split(" (")[0] for line in worker.splitlines()[1:]]
        assert wnames.index("wait_in_worker") < wnames.index("Thread.run" if "Thread.run" in
                                                            wnames else "run"), worker
        assert state_of(target.pid) in ("S", "R")  # left running
    finally:
        target.kill()

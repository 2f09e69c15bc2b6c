# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Recordings, report formats, filters, attach, signals and bad input."""
import json
import re
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import USCOPE, counts_by_function, fixture, node, trace, truth, uscope


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="uscope-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["tree", "flat", "json", "timeline", "chrome"])
def test_report_of_recording_equals_live_report(tmpdir_path, fmt):
    rec = os.path.join(tmpdir_path, "trace.usc")
    live = trace("run", "-o", rec, "--", fixture("recursion"), "10", fmt=fmt)
    assert live.returncode == 0
    again = uscope("report", rec, "--format", fmt)
    assert again.returncode == 0
    assert again.stdout == live.report_text


def test_formats_agree_with_the_fixture(tmpdir_path):
    rec = os.path.join(tmpdir_path, "trace.usc")
    t = trace("run", "-o", rec, "--", fixture("recursion"), "9")
    calls = sum(truth(t.stdout).values()) + 1  # + main
    timeline = json.loads(uscope("report", rec, "--format", "timeline-json").stdout)
    events = timeline["timeline"]
    assert sum(e["event"] == "call" for e in events) == calls
    assert sum(e["event"] == "return" for e in events) == calls
    assert [e["time_ms"] for e in events] == sorted(e["time_ms"] for e in events)
    chrome = json.loads(uscope("report", rec, "--format", "chrome").stdout)
    x = [e for e in chrome["traceEvents"] if e["ph"] == "X"]
    m = [e for e in chrome["traceEvents"] if e["ph"] == "M"]
    assert len(x) == calls
    assert m and m[0]["args"]["name"] == "recursion"
    tree = uscope("report", rec).stdout
    assert "├─ fib" in tree or "└─ fib" in tree
    flat = uscope("report", rec, "--format", "flat").stdout
    assert "Avg" in flat and "fib" in flat and "lost events" in flat


def test_damaged_recordings_fail_cleanly(tmpdir_path):
    rec = os.path.join(tmpdir_path, "trace.usc")
    trace("run", "-o", rec, "--", fixture("recursion"), "12")
    data = open(rec, "rb").read()
    cut = os.path.join(tmpdir_path, "cut.usc")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    r = uscope("report", cut)  # uscope killed mid-run: read up to the last whole chunk
    assert r.returncode == 0 and "cut short" in r.stdout, r.stderr
    bad = os.path.join(tmpdir_path, "bad.usc")
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    open(bad, "wb").write(bytes(flipped))
    r = uscope("report", bad)
    assert r.returncode == 1 and "corrupt recording" in r.stderr
    r = uscope("report", fixture("recursion"))
    assert r.returncode == 1 and "not a uscope recording" in r.stderr
    r = uscope("report", os.path.join(tmpdir_path, "missing.usc"))
    assert r.returncode == 1 and "cannot open" in r.stderr


def test_filters_at_record_time_and_in_report(tmpdir_path):
    t = trace("run", "--min-duration", "10ms", "--", fixture("sleeper"), "2")
    names = counts_by_function(t.report)
    assert names == {"main": 1, "sleep_20ms": 2}
    t = trace("run", "--exclude", "side", "--", fixture("deep"), "10", "1")
    assert "side" not in counts_by_function(t.report)
    rec = os.path.join(tmpdir_path, "deep.usc")
    trace("run", "-o", rec, "--", fixture("deep"), "10", "1")
    r = json.loads(uscope("report", rec, "--format", "json", "--max-depth", "2").stdout)
    assert node(r, "main", "descend")["count"] == 1
    assert node(r, "main", "descend", "descend") is None
    r = json.loads(uscope("report", rec, "--format", "json", "--exclude", "desc*").stdout)
    assert node(r, "main", "side")["count"] == 10
    assert node(r, "main", "bottom")["count"] == 1


def test_signal_death_is_128_plus_n():
    t = trace("run", "-f", "libc:getpid", "--", "/bin/sh", "-c", "kill -USR1 $$")
    assert t.returncode == 128 + signal.SIGUSR1
    assert t.report["exit_status"] == 128 + signal.SIGUSR1


def test_command_runs_as_the_sudo_user():
    env = dict(os.environ, SUDO_UID="65534", SUDO_GID="65534", SUDO_USER="nobody")
    t = trace("run", "-f", "libc:geteuid", "--", "/usr/bin/id", "-u", env=env)
    assert t.returncode == 0
    assert t.stdout.strip() == "65534"
    assert counts_by_function(t.report)["geteuid"] >= 1


def test_stdin_passes_through():
    r = subprocess.run([USCOPE, "run", "-q", "-f", "libc:read", "--", "/bin/cat"],
                       input="hello through uscope\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert r.stdout == "hello through uscope\n"


def start_looper():
    p = subprocess.Popen([fixture("sleeper"), "loop"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("ready")
    return p


def test_attach_for_a_duration_leaves_the_process_running():
    p = start_looper()
    try:
        t = trace("attach", "-p", str(p.pid), "--duration", "1", "-f", "tick")
        assert t.returncode == 0
        ticks = node(t.report, "tick")["count"]
        assert 100 <= ticks <= 1100  # 1 s of ~1 ms ticks
        assert t.report["exit_status"] is None
        assert t.report["command"] == []
        assert p.poll() is None  # still running, untouched
        time.sleep(0.2)
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
    assert p.returncode == 0
    assert "stopped" in out


def test_attach_stops_cleanly_on_sigint():
    p = start_looper()
    try:
        with tempfile.NamedTemporaryFile(suffix=".json") as rep:
            u = subprocess.Popen([USCOPE, "attach", "-q", "-p", str(p.pid), "-f", "tick",
                                  "--format", "json", "--report", rep.name],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            u.send_signal(signal.SIGINT)
            _, err = u.communicate(timeout=30)
            assert u.returncode == 0, err
            report = json.load(open(rep.name))
            assert node(report, "tick")["count"] > 50
        assert p.poll() is None
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
    assert p.returncode == 0


def test_attach_until_the_process_exits():
    p = start_looper()
    u = subprocess.Popen([USCOPE, "attach", "-q", "-p", str(p.pid), "-f", "tick",
                          "--format", "json"], stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    _, err = u.communicate(timeout=30)
    assert u.returncode == 0
    report = json.loads(err)
    assert report["exit_status"] == 0
    assert node(report, "tick")["count"] <= truth(out)["tick"]


def test_sigterm_to_run_stops_tracing_and_passes_it_on():
    u = subprocess.Popen([USCOPE, "run", "-q", "-f", "tick", "--", fixture("sleeper"), "loop"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert u.stdout.readline().startswith("ready")
    time.sleep(0.5)
    u.send_signal(signal.SIGTERM)
    out, err = u.communicate(timeout=30)
    assert "stopped" in out  # the command got the SIGTERM and ended its own way
    assert u.returncode == 0
    assert "tick" in err


@pytest.mark.parametrize("args,code,message", [
    (["attach", "-p", "999999"], 1, "no process with PID 999999"),
    (["run", "--", "/no/such/command"], 127, "/no/such/command: No such file or directory"),
    (["run", "--", "/etc/passwd"], 126, "/etc/passwd: Permission denied"),
    (["run", "--", "/tmp"], 126, "/tmp: Is a directory"),
    (["run", "--", "no-such-command-anywhere"], 127, "command not found"),
    (["run", "-f", "fibb", "--", fixture("recursion")], 1, "closest in recursion: fib"),
    (["run", "-f", "libnothere:x", "--", fixture("recursion")], 1, "no object 'libnothere'"),
    (["run", "--max-depth", "zero", "--", "true"], 2, "--max-depth takes a positive number"),
    (["run", "--min-duration", "5 parsecs", "--", "true"], 2, "--min-duration takes a duration"),
    (["run", "--format", "xml", "--", "true"], 2, "unknown format 'xml'"),
    (["run"], 2, "needs a command"),
    (["attach"], 2, "needs -p PID"),
    (["frobnicate"], 2, "unknown command"),
    (["report", "a", "b"], 2, "exactly one recording"),
])
def test_bad_input_gets_one_clear_line(args, code, message):
    r = uscope(*args)
    assert r.returncode == code, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr and "Segmentation" not in r.stderr


def test_stripped_binary_is_explained(tmpdir_path):
    stripped = os.path.join(tmpdir_path, "recursion-stripped")
    subprocess.run(["strip", "-s", "-o", stripped, fixture("recursion")], check=True)
    r = uscope("run", "--", stripped, "5")
    assert r.returncode == 0  # it runs, untraced, saying why
    assert "stripped" in r.stderr and "runs untraced" in r.stderr
    assert truth(r.stdout) == truth(subprocess.run([fixture("recursion"), "5"],
                                                   capture_output=True, text=True).stdout)


@pytest.mark.parametrize("route", ["debuglink", "build-id"])
def test_a_stripped_binary_is_traced_from_its_debug_file(tmp_path, route):
    """Symbols from a separate debug file: .gnu_debuglink beside the binary,
    or ROOT/.build-id/xx/yyyy.debug (USCOPE_DEBUG_ROOT stands for
    /usr/lib/debug)."""
    exe, debug = tmp_path / "recursion", tmp_path / "recursion.debug"
    shutil.copy(fixture("recursion"), exe)
    subprocess.run(["objcopy", "--only-keep-debug", str(exe), str(debug)], check=True)
    subprocess.run(["strip", "-s", str(exe)], check=True)
    env = dict(os.environ)
    if route == "debuglink":
        subprocess.run(["objcopy", f"--add-gnu-debuglink={debug}", str(exe)], check=True,
                       cwd=tmp_path)
    else:
        notes = subprocess.run(["readelf", "-n", str(exe)], capture_output=True, text=True).stdout
        build_id = re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)
        where = tmp_path / "debug" / ".build-id" / build_id[:2]
        where.mkdir(parents=True)
        debug.rename(where / f"{build_id[2:]}.debug")
        env["USCOPE_DEBUG_ROOT"] = str(tmp_path / "debug")
    r = trace("run", "--", str(exe), "6", env=env)
    assert r.returncode == 0, r.stderr
    assert "stripped" not in r.stderr
    counts = counts_by_function(r.report)
    assert {f: counts.get(f) for f in ("fib", "leaf")} == {f: truth(r.stdout)[f]
                                                           for f in ("fib", "leaf")}


def test_not_root_is_explained():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        USCOPE, "run", "--", fixture("recursion")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "needs root" in r.stderr


def test_probes_lists_sites_and_their_cost():
    r = subprocess.run([USCOPE, "probes", "--binary", fixture("tailcalls")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    lines = {l.split()[0]: l for l in r.stdout.splitlines() if l.split()}
    assert "emulated (push)" in lines["driver"]
    # endbr64, lock addq, add, jmp hop_b: past the LOCK-prefixed add (which the
    # kernel refuses) to the tail call's jmp, which it emulates
    assert "+16" in lines["hop_a"] and "emulated (jmp)" in lines["hop_a"]
    r = subprocess.run([USCOPE, "probes", "--binary", fixture("uses_lib"), "libusfix:usfix_*"],
                       capture_output=True, text=True, timeout=60)
    assert "usfix_add" in r.stdout and "libusfix.so" in r.stdout


def test_probes_of_a_running_process_and_of_a_command():
    p = start_looper()
    try:
        r = subprocess.run([USCOPE, "probes", "-p", str(p.pid), "tick", "libc:nanosleep"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        rows = {l.split()[0]: l for l in r.stdout.splitlines() if l.split()}
        assert f" {fixture('sleeper')}: " in rows["tick"]
        assert "libc.so" in rows["nanosleep"]
        assert f"{fixture('sleeper')}  (main)" in r.stdout
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
    r = subprocess.run([USCOPE, "probes", fixture("recursion"), "fi*"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert [l.split()[0] for l in r.stdout.splitlines() if "emulated (" in l] == ["fib"]


@pytest.mark.parametrize("command,has,lacks", [
    ("run", ["--func", "--output", "--duration", "--memory", "--no-deinline"], ["--binary", "--kwargs", "--no-pager"]),
    ("attach", ["--pid", "--duration", "--scope"], ["--kwargs", "--binary"]),
    ("report", ["--format", "--focus", "--no-pager", "--sort"], ["--func", "--duration", "--memory"]),
    ("probes", ["--binary", "--pid", "--memory"], ["--format", "--output"]),
    ("call", ["--kwargs", "--python", "--memory"], ["--func", "--pid", "--format"]),
    ("dump", ["--pid"], ["--format", "--func", "--output"]),
])
def test_each_command_has_its_own_help(command, has, lacks):
    r = uscope(command, "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith(f"usage: uscope {command} ")
    assert "Examples:\n" in r.stdout and f"  uscope {command} " in r.stdout
    options = set(re.findall(r"^  (?:-\w, )?(--[\w-]+)", r.stdout, re.M))
    assert set(has) <= options and not set(lacks) & options
    assert all(len(line) <= 80 for line in r.stdout.splitlines())


def test_an_option_of_another_command_names_its_commands():
    r = uscope("report", "--duration", "2", "x.usc")
    assert r.returncode == 2
    assert "--duration is for run, attach, profile, top, not report" in r.stderr
    assert "uscope report --help" in r.stderr


def test_version_and_overview():
    assert uscope("--version").stdout.startswith("uscope ")
    overview = uscope("--help")
    assert overview.returncode == 0
    for command in ("run", "attach", "report", "probes", "call", "dump"):
        assert f"  uscope {command} " in overview.stdout


def test_install_puts_man_pages_and_completion(tmp_path):
    """`cmake --install` gives man uscope, man uscope-run, ... and completion."""
    build = os.path.dirname(USCOPE)
    r = subprocess.run(["cmake", "--install", build, "--prefix", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    man1 = tmp_path / "share" / "man" / "man1"
    for page in ("uscope", "uscope-run", "uscope-attach", "uscope-report", "uscope-probes",
                 "uscope-call"):
        text = subprocess.run(["man", "-l", str(man1 / f"{page}.1")], capture_output=True,
                              text=True, env={**os.environ, "MANWIDTH": "80"}).stdout
        assert re.search(rf"NAME\n\s+{page}\s+-\s+\w", text), page
        assert "OPTIONS" in text or page == "uscope"
    assert "--buffer-size" in (man1 / "uscope-run.1").read_text().replace("\\-", "-")
    completion = tmp_path / "share" / "bash-completion" / "completions" / "uscope"
    script = (f"source {completion}; PATH={build}:$PATH; COMP_WORDS=(uscope report --fo); "
              "COMP_CWORD=2; _uscope; echo ${COMPREPLY[@]}")
    words = subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.split()
    assert words == ["--format", "--focus"]

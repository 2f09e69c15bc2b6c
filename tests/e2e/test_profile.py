# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`uscope profile`: sampled stacks of a command, a PID or every process.

Every split these tests assert is measured by the workload itself (its own
thread CPU time in each call path: "cpu NAME=NS"), never taken from uscope.
Sampling is statistical: shares are held to a stated tolerance, with enough
samples (-F 499 for 2 s) that it is several standard deviations wide."""
import email
import email.policy
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

from conftest import USCOPE, fixture, uscope
from python_helpers import INTERPRETERS, PY_FIXTURES, interpreter

PROFILE_WORKLOAD = os.path.join(PY_FIXTURES, "profile_workload.py")
SHARE_TOLERANCE = 0.08  # absolute, on a share of the samples (~1000 samples: sd < 0.02)


def cpu_truth(stdout):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^cpu (\w+)=(\d+)$", stdout, re.M)}


def profile(*args, fmt="folded", timeout=180):
    """uscope profile with the report in a file: (process, report text)."""
    with tempfile.NamedTemporaryFile(suffix=".report", delete=False) as f:
        path = f.name
    try:
        proc = uscope("profile", "-q", "--format", fmt, "--report", path, *args, timeout=timeout)
        with open(path) as f:
            return proc, f.read()
    finally:
        os.unlink(path)


def folded(text):
    """[(frames root first, count)] of a folded report."""
    stacks = []
    for line in text.splitlines():
        path, _, count = line.rpartition(" ")
        stacks.append((path.split(";"), int(count)))
    return stacks


def function_of(frame):
    """"sort_path (profsplit)" -> "sort_path"."""
    return frame.split(" (")[0]


def in_order(frames, *names):
    """Whether `names` appear in `frames` in this order (others may sit between)."""
    i = 0
    for f in frames:
        if i < len(names) and function_of(f) == names[i]:
            i += 1
    return i == len(names)


def share(stacks, predicate, among):
    total = sum(c for s, c in stacks if among(s))
    return sum(c for s, c in stacks if among(s) and predicate(s)) / total if total else 0.0


def test_native_split_without_frame_pointers_matches_the_fixtures_own_times():
    proc, text = profile("-F", "499", "--", fixture("profsplit"), "2")
    assert proc.returncode == 0, proc.stderr
    truth = cpu_truth(proc.stdout)
    stacks = folded(text)
    sort = [(s, c) for s, c in stacks if "compare_slowly" in map(function_of, s)]
    assert sort, text[:2000]
    # the whole path from main, through libc's qsort, to the callback; a stack
    # whose unwinding stopped early is marked so (and counted), and rare
    whole = [s for s, _ in sort if "[unwinding stopped]" not in s]
    assert all(in_order(s, "main", "sort_path", "compare_slowly") for s in whole), \
        [s for s in whole if not in_order(s, "main", "sort_path", "compare_slowly")][:3]
    stopped = sum(c for s, c in sort if "[unwinding stopped]" in s)
    assert stopped <= 0.03 * sum(c for _, c in sort), stopped
    sort = [s for s, _ in sort]
    assert any(in_order(s, "_start", "__libc_start_main", "main", "sort_path") and
               any(function_of(f) in ("qsort", "qsort_r") and "(libc.so.6)" in f for f in s)
               for s in sort)
    lib = [s for s, _ in stacks if "burn_in_library" in map(function_of, s)]
    assert lib and all(in_order(s, "main", "library_path", "burn_in_library") for s in lib)
    assert any("burn_in_library (libprofburn.so)" in s for s in lib)

    def on_path(name):
        return lambda s: name in map(function_of, s)

    either = lambda s: on_path("sort_path")(s) or on_path("library_path")(s)  # noqa: E731
    measured = truth["sort_path"] / (truth["sort_path"] + truth["library_path"])
    sampled = share(stacks, on_path("sort_path"), either)
    assert abs(sampled - measured) < SHARE_TOLERANCE, (sampled, measured)


def test_samples_add_up_and_no_loss_is_silent():
    proc, text = profile("-F", "499", "--", fixture("profsplit"), "1", fmt="json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(text)
    counted = sum(s["count"] for s in report["samples"])
    lost = report["losses"]["ring_full"] + report["losses"]["stack_unreadable"] + \
        report["losses"]["process_gone"]
    # every sample the kernel took is in the report or counted lost
    assert report["samples_taken"] == counted + lost
    assert counted > 300
    stacks = {s["id"]: s for s in report["stacks"]}
    incomplete = sum(s["count"] for s in report["samples"] if stacks[s["stack"]]["incomplete"])
    assert incomplete == report["losses"]["unwinding_stopped"]


def test_recording_reads_back_as_every_report():
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "p.usp")
        proc = uscope("profile", "-q", "-o", rec, "--format", "flat", "--", fixture("profsplit"),
                      "0.5", timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "compare_slowly" in proc.stderr
        for fmt in ("tree", "flat", "folded", "json"):
            r = uscope("report", rec, "--format", fmt, "--no-pager")
            assert r.returncode == 0, r.stderr
            assert "compare_slowly" in r.stdout, fmt
        r = uscope("report", rec, "--format", "timeline", "--no-pager")
        assert r.returncode != 0 and "a report of a trace" in r.stderr


def test_exit_status_and_output_of_the_command_are_its_own():
    r = uscope("profile", "-q", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.returncode == 7
    assert r.stdout == "out\n"
    assert r.stderr.startswith("err\n")


def test_subprocesses_are_followed_through_a_shell():
    proc, text = profile("-F", "499", "--", "sh", "-c",
                         f"{fixture('profsplit')} 0.5 > /dev/null; true")
    assert proc.returncode == 0, proc.stderr
    assert any(in_order(s, "main", "sort_path") for s, _ in folded(text)), text[:2000]
    proc, text = profile("-F", "499", "--no-subprocesses", "--", "sh", "-c",
                         f"{fixture('profsplit')} 0.5 > /dev/null; true")
    assert proc.returncode == 0
    assert not any(in_order(s, "main", "sort_path") for s, _ in folded(text))


def spinning(*extra):
    p = subprocess.Popen([fixture("profsplit"), "spin", *extra], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("ready")
    return p


def test_pid_is_sampled_and_left_running():
    target = spinning()
    try:
        proc, text = profile("-F", "499", "-p", str(target.pid), "--duration", "1")
        assert proc.returncode == 0, proc.stderr
        assert any(in_order(s, "main", "library_path", "burn_in_library") for s, _ in folded(text))
        assert target.poll() is None
        target.send_signal(signal.SIGTERM)
        assert target.wait(timeout=30) == 0
    finally:
        target.kill()


def test_all_processes_tags_each_sample_with_pid_and_comm():
    first, second = spinning(), spinning()
    try:
        proc, text = profile("-F", "199", "-a", "--duration", "1", fmt="json")
        assert proc.returncode == 0, proc.stderr
        report = json.loads(text)
        seen = {(s["pid"], s["process"]) for s in report["samples"]}
        assert (first.pid, "profsplit") in seen and (second.pid, "profsplit") in seen
        threads = {s["thread"] for s in report["samples"] if s["pid"] == first.pid}
        assert threads == {"profsplit"}
        proc, text = profile("-F", "199", "-a", "--duration", "1")
        assert any(s[0] == f"profsplit [{first.pid}]" for s, _ in folded(text))
    finally:
        first.kill()
        second.kill()


def test_bad_input_is_one_line_and_an_error():
    for args, words in [(["-p", "999999999"], "no process"),
                        ([], "samples one of"),
                        (["-a", "-p", "1"], "samples one of"),
                        (["-F", "0", "-a"], "-F takes"),
                        (["-a", "-f", "main"], "--func is for run, attach, not profile")]:
        r = uscope("profile", *args, "--duration", "1")
        assert r.returncode != 0, args
        assert words in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) <= 2, r.stderr


@pytest.mark.parametrize("name", INTERPRETERS)
def test_python_stacks_and_split_on_every_interpreter(name):
    python = interpreter(name)
    proc, text = profile("-F", "499", "--", python, PROFILE_WORKLOAD, "2")
    assert proc.returncode == 0, proc.stderr
    truth = cpu_truth(proc.stdout)
    stacks = folded(text)

    def through(*names):
        return lambda s: in_order(s, *names)

    chain_a = through("<module>", "run_main", "chain_a", "leaf_a")
    chain_b = through("Thread.run" if name != "pyenv-3.8" and name != "pyenv-3.9" and
                      name != "pyenv-3.10" else "run", "worker", "chain_b", "leaf_b")
    compress = through("<module>", "run_main", "compress_chain")
    assert any(chain_a(s) for s, _ in stacks), text[:3000]
    assert any(chain_b(s) for s, _ in stacks), text[:3000]
    # a Python function calling C: the zlib frames sit under the Python frame
    assert any(compress(s) and any(f.startswith("deflate") and "libz.so" in f for f in s)
               for s, _ in stacks), text[:3000]
    # the worker thread is kept apart, under its own name
    assert all(s[0].startswith("thread ") for s, _ in stacks)
    # the split between the chains is the workload's own
    total = sum(truth.values())
    chains = {"chain_a": chain_a, "compress_chain": compress, "chain_b": chain_b}
    among = lambda s: any(p(s) for p in chains.values())  # noqa: E731
    for chain, predicate in chains.items():
        sampled = share(stacks, predicate, among)
        assert abs(sampled - truth[chain] / total) < SHARE_TOLERANCE, \
            (chain, sampled, truth[chain] / total, truth)


def test_python_lines_are_the_current_line():
    python = interpreter("debian-3.11")
    proc, text = profile("-F", "499", "--", python, PROFILE_WORKLOAD, "1", fmt="json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(text)
    with open(PROFILE_WORKLOAD) as f:
        lines = f.read().splitlines()
    leaf_lines = {fr["line"] for fr in report["frames"]
                  if fr["kind"] == "python" and fr["function"] == "leaf_a"}
    assert leaf_lines
    # the lines sampled in leaf_a are lines of leaf_a: its body, or its def
    # line when a sample lands on its first instruction (3.11's RESUME is
    # placed on the def line; a CI run caught one there)
    first = next(i for i, t in enumerate(lines, 1) if t.startswith("def leaf_a"))
    assert all(first <= line <= first + 4 for line in leaf_lines), leaf_lines
    assert any("total += i * i" in lines[line - 1] or "for i in range" in lines[line - 1]
               for line in leaf_lines)


def wall_truth(stdout):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^wall (\w+)=(\d+)$", stdout, re.M)}


def weight_through(report, name):
    """Nanoseconds of the samples whose stack passes through function `name`."""
    frames = {f["id"]: f for f in report["frames"]}
    stacks = {s["id"]: [frames[i]["function"] for i in s["frames"]] for s in report["stacks"]}
    return sum(s["weight_ns"] for s in report["samples"] if name in stacks[s["stack"]])


def test_off_cpu_time_is_charged_to_the_stack_that_blocked():
    proc, text = profile("--off-cpu", "--", fixture("offcpu"), "2", fmt="json")
    assert proc.returncode == 0, proc.stderr
    truth = wall_truth(proc.stdout)
    report = json.loads(text)
    assert report["kind"] == "off-CPU"
    slept = weight_through(report, "sleep_path")
    # every period of blocked time is sampled, less at most one period (10 ms)
    # at the end; the spin path does not block
    assert abs(slept - truth["sleep_path"]) < 0.1 * truth["sleep_path"], (slept, truth)
    assert weight_through(report, "spin_path") < 0.05 * truth["sleep_path"]
    proc, text = profile("--off-cpu", "--", fixture("offcpu"), "1")
    assert all(s[-1] == "[sleeping S]" for s, _ in folded(text) if "sleep_path (offcpu)" in s)


def test_wall_clock_splits_running_and_waiting_as_they_happened():
    proc, text = profile("--wall", "-F", "199", "--", fixture("offcpu"), "2", fmt="json")
    assert proc.returncode == 0, proc.stderr
    truth = wall_truth(proc.stdout)
    report = json.loads(text)
    slept, spun = weight_through(report, "sleep_path"), weight_through(report, "spin_path")
    measured = truth["sleep_path"] / (truth["sleep_path"] + truth["spin_path"])
    assert abs(slept / (slept + spun) - measured) < SHARE_TOLERANCE, (slept, spun, truth)


def test_bottlenecks_of_a_profile_name_the_blocked_and_the_busy_place():
    """offcpu: sleep_path blocks in nanosleep, spin_path spins on
    clock_gettime (in the vDSO): the wait is charged to sleep_path with the
    time the fixture measured, the CPU to spin_path, not to the system code."""
    proc, text = profile("--wall", "-F", "199", "--", fixture("offcpu"), "2", fmt="json")
    assert proc.returncode == 0, proc.stderr
    truth = wall_truth(proc.stdout)
    found = {(b["rule"], b["operation"]): b for b in json.loads(text)["bottlenecks"]}
    blocked = found[("off_cpu", "sleep_path (offcpu)")]
    assert abs(blocked["time_ms"] * 1e6 - truth["sleep_path"]) < 0.15 * truth["sleep_path"]
    assert "on and off the CPU" in blocked["evidence"]
    assert ("cpu_hotspot", "spin_path (offcpu)") in found
    assert not any(op.startswith(("__vdso", "[vdso]", "clock_", "nanosleep"))
                   for _, op in found), found
    proc, text = profile("--wall", "-F", "199", "--", fixture("offcpu"), "1", fmt="bottlenecks")
    assert proc.returncode == 0, proc.stderr
    assert "sleep_path (offcpu)  [off_cpu]" in text and "evidence: blocked " in text


def test_the_html_report_of_a_profile(tmp_path):
    """The trace's page, from samples: the tree, its flame graph, the flat
    profile and the bottlenecks, no timeline; in Chromium, no script error."""
    page, shot = str(tmp_path / "profile.html"), str(tmp_path / "profile.png")
    r = uscope("profile", "-q", "--wall", "-F", "199", "--format", "html", "--report", page, "--",
               fixture("offcpu"), "1", timeout=180)
    assert r.returncode == 0, r.stderr
    check = subprocess.run(["node", os.path.join(WEB, "check_report.js"), page, "spin_path", shot],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["errors"] == [] and seen["requests"] == [] and seen["ready"]
    assert "samples: " in seen["facts"]
    assert any("sleep_path (offcpu)" in row for row in seen["treeRows"])
    assert seen["matches"] and all("spin_path (offcpu)" in m for m in seen["matches"])
    assert any(b.startswith("sleep_path (offcpu)") and "off_cpu" in b for b in seen["bottlenecks"])
    assert seen["flame"]["drawn"] > 2000 and seen["timeline"]["drawn"] == 0
    assert "no timeline" in seen["decimation"]


WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
PPROF_PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pprof_profile.proto")


@pytest.fixture(scope="module")
def recorded_profile(tmp_path_factory):
    """One recording of the native split, and the fixture's own times."""
    path = str(tmp_path_factory.mktemp("profile") / "split.usp")
    proc = uscope("profile", "-q", "-F", "499", "-o", path, "--format", "folded", "--",
                  fixture("profsplit"), "1", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return path, cpu_truth(proc.stdout)


def decoded_pprof(path):
    """(text of `protoc --decode`, of `protoc --decode_raw`) of a gzipped pprof file."""
    import gzip
    with open(path, "rb") as f:
        raw = gzip.decompress(f.read())
    named = subprocess.run(["protoc", f"--proto_path={os.path.dirname(PPROF_PROTO)}",
                            "--decode=perftools.profiles.Profile", PPROF_PROTO],
                           input=raw, capture_output=True, check=True).stdout.decode()
    bare = subprocess.run(["protoc", "--decode_raw"], input=raw, capture_output=True,
                          check=True).stdout.decode()
    return named, bare


def test_pprof_decodes_with_functions_lines_mappings_and_labels(recorded_profile, tmp_path):
    rec, truth = recorded_profile
    out = str(tmp_path / "p.pb.gz")
    r = uscope("report", rec, "--format", "pprof", "--report", out)
    assert r.returncode == 0, r.stderr
    named, bare = decoded_pprof(out)
    assert bare.startswith("1 {")  # any protobuf decoder reads it
    strings = re.findall(r'^string_table: "(.*)"$', named, re.M)
    assert strings[0] == ""
    types = re.findall(r"sample_type \{\s*type: (\d+)\s*unit: (\d+)", named)
    assert [(strings[int(t)], strings[int(u)]) for t, u in types] == \
        [("samples", "count"), ("cpu", "nanoseconds")]
    for name in ("compare_slowly", "qsort_r", "burn_in_library", "main", "pid", "tid",
                 "thread_name", "process_name", "profsplit", "libprofburn.so"):
        assert name in strings, name
    # the losses, by cause, ride along as a comment
    comments = [strings[int(i)] for i in re.findall(r"^comment: (\d+)", named, re.M)]
    assert len(comments) == 1 and comments[0].startswith("losses: "), comments
    # every sample's locations, every location's function and mapping exist
    functions = set(re.findall(r"^function \{\s*id: (\d+)", named, re.M))
    locations = set(re.findall(r"^location \{\s*id: (\d+)", named, re.M))
    mappings = set(re.findall(r"^mapping \{\s*id: (\d+)", named, re.M))
    assert set(re.findall(r"function_id: (\d+)", named)) <= functions
    assert set(re.findall(r"mapping_id: (\d+)", named)) <= mappings
    assert set(re.findall(r"location_id: (\d+)", named)) <= locations
    # the sample counts add up to the json report's
    counts = [int(v) for v in re.findall(r"^  value: (\d+)\n  value: \d+", named, re.M)]
    report = json.loads(uscope("report", rec, "--format", "json").stdout)
    assert sum(counts) == sum(s["count"] for s in report["samples"])


def test_speedscope_file_is_valid_by_speedscopes_schema(recorded_profile, tmp_path):
    rec, _ = recorded_profile
    out = str(tmp_path / "p.speedscope.json")
    r = uscope("report", rec, "--format", "speedscope", "--report", out)
    assert r.returncode == 0, r.stderr
    check = subprocess.run(["node", os.path.join(WEB, "validate_speedscope.js"), out],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr + check.stdout
    doc = json.load(open(out))
    names = [f["name"] for f in doc["shared"]["frames"]]
    assert "compare_slowly (profsplit)" in names
    profile = doc["profiles"][0]
    total = sum(profile["weights"])
    assert profile["endValue"] == total and profile["unit"] == "nanoseconds"


def test_flamegraph_opens_in_chromium_without_errors_and_zooms(recorded_profile, tmp_path):
    rec, _ = recorded_profile
    page, shot = str(tmp_path / "flame.html"), str(tmp_path / "flame.png")
    r = uscope("report", rec, "--format", "flamegraph", "--report", page)
    assert r.returncode == 0, r.stderr
    with open(page) as f:
        assert "<script src" not in f.read()  # self-contained: works offline
    check = subprocess.run(["node", os.path.join(WEB, "check_flamegraph.js"), page,
                            "compare_slowly", shot], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["errors"] == []
    assert "compare_slowly (profsplit)" in seen["names"]
    assert "burn_in_library (libprofburn.so)" in seen["names"]
    assert seen["before"] < seen["chartWidth"] * 0.9
    assert abs(seen["after"] - seen["chartWidth"]) < 2  # zoomed: it fills the width
    assert "samples" in seen["tooltip"] and "%" in seen["tooltip"]
    assert seen["matches"] >= 1 and seen["matchedText"].startswith("matched:")
    assert os.path.getsize(shot) > 10000


def test_top_prints_the_hottest_functions_each_second():
    target = spinning()
    try:
        r = uscope("top", "-q", "-p", str(target.pid), "--duration", "2.6", timeout=60)
        assert r.returncode == 0, r.stderr
        tables = [t for t in r.stdout.split("uscope profile:") if t.strip()]
        # one a second over 2.6 s: two, or three when the first second
        # started while the sampler was still loading (a slow ASan build)
        assert 2 <= len(tables) <= 3, r.stdout
        rows = [line for line in tables[-1].splitlines() if line.strip().endswith(")")]
        hottest = rows[0].split()[-2]  # the most self time first
        assert hottest in ("compare_slowly", "burn_in_library"), rows[:3]
        assert target.poll() is None
    finally:
        target.kill()


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_top_on_a_terminal_refreshes_in_place_and_quits_on_q():
    target = spinning()
    session = f"uscope-top-{os.getpid()}"
    try:
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "20",
                        f"{USCOPE} top -q -p {target.pid}; echo exited $?; sleep 30"],
                       check=True)
        time.sleep(3.5)
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                capture_output=True, text=True).stdout
        assert screen.count("uscope profile:") == 1  # redrawn, not scrolled
        assert "compare_slowly" in screen and "(q quits)" in screen
        assert len([l for l in screen.splitlines() if l.strip()]) <= 20
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        time.sleep(2)
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                capture_output=True, text=True).stdout
        assert "exited 0" in screen
        assert target.poll() is None  # the process it watched runs on
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        target.kill()


class IngestReceiver(http.server.BaseHTTPRequestHandler):
    """A Pyroscope-style /ingest endpoint that keeps what it is sent."""
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        form = email.message_from_bytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body,
            policy=email.policy.HTTP)
        parts = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True)
                 for p in form.iter_parts()}
        IngestReceiver.received.append((urllib.parse.urlparse(self.path), parts))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_push_sends_pprof_to_an_ingest_endpoint_each_interval(tmp_path):
    IngestReceiver.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), IngestReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/ingest"
        r = uscope("profile", "-q", "-F", "199", "--push", url, "--push-interval", "1",
                   "--format", "json", "--report", str(tmp_path / "r.json"), "--",
                   fixture("profsplit"), "2.5", timeout=60)
        assert r.returncode == 0, r.stderr
    finally:
        server.shutdown()
    pushes = IngestReceiver.received
    assert len(pushes) >= 2, pushes  # each interval, and the rest at the end
    total = 0
    for url, parts in pushes:
        query = urllib.parse.parse_qs(url.query)
        assert url.path == "/ingest" and query["format"] == ["pprof"]
        assert query["name"][0].startswith("uscope.profsplit{host=")
        assert int(query["until"][0]) >= int(query["from"][0])
        pprof = tmp_path / "push.pb.gz"
        pprof.write_bytes(parts["profile"])
        named, _ = decoded_pprof(str(pprof))
        assert "compare_slowly" in named or "burn_in_library" in named
        total += sum(int(v) for v in re.findall(r"^  value: (\d+)\n  value: \d+", named, re.M))
    # every sample was pushed exactly once
    report = json.load(open(tmp_path / "r.json"))
    assert total == sum(s["count"] for s in report["samples"])


def test_push_to_nowhere_warns_and_the_profile_goes_on():
    r = uscope("profile", "-F", "99", "--push", "http://127.0.0.1:9/", "--push-interval", "0.5",
               "--", fixture("profsplit"), "1.2", timeout=60)
    assert r.returncode == 0
    assert "--push: cannot connect" in r.stderr
    assert "compare_slowly" in r.stderr  # the report is still there
    r = uscope("profile", "--push", "https://example.com", "--", "true")
    assert r.returncode != 0 and "http://" in r.stderr


def test_kernel_stacks_sit_under_the_user_stack():
    proc, text = profile("--kernel", "-F", "499", "--", "dd", "if=/dev/zero", "of=/dev/null",
                         "bs=1M", "count=2000")
    assert proc.returncode == 0, proc.stderr
    stacks = folded(text)
    reads = [s for s, _ in stacks if "read_zero ([kernel])" in s]
    assert reads, text[:2000]
    for s in reads:  # user frames first (root side), then the system call, in the kernel
        first_kernel = next(i for i, f in enumerate(s) if f.endswith("([kernel])"))
        assert any(function_of(f) in ("read", "__libc_read") for f in s[:first_kernel]), s
        assert all(f.endswith("([kernel])") for f in s[first_kernel:]), s
    proc, text = profile("--kernel", "--off-cpu", "--", fixture("offcpu"), "1")
    sleeps = [s for s, _ in folded(text) if "sleep_path (offcpu)" in s]
    assert sleeps and all(s[-1] == "[sleeping S]" and "schedule ([kernel])" in s and
                          not any("bpf" in f for f in s) for s in sleeps), sleeps[:2]


MULTIPROCESSING = """
import os
import multiprocessing as mp
def burn_in_worker(n):
    total = 0
    for i in range(n):
        total += i * i
    return os.getpid()
if __name__ == "__main__":
    with mp.get_context("fork").Pool(2) as pool:
        pids = sorted(set(pool.map(burn_in_worker, [8000000] * 4, chunksize=1)))
    print("workers", " ".join(map(str, pids)))
"""


def test_multiprocessing_workers_are_followed_and_kept_apart(tmp_path):
    # the workers that ran burn_in_worker say who they are (a slow-starting
    # worker may get no task: the pool, not uscope, decides); each task burns
    # ~0.4 s, so a worker is sampled even when the profiler meets its
    # process late (a sanitised uscope is slow to)
    script = tmp_path / "mp_workload.py"
    script.write_text(MULTIPROCESSING)
    proc, text = profile("-F", "499", "--", interpreter("debian-3.11"), str(script))
    assert proc.returncode == 0, proc.stderr
    pids = proc.stdout.split("workers ")[1].split()
    workers = {s[0] for s, _ in folded(text) if "burn_in_worker (mp_workload.py)" in s}
    assert workers == {f"python3.11 [{pid}]" for pid in pids}  # each under its own process


def test_a_process_that_exits_mid_profile_still_gets_its_profile():
    target = spinning()
    try:
        threading.Timer(1.0, target.kill).start()
        start = time.monotonic()
        proc, text = profile("-F", "499", "-p", str(target.pid), "--duration", "30")
        assert time.monotonic() - start < 15  # it stopped when the process went
        assert proc.returncode == 0, proc.stderr
        assert any(in_order(s, "main", "sort_path") for s, _ in folded(text))
    finally:
        target.kill()


GIL_CONTENTION = """
import threading
def spin_a():
    total = 0
    for i in range(6000000):
        total += i
def spin_b():
    total = 0
    for i in range(6000000):
        total += i
threads = [threading.Thread(target=f) for f in (spin_a, spin_b)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.9", "pyenv-3.12"])
def test_waiting_for_the_gil_is_its_own_frame(name, tmp_path):
    script = tmp_path / "gil.py"
    script.write_text(GIL_CONTENTION)
    proc, text = profile("--off-cpu", "--", interpreter(name), str(script))
    assert proc.returncode == 0, proc.stderr
    stacks = folded(text)
    spinning_threads = [(s, c) for s, c in stacks
                        if "spin_a (gil.py)" in s or "spin_b (gil.py)" in s]
    gil = sum(c for s, c in spinning_threads if s[-1] == "[waiting for the GIL]")
    # two CPU-bound threads on one GIL: each waits for it about half its time
    assert gil >= 0.8 * sum(c for _, c in spinning_threads), spinning_threads
    # the main thread's join waits on a lock (then, briefly, for the GIL back)
    joins = [(s, c) for s, c in stacks if any("join" in f for f in s)]
    on_lock = sum(c for s, c in joins if s[-1] == "[sleeping S]")
    assert on_lock >= 0.8 * sum(c for _, c in joins), joins

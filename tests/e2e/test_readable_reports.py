# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Reports a user can read, tried on programs nobody here wrote (json.tool,
difflib, asyncio): names with their places, the program apart from the
interpreter's start-up, generators that return, callbacks in scope, filters
that say when they match nothing, reports on stdout, fixed columns, the
program's own span, and the smaller things found on the way.
"""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import REPO, USCOPE, fixture, trace, uscope, walk
from python_helpers import DEBIAN_PYTHON, interpreter

SHAPES = os.path.join(REPO, "examples", "shapes.py")
ROW = re.compile(r"^(?P<numbers>\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+)(?P<tree>[│├└─ ]*)(?P<name>\S.*)$")


def tree_rows(text):
    """(column where the numbers end, name) of every call row of a tree report."""
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m.end("numbers"), m.group("name")))
    return rows


@pytest.fixture(scope="module")
def json_tool(tmp_path_factory):
    """`python3 -m json.tool` on a 300 KB file, as a user would run it."""
    d = tmp_path_factory.mktemp("jsontool")
    data = d / "data.json"
    data.write_text(json.dumps([{"id": i, "name": f"n{i}", "tags": ["a", "b"]}
                                for i in range(4000)]))
    rec = d / "jsontool.usc"
    r = uscope("run", "-q", "-o", str(rec), "--format", "flat", "--", DEBIAN_PYTHON, "-m",
               "json.tool", str(data), timeout=300)
    untraced = subprocess.run([DEBIAN_PYTHON, "-m", "json.tool", str(data)],
                              capture_output=True, text=True)
    return r, untraced, rec


# 8. Names with places.

def test_names_carry_their_file_and_line(json_tool):
    r, untraced, _ = json_tool
    assert r.returncode == 0, r.stderr
    assert r.stdout == untraced.stdout  # the report stays off the program's stdout
    names = [line.split(None, 7)[7] for line in r.stderr.splitlines()
             if re.match(r"^\s+\d+\s+[\d.]+\s", line)]
    assert "<module json.tool>" in names
    assert "<module>" not in names  # every module's code is named by its module
    assert any(re.fullmatch(r"JSONDecoder\.raw_decode \(decoder\.py:\d+\)", n) for n in names)
    unplaced = [n for n in names if not n.startswith("<module ") and "(" not in n]
    assert unplaced == []


# 9. The program first, start-up and shutdown in one line each.

def test_minus_m_package_runs_its_main_as_the_program():
    """`python -m venv` imports the package venv, then runs venv.__main__:
    that is the program (the package's __init__ was taken for it once, so
    the whole run was shown as start-up)."""
    r = uscope("run", "--", DEBIAN_PYTHON, "-m", "venv", "--help")
    assert r.returncode == 0, r.stderr
    rows = tree_rows(r.stderr)
    assert rows[0][1].startswith("<module venv.__main__>"), r.stderr[:2000]
    assert any(n.startswith("main (venv/__init__.py:") or n.startswith("main (__init__.py:")
               for _, n in rows), r.stderr[:3000]


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.11"])
def test_the_program_is_shown_apart_from_start_up(name):
    python = interpreter(name)
    r = uscope("run", "--", python, SHAPES)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    startup = [l for l in lines if l.startswith("interpreter start-up:")]
    assert len(startup) == 1 and re.search(r"\d+ calls, [\d.]+ ms", startup[0])
    rows = tree_rows(r.stderr)
    assert rows[0][1] == "<module shapes>"  # the script's own code, first
    assert len(rows) < 60  # the script's own `import math` may run the import machinery
    quiet = tree_rows(uscope("run", "--no-imports", "--", python, SHAPES).stderr)
    assert quiet[0][1] == "<module shapes>" and len(quiet) < 20
    assert any(n.startswith("main (shapes.py:") for _, n in rows)
    everything = uscope("run", "--all", "--", python, SHAPES)
    assert len(tree_rows(everything.stderr)) > 10 * len(rows)
    assert "importlib" in everything.stderr or "<frozen" in everything.stderr


def test_children_are_longest_first_unless_sorted_otherwise(tmp_path):
    rec = tmp_path / "shapes.usc"
    assert uscope("run", "-q", "-o", str(rec), "--", DEBIAN_PYTHON, SHAPES).returncode == 0
    report = json.loads(uscope("report", str(rec), "--format", "json").stdout)
    main = next(n for _, n in walk(report["threads"][0]["calls"]) if n["function"] == "main")
    by_total = [c["function"] for c in sorted(main["calls"], key=lambda c: -c["total_ms"])]
    text = uscope("report", str(rec)).stdout
    shown = [n.split(" (")[0] for _, n in tree_rows(text)]
    assert [n for n in shown if n in by_total][:len(by_total)] == by_total
    first = uscope("report", str(rec), "--sort", "first").stdout
    shown = [n.split(" (")[0] for _, n in tree_rows(first)]
    assert [n for n in shown if n in by_total][:2] == ["make_shapes", "total_area"]


# 10. Generators that end are returns.

def test_a_generator_that_ends_returned():
    r = subprocess.run([USCOPE, "call", "-q", "--python", DEBIAN_PYTHON, "difflib.unified_diff",
                        "['a','b']", "['a','c']"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    execution = json.loads(r.stdout)["execution"]
    assert execution["raised_exception"] is False
    assert re.fullmatch(r"generator \(\d+ items\)", str(execution["return_value"]))


def test_a_generator_closed_early_raised_nothing(tmp_path):
    script = tmp_path / "gen.py"
    script.write_text("def numbers():\n    for i in range(100):\n        yield i\n"
                      "def first_three():\n    g = numbers()\n"
                      "    out = [next(g) for _ in range(3)]\n    g.close()\n    return out\n"
                      "print(first_three())\n")
    r = trace("run", "--", DEBIAN_PYTHON, str(script))
    assert r.returncode == 0, r.stderr
    gens = [n for _, n in walk(r.report["threads"][0]["calls"]) if n["function"] == "numbers"]
    assert sum(g["count"] for g in gens) == 1  # resumed where next() ran: more nodes
    assert all("exceptions" not in g and "raised" not in json.dumps(g) for g in gens)
    assert not [c for c in r.report["exceptions"] if c["type"] == "GeneratorExit"]


# 11. --scope keeps the user's callbacks.

def test_scope_shows_coroutines_run_by_asyncio(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    script = app / "fetcher.py"
    script.write_text("import asyncio\n"
                      "async def fetch(i):\n    await asyncio.sleep(0.001)\n    return i\n"
                      "async def main():\n"
                      "    return sum(await asyncio.gather(*(fetch(i) for i in range(7))))\n"
                      "print(asyncio.run(main()))\n")
    r = trace("run", "--scope", str(app), "--", DEBIAN_PYTHON, str(script))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "21\n"
    paths = {p: n for t in r.report["threads"] for p, n in walk(t["calls"])}
    fetches = [n for p, n in paths.items() if p[-1] == "fetch"]
    mains = [p for p in paths if p[-1] == "main"]
    assert sum(n["count"] for n in fetches) == 7
    assert mains and all(len(p) > 2 for p in mains)  # under <module fetcher> → asyncio's run


# 12. Filters that match nothing say so, with the closest names.

def test_filters_name_files_relative_paths_and_modules(tmp_path):
    shutil.copy(SHAPES, tmp_path / "shapes.py")
    focus = trace("run", "--focus", "shapes.py:27", "--", DEBIAN_PYTHON, "shapes.py",
                  cwd=tmp_path)
    assert focus.returncode == 0, focus.stderr
    shown = {n["function"] for t in focus.report["threads"] for _, n in walk(t["calls"])}
    assert "make_shapes" in shown and "total_area" not in shown
    module = trace("run", "--include", "json.decoder", "--", DEBIAN_PYTHON, "-c",
                   "import json; json.loads('[1]')")
    shown = {n["function"] for t in module.report["threads"] for _, n in walk(t["calls"])}
    assert shown and all(f.startswith("JSONDecode") or f == "<module>" for f in shown), shown


def test_a_filter_that_matches_nothing_says_so_once(tmp_path):
    rec = tmp_path / "shapes.usc"
    r = uscope("run", "-o", str(rec), "--include", "Circle.are", "--", DEBIAN_PYTHON, SHAPES)
    assert r.returncode == 0  # the program ran: a warning, the recording is kept
    warnings = [l for l in r.stderr.splitlines() if "names no function that ran" in l]
    assert len(warnings) == 1 and "closest: Circle.area (shapes.py:15)" in warnings[0]
    again = uscope("report", str(rec), "--focus", "nosuchfunc")
    assert again.returncode == 1 and "names no function that ran; closest" in again.stderr


def test_min_duration_needs_its_unit():
    r = uscope("run", "--min-duration", "5", "--", "true")
    assert r.returncode == 2
    assert "with its unit (ns, us, ms or s" in r.stderr


# 13. Reports on stdout for `report`; the target's stdout stays clean.

def test_report_writes_to_stdout_and_messages_to_stderr(json_tool):
    _, _, rec = json_tool
    r = uscope("report", str(rec), "--format", "json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["exit_status"] == 0
    assert "{" not in r.stderr
    timeline = uscope("report", str(rec), "--format", "timeline", "--include", "JSONDecoder*")
    lines = timeline.stdout.splitlines()
    assert lines[0].split() == ["TIME(ms)", "DURATION", "TID", "FUNCTION"]
    assert any(re.search(r"\] {2,}JSONDecoder\.decode \([\w/]*decoder\.py:\d+\)\(\) \{", l)
               for l in lines)
    events = json.loads(uscope("report", str(rec), "--format", "timeline-json").stdout)
    assert events


# 14. Fixed columns, one unit a column, cut to the terminal, colour on demand.

def test_columns_are_fixed_and_units_one_per_column(json_tool):
    _, _, rec = json_tool
    text = uscope("report", str(rec)).stdout
    rows = tree_rows(text)
    header = next(l for l in text.splitlines() if "Function" in l)
    assert "Total(ms)" in header and "Self(ms)" in header
    assert len(rows) > 20 and {col for col, _ in rows} == {header.index("%Total") + 6}
    # runpy runs the module's code: "(from line N)" of runpy follows its name
    root = next(l for l in text.splitlines() if "<module json.tool>" in l)
    assert root.index("<module") == header.index("Function")
    flat = uscope("report", str(rec), "--format", "flat").stdout
    values = [l.split()[1:6] for l in flat.splitlines() if re.match(r"^\s+\d+\s+[\d.]+\s", l)]
    assert values and all(re.fullmatch(r"\d+\.\d{3}", v) for row in values for v in row)
    coloured = uscope("report", str(rec), "--color", "always").stdout
    assert "\x1b[" in coloured and "\x1b[" not in text


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_a_terminal_gets_cut_lines_and_a_pager(json_tool, tmp_path):
    _, _, rec = json_tool
    session = f"uscope-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                    f"{USCOPE} report {rec} --all; sleep 30"], check=True)
    try:
        time.sleep(2)
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                capture_output=True, text=True).stdout
        lines = [l for l in screen.splitlines() if l.strip()]
        assert len(lines) >= 20  # the pager holds the first screen
        assert all(len(l) <= 80 for l in lines)
        assert any(l.rstrip().endswith("…") for l in lines)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


# 15. The program's own span, set-up and detach apart.

def test_traced_time_is_the_programs_own(tmp_path):
    r = uscope("run", "-v", "--", fixture("recursion"), "3")
    assert r.returncode == 0, r.stderr
    traced = re.search(r"\): ([\d.]+) (ms|us) traced", r.stderr)
    ms = float(traced.group(1)) / (1000 if traced.group(2) == "us" else 1)
    setup = re.search(r"set-up ([\d.]+) ms \(loading and attaching the probes\), detach", r.stderr)
    assert setup, r.stderr
    assert ms < float(setup.group(1))  # a tiny program: far less than loading BPF


# 16. Chrome traces: thinned on request.

def test_chrome_export_thins_with_min_duration(tmp_path):
    rec = tmp_path / "deep.usc"
    assert uscope("run", "-q", "-o", str(rec), "--", fixture("recursion"), "18").returncode == 0
    full = json.loads(uscope("report", str(rec), "--format", "chrome").stdout)
    thin = json.loads(uscope("report", str(rec), "--format", "chrome", "--min-duration",
                             "50us").stdout)
    spans = lambda t: [e for e in t["traceEvents"] if e.get("ph") == "X"]
    assert 0 < len(spans(thin)) < len(spans(full))
    assert all(e["dur"] >= 50 for e in spans(thin))


# The smaller things.

def test_object_globs_and_prefixes_name_libpython():
    python = interpreter("pyenv-3.11")  # libpython3.11.so.1.0, loaded at start
    for pattern in ("libpython3*:PyDict_New", "libpython:PyDict_New"):
        r = trace("run", "-f", pattern, "--no-deinline", "--", python, "-c", "d = {}")
        assert r.returncode == 0, r.stderr
        assert any(n["function"] == "PyDict_New" for t in r.report["threads"]
                   for _, n in walk(t["calls"])), pattern


def test_call_takes_options_after_the_function():
    r = subprocess.run([USCOPE, "call", "-q", "--python", DEBIAN_PYTHON, "json.dumps",
                        '{"b": 1, "a": 2}', "--kwargs", "sort_keys=True"],
                       capture_output=True, text=True, timeout=120)
    execution = json.loads(r.stdout)["execution"]
    assert execution["return_value"] == "str '{\"a\": 2, \"b\": 1}'"
    bad = subprocess.run([USCOPE, "call", "-q", "--python", DEBIAN_PYTHON, "json.dumps", "1",
                          "--kwargs", "nope=True"], capture_output=True, text=True, timeout=120)
    execution = json.loads(bad.stdout)["execution"]
    assert execution["raised_exception"] is True
    assert execution["exception"]["type"] == "TypeError"


def test_privileges_are_checked_before_anything_is_said():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        USCOPE, "run", "--", fixture("recursion")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.splitlines()[0].startswith("uscope: error:") and "root" in r.stderr
    assert "tracing" not in r.stderr


def test_max_depth_takes_any_count():
    r = trace("run", "--max-depth", "100000000", "--", fixture("recursion"), "3")
    assert r.returncode == 0, r.stderr


def test_exception_messages_at_length_and_oserror_in_full(tmp_path):
    script = tmp_path / "raise.py"
    script.write_text("def long_message():\n    raise ValueError('x' * 200 + 'END')\n"
                      "def missing():\n    open('/no/such/file')\n"
                      "for f in (long_message, missing):\n    try:\n        f()\n"
                      "    except Exception:\n        pass\n")
    r = trace("run", "--", DEBIAN_PYTHON, str(script))
    assert r.returncode == 0, r.stderr
    messages = {c["type"]: c["message"] for c in r.report["exceptions"]}
    assert messages["ValueError"] == "x" * 200 + "END"
    assert messages["FileNotFoundError"] == \
        "[Errno 2] No such file or directory: '/no/such/file'"


def test_deep_recursion_gives_bounded_json():
    r = trace("run", "--", fixture("deep"), "3000", "1")
    assert r.returncode == 0, r.stderr
    depth, node, cut = 0, r.report["threads"][0]["calls"][0], None
    while node["calls"] and not cut:
        node = node["calls"][0]
        depth += 1
        cut = node.get("truncated")
    assert depth <= 256 and cut and cut["levels"] > 2000


def test_the_format_document_names_the_version_written(tmp_path):
    rec = tmp_path / "r.usc"
    assert uscope("run", "-q", "-o", str(rec), "--", fixture("recursion"), "2").returncode == 0
    with open(rec, "rb") as f:
        header = f.read(16)
    with open(os.path.join(REPO, "docs", "format.md")) as f:
        doc = f.read()
    version = int.from_bytes(header[8:12], "little")
    assert f"format version ({version})" in doc and f"(version {version})" in doc, version

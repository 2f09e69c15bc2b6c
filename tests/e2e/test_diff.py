# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""uscope diff: two runs of one program, a small and a large input: the
function known to grow fastest comes first, the counts are the program's
own, and what only the large run calls is new in B."""
import json
import os
import subprocess
import tempfile
import pytest
from conftest import fixture, truth, uscope
from python_helpers import PY_FIXTURES, interpreter

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="end-to-end tests need root (real BPF)")

GROWS = os.path.join(PY_FIXTURES, "grows.py")
WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")


def record(python, size, path):
    run = uscope("run", "-q", "-o", path, "--report", os.devnull, "--", python, GROWS, str(size))
    assert run.returncode == 0, run.stderr
    return truth(run.stdout)


def by_name(rows, key):
    return {r[key].split(" ")[0]: r for r in rows}


@pytest.mark.parametrize("name", ["debian-3.11", "pyenv-3.12"])
def test_the_function_that_grows_most_comes_first(name):
    python = interpreter(name)
    with tempfile.TemporaryDirectory() as d:
        small, large = os.path.join(d, "small.usc"), os.path.join(d, "large.usc")
        small_counts, large_counts = record(python, 300, small), record(python, 1500, large)
        out = uscope("diff", small, large, "--format", "json")
        assert out.returncode == 0, out.stderr
        diff = json.loads(out.stdout)
        assert diff["program_only"] is True
        assert diff["functions"][0]["function"].startswith("transform (grows.py:")
        functions = by_name(diff["functions"], "function")
        for fn in ("load", "transform", "summarise"):
            assert functions[fn]["a"]["calls"] == small_counts[fn]
            assert functions[fn]["b"]["calls"] == large_counts[fn]
        assert functions["extra"]["a"] is None  # only the large run calls it
        assert functions["extra"]["b"]["calls"] == large_counts["extra"] == 1
        assert functions["transform"]["ratio"] > 5  # quadratic: 25x the work
        # the growth rule: transform's own time per call, not its callers'
        assert [(b["rule"], b["operation"].split(" ")[0]) for b in diff["bottlenecks"]] == \
            [("growth", "transform")]
        new_paths = [p["path"] for p in diff["paths"] if p["a"] is None]
        assert any(p.endswith("→ extra (grows.py:29)") for p in new_paths), new_paths

        text = uscope("diff", small, large)
        assert text.returncode == 0, text.stderr
        changes = text.stdout.split("The largest changes:\n")[1]
        assert changes.splitlines()[0].startswith("  transform (grows.py:15): ")
        assert "extra (grows.py:29): new in B" in changes
        assert "Bottlenecks (rule growth):\n  transform (grows.py:15)\n" in text.stdout
        check_html_page(small, large, diff, d)


def check_html_page(small, large, diff, tmp):
    """The same comparison as a page: in Chromium, no script error, the
    sentences and rows of the json, every path in the flame graph, and the
    grown paths drawn red."""
    page, shot = os.path.join(tmp, "diff.html"), os.path.join(tmp, "diff.png")
    r = uscope("diff", small, large, "--format", "html", "--report", page)
    assert r.returncode == 0, r.stderr
    with open(page) as f:
        assert "<script src" not in f.read()
    check = subprocess.run(["node", os.path.join(WEB, "check_diff.js"), page, shot],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    seen = json.loads(check.stdout)
    assert seen["errors"] == [] and seen["requests"] == [] and seen["ready"], seen["errors"]
    assert seen["sentences"][0].startswith("transform (grows.py:15): ")
    assert [row[0] for row in seen["rows"]] == [f["function"] for f in diff["functions"]]
    assert seen["paths"] == len(diff["paths"])
    assert seen["colours"]["red"] > 1000  # transform and its callers grew
    r = uscope("diff", large, small, "--format", "html", "--report", page)
    assert r.returncode == 0, r.stderr
    check = subprocess.run(["node", os.path.join(WEB, "check_diff.js"), page, shot],
                           capture_output=True, text=True, timeout=120)
    swapped = json.loads(check.stdout)
    assert swapped["errors"] == [] and swapped["colours"]["blue"] > 1000  # the other way: shrank


def test_diff_refuses_bad_input():
    with tempfile.TemporaryDirectory() as d:
        one = uscope("diff", os.path.join(d, "a.usc"))
        assert one.returncode == 2 and "needs two recordings" in one.stderr
        missing = uscope("diff", os.path.join(d, "a.usc"), os.path.join(d, "b.usc"))
        assert missing.returncode == 1
        assert len(missing.stderr.strip().splitlines()) == 1, missing.stderr
        garbage = os.path.join(d, "g.usc")
        with open(garbage, "wb") as f:
            f.write(b"not a recording" * 10)
        bad = uscope("diff", garbage, garbage)
        assert bad.returncode == 1 and "error" in bad.stderr
        fmt = uscope("diff", garbage, garbage, "--format", "chrome")
        assert fmt.returncode == 2 and "--format json" in fmt.stderr


def test_a_native_program_against_itself_changes_nothing_in_counts():
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.usc"), os.path.join(d, "b.usc")
        for path in (a, b):
            run = uscope("run", "-q", "-o", path, "--report", os.devnull, "--",
                         fixture("patterns"))
            assert run.returncode == 0, run.stderr
        out = uscope("diff", a, b, "--format", "json")
        assert out.returncode == 0, out.stderr
        functions = by_name(json.loads(out.stdout)["functions"], "function")
        counts = truth(run.stdout)
        for fn, count in counts.items():
            assert functions[fn]["a"]["calls"] == functions[fn]["b"]["calls"] == count


def test_a_recursion_20000_deep_compares_in_bounded_time():
    # call paths deeper than 64 calls are compared as functions only: a path
    # label per level would be quadratic in the depth
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "deep.usc")
        run = uscope("run", "-q", "-o", rec, "--report", os.devnull, "--", fixture("deep"), "20000")
        assert run.returncode == 0, run.stderr
        out = uscope("diff", rec, rec, "--format", "json", timeout=60)
        assert out.returncode == 0, out.stderr
        diff = json.loads(out.stdout)
        functions = by_name(diff["functions"], "function")
        for fn, count in truth(run.stdout).items():
            assert functions[fn]["a"]["calls"] == functions[fn]["b"]["calls"] == count
        assert max(p["path"].count("→") for p in diff["paths"]) < 64


def samples_through(profile_json, name):
    """Samples whose stack passes through a frame named `name`, from the
    profile's own json report."""
    frames = {f["id"]: f["function"] for f in profile_json["frames"]}
    stacks = {s["id"]: {frames[i] for i in s["frames"]} for s in profile_json["stacks"]}
    return sum(s["count"] for s in profile_json["samples"] if name in stacks[s["stack"]])


def test_two_profiles_compare_by_function_and_path():
    """Two profiles of grows.py, a small and a large input: transform's
    samples on each side equal those the profile's own json counts, it is
    the program's function that grew most, and a trace against a profile is
    refused."""
    python = interpreter("debian-3.11")
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.usc"), os.path.join(d, "b.usc")
        for path, size in ((a, 300), (b, 3000)):
            r = uscope("profile", "-q", "-o", path, "--report", os.devnull, "--", python, GROWS,
                       str(size), timeout=180)
            assert r.returncode == 0, r.stderr
        out = uscope("diff", a, b, "--format", "json")
        assert out.returncode == 0, out.stderr
        diff = json.loads(out.stdout)
        assert diff["profiles"] is True and diff["bottlenecks"] == []
        rows = {r["function"]: r for r in diff["functions"]}
        for side, path in (("a", a), ("b", b)):
            own = json.loads(uscope("report", path, "--format", "json").stdout)
            row = rows.get("transform (grows.py)", {}).get(side)
            assert (row["calls"] if row else 0) == samples_through(own, "transform")
        mine = [r for r in diff["functions"] if "(grows.py)" in r["function"]]
        assert max(mine, key=lambda r: r["change_ms"])["function"] == "transform (grows.py)"
        assert any(p["path"].endswith("main (grows.py) → transform (grows.py)")
                   for p in diff["paths"]), [p["path"] for p in diff["paths"]][:20]
        text = uscope("diff", a, b)
        assert "Samples A Samples B" in text.stdout and "samples" in text.stdout.splitlines()[0]
        trace = os.path.join(d, "t.usc")
        assert uscope("run", "-q", "-o", trace, "--report", os.devnull, "--", python, GROWS,
                      "10").returncode == 0
        mixed = uscope("diff", a, trace)
        assert mixed.returncode == 1
        assert "uscope diff compares two traces or two profiles" in mixed.stderr

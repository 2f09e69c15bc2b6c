# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Settings files: uscope.toml in the working directory, else
pyproject.toml's [tool.uscope], give defaults for any long option; the
command line wins; -v says which file was read; an unknown key, a bad value
or bad TOML is an error naming the file and line. `uscope report` of a
recording needs no root, so these run as any user."""
import json
import os
import subprocess

import pytest

from conftest import REPO, USCOPE

RECORDING = os.path.join(REPO, "tests", "fuzz", "corpus", "python.seed")


def report(cwd, *args):
    return subprocess.run([USCOPE, "report", "--no-pager", RECORDING, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def is_json(text):
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def test_uscope_toml_gives_defaults_and_the_command_line_wins(tmp_path):
    (tmp_path / "uscope.toml").write_text('format = "json"  # for scripts\nall = true\n')
    r = report(tmp_path, "-v")
    assert r.returncode == 0, r.stderr
    assert is_json(r.stdout)
    assert "uscope: settings from uscope.toml" in r.stderr
    r = report(tmp_path, "--format", "flat")
    assert r.returncode == 0 and not is_json(r.stdout) and "Avg(" in r.stdout
    assert "settings from" not in r.stderr  # only with -v


def test_a_switch_and_a_list_from_the_settings(tmp_path):
    plain = report(tmp_path, "--format", "tree")
    assert "(--all shows them)" in plain.stdout and "f (<string>:1)" in plain.stdout
    (tmp_path / "uscope.toml").write_text('all = true\nexclude = [\n  "f",  # the recursion\n]\n')
    r = report(tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(--all shows them)" not in r.stdout  # --all: start-up shown in full
    assert "f (<string>:1)" not in r.stdout  # --exclude f
    both = report(tmp_path, "--exclude", "g")  # lists add up
    assert "f (<string>:1)" not in both.stdout and "g (<string>:" not in both.stdout


def test_pyproject_tool_uscope_when_there_is_no_uscope_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nreadme = {file = "README.md"}\n'
        'description = """\n[tool.uscope]\nformat = "nope"\n"""\n\n'
        '[tool.uscope]\nformat = "json"\n\n[tool.black]\nline-length = 100\n')
    r = report(tmp_path, "-v")
    assert r.returncode == 0, r.stderr
    assert is_json(r.stdout) and "settings from pyproject.toml" in r.stderr
    (tmp_path / "uscope.toml").write_text('format = "flat"\n')
    r = report(tmp_path, "-v")
    assert "Avg(" in r.stdout and "settings from uscope.toml" in r.stderr  # it comes first


def test_another_commands_setting_is_left_for_it(tmp_path):
    (tmp_path / "uscope.toml").write_text('duration = 5\nbuffer-size = 64\nformat = "flat"\n')
    r = report(tmp_path)
    assert r.returncode == 0, r.stderr  # --duration is run's and attach's, not report's
    assert "Avg(" in r.stdout


@pytest.mark.parametrize("text,message", [
    ('format = "flat"\nformt = "json"\n',
     "uscope.toml:2: unknown setting 'formt' (did you mean format?)"),
    ('format = "nope"\n', "uscope.toml:1: unknown format 'nope' (tree, flat"),
    ('all = "yes"\n', "uscope.toml:1: all is a switch: true or false"),
    ('min-duration = true\n', "uscope.toml:1: min-duration takes a value, not true or false"),
    ('format = "flat\n', "uscope.toml: line 1: this string has no closing \""),
    ('exclude = ["a",\n', "uscope.toml: line 1: this array is never closed"),
    ('sort = "calls"\nsort = "self"\n', "uscope.toml: line 2: sort is set twice (first on line 1)"),
])
def test_a_bad_setting_names_its_file_and_line(tmp_path, text, message):
    (tmp_path / "uscope.toml").write_text(text)
    r = report(tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("uscope: error: ") and message in r.stderr, r.stderr


def test_line_settings_of_the_issue_drive_a_run(tmp_path):
    """lines = true, locals = "changed", format = "steps", report = FILE: the
    step tracer's settings, from pyproject.toml, in a real run."""
    from python_helpers import PY_FIXTURES, pyenv_python
    if os.geteuid() != 0:
        pytest.skip("a run loads BPF programs: run as root")
    python = pyenv_python(10) or "/usr/bin/python3.11"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uscope]\nlines = true\nlocals = "changed"\nformat = "steps"\n'
        'report = "trace.txt"\n')
    r = subprocess.run([USCOPE, "run", "-q", "--", python,
                        os.path.join(PY_FIXTURES, "locals_workload.py")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "trace.txt").read_text()
    assert "(sets_values)" in text and "[CHANGED] y: int :: 5 -> 10" in text
    # the command line wins
    r = subprocess.run([USCOPE, "run", "-q", "--format", "lines", "--", python,
                        os.path.join(PY_FIXTURES, "locals_workload.py")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "COUNT" in (tmp_path / "trace.txt").read_text()

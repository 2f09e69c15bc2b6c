# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The CPython interpreters the Python tests run on, and their ground truth."""
import glob
import json
import os
import re
import subprocess
import tempfile

import pytest

from conftest import REPO

PY_FIXTURES = os.path.join(REPO, "tests", "fixtures", "python")
WORKLOAD = os.path.join(PY_FIXTURES, "workload.py")
DEBIAN_PYTHON = "/usr/bin/python3.11"


def pyenv_root():
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def pyenv_python(minor):
    """The newest pyenv CPython 3.minor, or None."""
    found = []
    for d in glob.glob(os.path.join(pyenv_root(), "versions", f"3.{minor}.*")):
        m = re.fullmatch(rf"3\.{minor}\.(\d+)", os.path.basename(d))
        exe = os.path.join(d, "bin", f"python3.{minor}")
        if m and os.access(exe, os.X_OK):
            found.append((int(m.group(1)), exe))
    return max(found)[1] if found else None


INTERPRETERS = ["debian-3.11"] + [f"pyenv-3.{m}" for m in range(8, 14)]


def interpreter(name):
    """The path of an interpreter named in INTERPRETERS; skips when absent."""
    if name == "debian-3.11":
        if not os.access(DEBIAN_PYTHON, os.X_OK):
            pytest.skip(f"{DEBIAN_PYTHON} is not installed")
        return DEBIAN_PYTHON
    minor = int(name.rsplit(".", 1)[1])
    exe = pyenv_python(minor)
    if not exe:
        pytest.skip(f"no CPython 3.{minor} under pyenv root {pyenv_root()}")
    return exe


def minor_of(python):
    out = subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


def setprofile_truth(python, script, *args, env=None):
    """{first line: {"name", "calls", "resumes"}} from sys.setprofile, in a
    separate run of the same interpreter on the same script."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    try:
        subprocess.run([python, os.path.join(PY_FIXTURES, "setprofile_truth.py"), out, script,
                        *args], capture_output=True, text=True, timeout=120, env=env)
        with open(out) as f:
            return {int(k): v for k, v in json.load(f).items()}
    finally:
        os.unlink(out)


def python_functions(report, file):
    """uscope's per-function stats for the functions of one file, by first line."""
    return {f["line"]: f for f in report["functions"]
            if f["kind"] == "python" and f["file"] == file}


def line_of(text, path=WORKLOAD):
    """The line number where `text` first appears in the file."""
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError(f"{text!r} not in {path}")

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""uscope's CPython offset tables against DWARF, on every pyenv interpreter
with debug info (gdb reads the struct layouts the build really has)."""
import re
import shutil
import subprocess

import pytest

from conftest import uscope
from python_helpers import pyenv_python

FRAME_311 = "_PyInterpreterFrame"

# uscope's name -> gdb expression per minor version (None: no such field)
def expressions(minor):
    old = minor <= 10
    frame = "PyFrameObject" if old else FRAME_311
    exprs = {
        "frame_code": f"&(({frame}*)0)->" + ("f_executable" if minor >= 13 else "f_code"),
        "frame_lasti": "&((PyFrameObject*)0)->f_lasti" if old else None,
        "frame_instr_ptr": None if old else
        f"&(({frame}*)0)->" + ("instr_ptr" if minor >= 13 else "prev_instr"),
        "frame_owner": None if old else f"&(({frame}*)0)->owner",
        "frame_localsplus": f"&(({frame}*)0)->" + ("f_localsplus" if old else "localsplus"),
        "code_flags": "&((PyCodeObject*)0)->co_flags",
        "code_argcount": "&((PyCodeObject*)0)->co_argcount",
        "code_firstlineno": "&((PyCodeObject*)0)->co_firstlineno",
        "code_name": "&((PyCodeObject*)0)->co_name",
        "code_qualname": None if old else "&((PyCodeObject*)0)->co_qualname",
        "code_filename": "&((PyCodeObject*)0)->co_filename",
        "code_adaptive": None if old else "&((PyCodeObject*)0)->co_code_adaptive",
        "code_firsttraceable": None if old else "&((PyCodeObject*)0)->_co_firsttraceable",
        "unicode_ascii_data": "sizeof(PyASCIIObject)",
        "unicode_utf8": "&((PyCompactUnicodeObject*)0)->utf8",
        "exception_args": "&((PyBaseExceptionObject*)0)->args",
        "exception_traceback": "&((PyBaseExceptionObject*)0)->traceback",
        "traceback_lasti": "&((PyTracebackObject*)0)->tb_lasti",
        "oserror_errno": "&((PyOSErrorObject*)0)->myerrno",
        "type_base": "&((PyTypeObject*)0)->tp_base",
        "traceback_lineno": "&((PyTracebackObject*)0)->tb_lineno" if old else None,
        "runtime_tstate_current":
        "&((_PyRuntimeState*)0)->gilstate.tstate_current" if minor <= 11 else None,
        "runtime_main_interp": "&((_PyRuntimeState*)0)->interpreters.main",
        "interp_gil_last_holder":
        "&((PyInterpreterState*)0)->_gil.last_holder" if minor >= 12 else None,
        "tstate_exc_type": "&((PyThreadState*)0)->curexc_type" if minor <= 11 else None,
        "tstate_exc_value": "&((PyThreadState*)0)->" +
        ("curexc_value" if minor <= 11 else "current_exception"),
        "tstate_exc_traceback":
        "&((PyThreadState*)0)->curexc_traceback" if minor <= 11 else None,
        "eval_frame": "&((PyInterpreterState*)0)->eval_frame",
        # --lines: the C trace hook (3.8-3.11)
        "tstate_c_tracefunc": "&((PyThreadState*)0)->c_tracefunc" if minor <= 11 else None,
        "tstate_c_profilefunc": "&((PyThreadState*)0)->c_profilefunc" if minor <= 11 else None,
        "pyframe_frame": "&((PyFrameObject*)0)->f_frame" if minor == 11 else None,
        "pyframe_lineno": "&((PyFrameObject*)0)->f_lineno" if minor <= 11 else None,
        "tstate_tracing_what": "&((PyThreadState*)0)->tracing_what" if minor == 11 else None,
        "frame_object": f"&(({FRAME_311}*)0)->frame_obj" if minor == 11 else None,
        "code_nlocals": "&((PyCodeObject*)0)->" + ("co_nlocals" if old else "co_nlocalsplus"),
        "code_varnames": "&((PyCodeObject*)0)->" +
        ("co_varnames" if old else "co_localsplusnames"),
        "code_cellvars": "&((PyCodeObject*)0)->co_cellvars" if old else None,
        "code_freevars": "&((PyCodeObject*)0)->co_freevars" if old else None,
        "code_nfreevars": None if old else "&((PyCodeObject*)0)->co_nfreevars",
        "frame_function": None if old else
        f"&(({frame}*)0)->" + ("f_func" if minor == 11 else "f_funcobj"),
        "function_closure": None if old else "&((PyFunctionObject*)0)->func_closure",
        "frame_globals": f"&(({frame}*)0)->f_globals",
        "interp_monitors": "&((PyInterpreterState*)0)->monitors" if minor >= 12 else None,
        "interp_monitoring_tool_names":
        "&((PyInterpreterState*)0)->monitoring_tool_names" if minor >= 12 else None,
        "interp_monitoring_version": None if minor < 12 else "&((PyInterpreterState*)0)->" +
        ("monitoring_version" if minor == 12 else "ceval.instrumentation_version"),
        "tstate_eval_breaker": "&((PyThreadState*)0)->eval_breaker" if minor >= 13 else None,
        "tstate_use_tracing": "&((PyThreadState*)0)->use_tracing" if minor <= 9 else None,
        "tstate_cframe": "&((PyThreadState*)0)->cframe" if minor in (10, 11) else None,
        "runtime_tracing_possible":
        "&((_PyRuntimeState*)0)->ceval.tracing_possible" if minor == 8 else None,
        "interp_tracing_possible":
        "&((PyInterpreterState*)0)->ceval.tracing_possible" if minor == 9 else None,
    }
    return exprs


def uscope_offsets(python):
    out = uscope("probes", "-v", "--binary", python).stdout
    offsets = {m.group(1): int(m.group(2)) for m in
               re.finditer(r"^  offset (\w+) = (-?\d+)$", out, re.M)}
    m = re.search(r"^interpreter: CPython 3\.\d+ in (\S+)$", out, re.M)
    frame = re.search(r"writes eval_frame \(offset (\d+)\)", out)
    if frame:
        offsets["eval_frame"] = int(frame.group(1))
    return m.group(1), offsets


def gdb_values(library, exprs):
    args = ["gdb", "-batch", "-nx"]
    for e in exprs:
        args += ["-ex", f"print (long)({e})"]
    out = subprocess.run(args + [library], capture_output=True, text=True, timeout=120).stdout
    values = [int(v) for v in re.findall(r"^\$\d+ = (-?\d+)$", out, re.M)]
    assert len(values) == len(exprs), out[-2000:]
    return values


@pytest.mark.parametrize("minor", range(8, 14))
def test_offsets_match_dwarf(minor):
    if not shutil.which("gdb"):
        pytest.skip("gdb is not installed (scripts/setup.sh installs it)")
    python = pyenv_python(minor)
    if not python:
        pytest.skip(f"no pyenv CPython 3.{minor} with debug info")
    library, offsets = uscope_offsets(python)
    wanted = {k: v for k, v in expressions(minor).items() if v is not None}
    if minor <= 10:
        wanted.pop("eval_frame")  # uscope never writes it before 3.11
    names = sorted(wanted)
    for name, value in zip(names, gdb_values(library, [wanted[n] for n in names])):
        assert offsets[name] == value, f"3.{minor} {name}: uscope {offsets[name]}, DWARF {value}"
    absent = {k for k, v in expressions(minor).items() if v is None}
    for name in absent & offsets.keys():
        assert offsets[name] == -1, f"3.{minor} {name} should be absent"

# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The Chrome Trace Event format's documented fields, checked event by event
(Perfetto's trace processor is not packaged for Debian): each phase's
required keys and types, async slices that begin before they end with their
instants inside, and flows with one start, one finish and their steps in
time order between."""
from collections import defaultdict

NUMBER = (int, float)
COMMON = {"name": str, "ph": str, "pid": int}
REQUIRED = {
    "X": {"ts": NUMBER, "dur": NUMBER, "tid": int, "cat": str},
    "B": {"ts": NUMBER, "tid": int, "cat": str},
    "E": {"ts": NUMBER, "tid": int},
    "i": {"ts": NUMBER, "tid": int, "s": str},
    "C": {"ts": NUMBER, "args": dict},
    "b": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "n": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "e": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "s": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "t": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "f": {"ts": NUMBER, "tid": int, "cat": str, "id": int},
    "M": {"tid": int, "args": dict},
}


def check(trace):
    """Returns a list of problems (empty: valid), and the events by phase."""
    problems = []
    by_phase = defaultdict(list)
    for n, e in enumerate(trace["traceEvents"]):
        ph = e.get("ph")
        if ph not in REQUIRED:
            problems.append(f"event {n}: unknown phase {ph!r}")
            continue
        for key, kind in {**COMMON, **REQUIRED[ph]}.items():
            if not isinstance(e.get(key), kind) or isinstance(e.get(key), bool):
                problems.append(f"event {n} ({ph}): {key} missing or not {kind}")
        if ph == "X" and e.get("dur", 0) < 0:
            problems.append(f"event {n}: negative duration")
        if ph == "i" and e.get("s") not in ("g", "p", "t"):
            problems.append(f"event {n}: instant scope {e.get('s')!r}")
        if ph == "C" and not all(isinstance(v, NUMBER) for v in e.get("args", {}).values()):
            problems.append(f"event {n}: a counter's values must be numbers")
        if ph == "M" and not isinstance(e.get("args", {}).get("name"), str):
            problems.append(f"event {n}: metadata without args.name")
        if ph in "ft" and e.get("bp", "e") != "e":
            problems.append(f"event {n}: binding point {e.get('bp')!r}")
        by_phase[ph].append(e)
    problems += check_async(by_phase)
    problems += check_flows(by_phase)
    return problems, by_phase


def check_async(by_phase):
    problems, slices = [], {}
    for e in by_phase["b"]:
        key = (e["cat"], e["id"])
        if key in slices:
            problems.append(f"async {key} begins twice")
        slices[key] = [e["ts"], None]
    for e in by_phase["e"]:
        key = (e["cat"], e["id"])
        if key not in slices or slices[key][1] is not None:
            problems.append(f"async {key} ends without a begin, or twice")
        elif e["ts"] < slices[key][0]:
            problems.append(f"async {key} ends before it begins")
        else:
            slices[key][1] = e["ts"]
    for key, (begin, end) in slices.items():
        if end is None:
            problems.append(f"async {key} never ends")
    for e in by_phase["n"]:
        key = (e["cat"], e["id"])
        begin, end = slices.get(key, (None, None))
        if begin is None or end is None or not begin <= e["ts"] <= end:
            problems.append(f"async instant {key} outside its slice")
    return problems


def check_flows(by_phase):
    problems, flows = [], defaultdict(lambda: {"s": [], "t": [], "f": []})
    for ph in "stf":
        for e in by_phase[ph]:
            flows[(e["cat"], e["id"])][ph].append(e["ts"])
    for key, f in flows.items():
        if len(f["s"]) != 1 or len(f["f"]) != 1:
            problems.append(f"flow {key}: {len(f['s'])} starts, {len(f['f'])} finishes")
            continue
        times = f["s"] + sorted(f["t"]) + f["f"]
        if times != sorted(times):
            problems.append(f"flow {key}: steps out of time order")
    return problems

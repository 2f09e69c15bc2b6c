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
    """Nestable async slices: under one (cat, id) the first slice holds the
    others (uscope: a coroutine and its awaits); slices of one name there
    pair up begin to end in time order and do not overlap."""
    problems, begins, ends = [], defaultdict(list), defaultdict(list)
    for e in by_phase["b"]:
        begins[(e["cat"], e["id"])].append((e["ts"], e["name"]))
    for e in by_phase["e"]:
        ends[(e["cat"], e["id"])].append((e["ts"], e["name"]))
    outer = {}
    for key in set(begins) | set(ends):
        if not begins[key]:
            problems.append(f"async {key} ends without a begin")
            continue
        first_name = min(begins[key])[1]
        names = {name for _, name in begins[key] + ends[key]}
        for name in names:
            b = sorted(ts for ts, n in begins[key] if n == name)
            e = sorted(ts for ts, n in ends[key] if n == name)
            if len(b) != len(e):
                problems.append(f"async {key} {name!r}: {len(b)} begins, {len(e)} ends")
                continue
            pairs = list(zip(b, e))
            for x, y in pairs:
                if y < x:
                    problems.append(f"async {key} {name!r} ends before it begins")
            for (_, y1), (x2, _) in zip(pairs, pairs[1:]):
                if x2 < y1:
                    problems.append(f"async {key} {name!r} begins twice")
            if name == first_name:
                if len(pairs) != 1:
                    problems.append(f"async {key} begins twice")
                else:
                    outer[key] = pairs[0]
        for ts, name in begins[key] + ends[key]:
            span = outer.get(key)
            if span and name != first_name and not span[0] <= ts <= span[1]:
                problems.append(f"async {key} {name!r} outside its slice")
    for key in begins:
        if key not in outer and not any(p.startswith(f"async {key}") for p in problems):
            problems.append(f"async {key} never ends")
    for e in by_phase["n"]:
        key = (e["cat"], e["id"])
        begin, end = outer.get(key, (None, None))
        if begin is None or not begin <= e["ts"] <= end:
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

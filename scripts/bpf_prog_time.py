#!/usr/bin/env python3
"""Time spent in the uprobe BPF programs a command's tracer loads, per call.

usage: bpf_prog_time.py COMMAND...   (as root)

Runs COMMAND (a tracer running a workload) with the kernel's
BPF run-time statistics on (kernel.bpf_stats_enabled), polls `bpftool prog
show` while it runs, and prints the nanoseconds its new uprobe programs
(type kprobe) ran per call: their mean time per run, twice (a call's entry
and its return). Unlike the workload's own time
this leaves out the kernel's trap, the same for every tracer and most of
each figure on these VMs, so it tells apart what the tracers' programs do.
The statistics add two clock reads to each run, for every tracer alike.
"""
import json
import subprocess
import sys
import time


def uprobe_programs():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                         text=True, check=True).stdout
    return {p["id"]: p for p in json.loads(out) if p.get("type") == "kprobe"}


def main():
    command = sys.argv[1:]
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        was_enabled = f.read().strip()
    before = set(uprobe_programs())
    seen = {}
    subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], check=True)
    try:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            for pid, prog in uprobe_programs().items():
                if pid not in before:
                    seen[pid] = (prog.get("run_time_ns", 0), prog.get("run_cnt", 0))
            time.sleep(0.1)
    finally:
        subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=" + was_enabled])
    run_ns = sum(ns for ns, _ in seen.values())
    runs = sum(n for _, n in seen.values())
    # a call is two runs, its entry's and its return's, for every tracer (the
    # last poll misses the last runs: the mean per run is what is kept)
    print("%.0f" % (2 * run_ns / runs if runs else 0))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The sampling profiler's cost, in one run on one machine: a CPU-bound
# workload (tests/fixtures/profsplit: qsort with a callback, a shared
# library; -O2 -fomit-frame-pointer) run for a fixed amount of work
#   - untraced,
#   - under `uscope profile -F 99 -a`,
#   - under `perf record -F 99 -a -g --call-graph dwarf`,
#   - under bpftrace sampling frame-pointer stacks at 99 Hz (the bcc
#     `profile` way),
# each the median of RUNS runs. Prints each one's time over the untraced
# time, the samples a second each took, and uscope's own CPU time and
# resident memory. Results go in docs/performance.md.
# Usage: scripts/bench_profile.sh [ROUNDS]   (as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rounds=${1:-60}
runs=${RUNS:-3}

scripts/setup.sh
command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
workload=$top/build/tests/fixtures/profsplit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

elapsed() { sed -n 's/^elapsed_ns=//p' "$1"; }
median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }

# the workload's time while "$@" (a profiler) runs in the background; the
# profiler is started, given a second to set up, and stopped with SIGINT
under() {
	local name=$1
	shift
	for i in $(seq "$runs"); do
		"$@" >"$work/$name.$i.out" 2>"$work/$name.$i.err" &
		local pid=$!
		sleep 2
		"$workload" rounds "$rounds" >"$work/$name.$i.work"
		kill -INT "$pid"
		wait "$pid" || true
		elapsed "$work/$name.$i.work"
	done | median
}

base=$(for i in $(seq "$runs"); do "$workload" rounds "$rounds" >"$work/base.$i"; elapsed "$work/base.$i"; done | median)
uscope_ns=$(under uscope build/uscope profile -v -F 99 -a --format json --report "$work/uscope.json")
perf_ns=$(under perf perf record -F 99 -a -g --call-graph dwarf -o "$work/perf.data")
bpftrace_ns=$(under bpftrace bpftrace -e 'profile:hz:99 { @stacks[ustack] = count(); @samples = count(); }')

ratio() { awk -v a="$1" -v b="$base" 'BEGIN { printf "%.3f", a / b }'; }
uscope_rate=$(python3 -c "import json; r = json.load(open('$work/uscope.json')); print(round(r['samples_taken'] / (r['duration_ns'] / 1e9)))")
perf_samples=$(grep -ho '([0-9]* samples)' "$work"/perf.*.err | tail -1 | tr -dc 0-9)
uscope_cost=$(grep -h 'uscope itself used' "$work"/uscope.*.err | tail -1 | sed 's/^uscope: //')

echo "workload: profsplit rounds $rounds, median of $runs runs, untraced $(awk -v b="$base" 'BEGIN { printf "%.3f", b / 1e9 }') s"
printf '%-34s %8s\n' "profiler" "time / untraced"
printf '%-34s %8s\n' "uscope profile -F 99 -a" "$(ratio "$uscope_ns")"
printf '%-34s %8s\n' "perf record -F 99 -a --call-graph dwarf" "$(ratio "$perf_ns")"
printf '%-34s %8s\n' "bpftrace profile:hz:99 ustack (fp)" "$(ratio "$bpftrace_ns")"
echo "uscope: $uscope_rate samples/s over all CPUs; $uscope_cost"
echo "perf: ${perf_samples:-?} samples in its last run"

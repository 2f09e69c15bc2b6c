#!/usr/bin/env bash
# The sampling profiler's cost, in one run on one machine: a CPU-bound
# workload (tests/fixtures/profsplit: qsort with a callback, a shared
# library; -O2 -fomit-frame-pointer) run for a fixed amount of work
#   - untraced,
#   - under `uscope profile -F 99 -a`,
#   - under `perf record -F 99 -a -g --call-graph dwarf`,
#   - under bpftrace sampling frame-pointer stacks at 99 Hz (the bcc
#     `profile` way),
# in RUNS rounds, each round running all of them in turn. Prints each one's time over the untraced
# time, the samples a second each took, and uscope's own CPU time and
# resident memory. Results go in docs/performance.md.
# Usage: scripts/bench_profile.sh [ROUNDS]   (as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rounds=${1:-1000}
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
# profiler is started, given two seconds to set up, and stopped with SIGINT
under() {
	local name=$1 i=$2
	shift 2
	"$@" >"$work/$name.$i.out" 2>"$work/$name.$i.err" &
	local pid=$!
	sleep 2
	"$workload" rounds "$rounds" >"$work/$name.$i.work"
	kill -INT "$pid"
	wait "$pid" || true
	elapsed "$work/$name.$i.work"
}

# This machine's speed drifts by tens of percent over minutes (shared
# host), so each round runs the untraced workload and then each profiler,
# and the ratio of each round is taken; the median ratio is printed.
: >"$work/ratios"
for i in $(seq "$runs"); do
	"$workload" rounds "$rounds" >"$work/base.$i"
	b=$(elapsed "$work/base.$i")
	u=$(under uscope "$i" build/uscope profile -v -F 99 -a --format json --report "$work/uscope.json")
	p=$(under perf "$i" perf record -F 99 -a -g --call-graph dwarf -o "$work/perf.data")
	t=$(under bpftrace "$i" bpftrace -e 'profile:hz:99 { @stacks[ustack] = count(); @samples = count(); }')
	echo "$b $u $p $t" >>"$work/ratios"
done
median_ratio() { awk -v c="$1" '{ print $c / $1 }' "$work/ratios" | median; }
base=$(awk '{ print $1 }' "$work/ratios" | median)

uscope_rate=$(python3 -c "import json; r = json.load(open('$work/uscope.json')); print(round(r['samples_taken'] / (r['duration_ns'] / 1e9)))")
# how many of the workload's samples unwound to main
uscope_whole=$(python3 -c "
import json
r = json.load(open('$work/uscope.json'))
frames = {f['id']: f['function'] for f in r['frames']}
stacks = {s['id']: [frames[i] for i in s['frames']] for s in r['stacks']}
mine = [s for s in r['samples'] if s['process'] == 'profsplit']
whole = sum(s['count'] for s in mine if 'main' in stacks[s['stack']])
print(f\"{whole} of {sum(s['count'] for s in mine)}\")")
perf_samples=$(grep -ho '([0-9]* samples)' "$work"/perf.*.err | tail -1 | tr -dc 0-9)
uscope_cost=$(grep -h 'uscope itself used' "$work"/uscope.*.err | tail -1 | sed 's/^uscope: //')

echo "workload: profsplit rounds $rounds, median of $runs runs, untraced $(awk -v b="$base" 'BEGIN { printf "%.3f", b / 1e9 }') s"
printf '%-42s %8s\n' "profiler" "time / untraced (median of rounds)"
printf '%-42s %8.3f\n' "uscope profile -F 99 -a" "$(median_ratio 2)"
printf '%-42s %8.3f\n' "perf record -F 99 -a --call-graph dwarf" "$(median_ratio 3)"
printf '%-42s %8.3f\n' "bpftrace profile:hz:99 ustack (fp)" "$(median_ratio 4)"
echo "rounds (ns: untraced uscope perf bpftrace):"
cat "$work/ratios"
echo "uscope: $uscope_rate samples/s over all CPUs; $uscope_cost"
echo "uscope: the workload's samples that unwound to main: $uscope_whole"
echo "perf: ${perf_samples:-?} samples in its last run"

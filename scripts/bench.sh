#!/usr/bin/env bash
# Per-call overhead of tracing, in one run: the same workload untraced, under
# uscope (full event recording), and under bpftrace counting the same
# uprobe+uretprobe pair. Prints microseconds per call and uscope / bpftrace.
# Usage: scripts/bench.sh [CALLS]   (run as root; results go in docs/performance.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
calls=${1:-2000000}
runs=${RUNS:-3}

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
bench=$top/build/tests/fixtures/callbench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

loop_ns() { sed -n 's/^loop_ns=//p' "$1"; }

# the median of $runs runs of "$@", each printing loop_ns= on stdout
median_loop_ns() {
	local out=$work/out values=()
	for _ in $(seq "$runs"); do
		"$@" >"$out" 2>"$work/err"
		values+=("$(loop_ns "$out")")
	done
	printf '%s\n' "${values[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

base=$(median_loop_ns "$bench" "$calls")
traced=$(median_loop_ns build/uscope run -q -f bench_target -o "$work/rec.usc" --format flat \
	--report "$work/report" -- "$bench" "$calls")
lost=$(sed -n 's/.* \([0-9]*\) lost events.*/\1/p' "$work/report" | head -1)
recorded=$(awk '$1 == "bench_target" { print $2 }' "$work/report")
bpftrace_prog="uprobe:$bench:bench_target { @entries = count(); } uretprobe:$bench:bench_target { @returns = count(); }"
counted=$(median_loop_ns bpftrace -q -e "$bpftrace_prog" -c "$bench $calls")

awk -v n="$calls" -v base="$base" -v us="$traced" -v bt="$counted" -v lost="$lost" \
    -v rec="$recorded" -v size="$(stat -c %s "$work/rec.usc")" 'BEGIN {
	us_per_call = (us - base) / n / 1000
	bt_per_call = (bt - base) / n / 1000
	printf "workload: %d calls of bench_target (probe site: push, emulated)\n", n
	printf "untraced:            %8.3f s   %6.3f us/call\n", base / 1e9, base / n / 1000
	printf "uscope (recording):  %8.3f s   %6.3f us/call overhead   %d calls recorded, %s lost events, %.1f events/s, %.1f bytes/event on disk\n", \
		us / 1e9, us_per_call, rec, lost, 2 * n / (us / 1e9), size / (2 * n)
	printf "bpftrace (counting): %8.3f s   %6.3f us/call overhead\n", bt / 1e9, bt_per_call
	printf "ratio uscope / bpftrace: %.2f\n", us_per_call / bt_per_call
}'

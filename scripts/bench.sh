#!/usr/bin/env bash
# Per-call overhead of tracing, in one run: the same workload untraced, under
# uscope (full event recording), and under bpftrace counting the same
# uprobe+uretprobe pair. Prints microseconds per call and uscope / bpftrace,
# for native calls, then for Python calls (plus cProfile for reference).
# Then per-allocation overhead of --memory (with and without sampling)
# against bpftrace counting the allocator probes.
# Usage: scripts/bench.sh [CALLS [PYTHON_CALLS [ALLOCATIONS]]]
#        (run as root; results go in docs/performance.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
calls=${1:-2000000}
py_calls=${2:-1000000}
allocations=${3:-1000000}
python=${PYTHON:-/usr/bin/python3.11}
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
recorded=$(awk '$NF == "bench_target" { print $1 }' "$work/report")
aggregated=$(median_loop_ns build/uscope run -q --aggregate -f bench_target --format flat \
	--report "$work/agg_report" -- "$bench" "$calls")
bpftrace_prog="uprobe:$bench:bench_target { @entries = count(); } uretprobe:$bench:bench_target { @returns = count(); }"
counted=$(median_loop_ns bpftrace -q -e "$bpftrace_prog" -c "$bench $calls")
# uftrace records every call of a -pg build in process (mcount), no kernel trap
bench_pg=$top/build/tests/fixtures/callbench_pg
# a -pg program writes gmon.out where it runs: in the scratch directory
pg_base=$(cd "$work" && median_loop_ns "$bench_pg" "$calls")
uftraced=$(cd "$work" && median_loop_ns uftrace record -d "$work/uftrace.data" -F bench_target \
	"$bench_pg" "$calls")

awk -v n="$calls" -v base="$base" -v us="$traced" -v bt="$counted" -v lost="$lost" \
    -v agg="$aggregated" -v pgbase="$pg_base" -v uft="$uftraced" \
    -v rec="$recorded" -v size="$(stat -c %s "$work/rec.usc")" 'BEGIN {
	us_per_call = (us - base) / n / 1000
	bt_per_call = (bt - base) / n / 1000
	agg_per_call = (agg - base) / n / 1000
	printf "workload: %d calls of bench_target (probe site: push, emulated)\n", n
	printf "untraced:            %8.3f s   %6.3f us/call\n", base / 1e9, base / n / 1000
	printf "uscope (recording):  %8.3f s   %6.3f us/call overhead   %d calls recorded, %s lost events, %.1f events/s, %.1f bytes/event on disk\n", \
		us / 1e9, us_per_call, rec, lost, 2 * n / (us / 1e9), size / (2 * n)
	printf "uscope --aggregate:  %8.3f s   %6.3f us/call overhead (counters and a histogram in BPF)\n", \
		agg / 1e9, agg_per_call
	printf "bpftrace (counting): %8.3f s   %6.3f us/call overhead\n", bt / 1e9, bt_per_call
	printf "uftrace (-pg build, in-process): %8.3f s   %6.3f us/call overhead (its -pg baseline %.3f s)\n", \
		uft / 1e9, (uft - pgbase) / n / 1000, pgbase / 1e9
	printf "ratio uscope / bpftrace: %.2f   --aggregate / bpftrace: %.2f   uscope / uftrace: %.1f\n", \
		us_per_call / bt_per_call, agg_per_call / bt_per_call, us_per_call / ((uft - pgbase) / n / 1000)
}'

# The tracers' BPF programs alone (kernel.bpf_stats_enabled), without the
# kernel's trap that every figure above is mostly made of on these VMs
prog_ns() { scripts/bpf_prog_time.py "$@"; }
echo "BPF program time per call: uscope $(prog_ns build/uscope run -q -f bench_target \
	-o "$work/rec_stats.usc" -- "$bench" "$calls") ns, --aggregate $(prog_ns build/uscope run -q \
	--aggregate -f bench_target -- "$bench" "$calls") ns, bpftrace $(prog_ns bpftrace -q \
	-e "$bpftrace_prog" -c "$bench $calls") ns"

# ---- Python -----------------------------------------------------------------
# The same million calls of a tiny function: untraced, under uscope, under
# bpftrace counting uprobe+uretprobe on _PyEval_EvalFrameDefault, and under
# cProfile. On 3.11+ uscope writes eval_frame so every call is a C call; the
# baseline and bpftrace runs make the same write in-process, so all three
# execute the same code.
pybench=$top/tests/fixtures/python/callbench.py
eval_sym=_PyEval_EvalFrameDefault
interp_object=$("$top/build/uscope" probes --binary "$python" | sed -n 's/^interpreter: CPython [0-9.]* in //p')
py_base=$(median_loop_ns env USCOPE_BENCH_DEINLINE=1 "$python" "$pybench" "$py_calls")
py_plain=$(median_loop_ns "$python" "$pybench" "$py_calls")
py_traced=$(median_loop_ns build/uscope run -q -o "$work/py.usc" --format flat \
	--report "$work/py_report" -- "$python" "$pybench" "$py_calls")
py_aggregated=$(median_loop_ns build/uscope run -q --aggregate --format flat \
	--report "$work/py_agg_report" -- "$python" "$pybench" "$py_calls")
py_lost=$(sed -n 's/.* \([0-9]*\) lost events.*/\1/p' "$work/py_report" | head -1)
py_recorded=$(awk 'NF > 1 && $(NF - 1) == "target" { print $1 }' "$work/py_report")
py_prog="uprobe:$interp_object:$eval_sym /pid == cpid/ { @entries = count(); }
uretprobe:$interp_object:$eval_sym /pid == cpid/ { @returns = count(); }"
py_counted=$(median_loop_ns bpftrace -q -e "$py_prog" -c "/usr/bin/env USCOPE_BENCH_DEINLINE=1 $python $pybench $py_calls")
py_cprofile=$(median_loop_ns "$python" -m cProfile -o /dev/null "$pybench" "$py_calls")

awk -v n="$py_calls" -v base="$py_base" -v plain="$py_plain" -v us="$py_traced" \
    -v bt="$py_counted" -v cp="$py_cprofile" -v lost="$py_lost" -v rec="$py_recorded" \
    -v agg="$py_aggregated" -v py="$python" 'BEGIN {
	us_per_call = (us - base) / n / 1000
	bt_per_call = (bt - base) / n / 1000
	agg_per_call = (agg - base) / n / 1000
	printf "\nworkload: %d calls of a Python function, %s\n", n, py
	printf "untraced:                 %8.3f s   %6.3f us/call (inlined calls: %.3f s)\n", \
		base / 1e9, base / n / 1000, plain / 1e9
	printf "uscope (recording):       %8.3f s   %6.3f us/call overhead   %d calls recorded, %s lost events\n", \
		us / 1e9, us_per_call, rec, lost
	printf "uscope --aggregate:       %8.3f s   %6.3f us/call overhead\n", agg / 1e9, agg_per_call
	printf "bpftrace (counting):      %8.3f s   %6.3f us/call overhead\n", bt / 1e9, bt_per_call
	printf "cProfile (in-process):    %8.3f s   %6.3f us/call overhead (reference)\n", \
		cp / 1e9, (cp - plain) / n / 1000
	printf "ratio uscope / bpftrace: %.2f   --aggregate / bpftrace: %.2f\n", \
		us_per_call / bt_per_call, agg_per_call / bt_per_call
}'

echo "BPF program time per call: uscope $(prog_ns build/uscope run -q -o "$work/py_stats.usc" \
	-- "$python" "$pybench" "$py_calls") ns, --aggregate $(prog_ns build/uscope run -q \
	--aggregate -- "$python" "$pybench" "$py_calls") ns, bpftrace $(prog_ns bpftrace -q \
	-e "$py_prog" -c "/usr/bin/env USCOPE_BENCH_DEINLINE=1 $python $pybench $py_calls") ns"

# ---- memory -----------------------------------------------------------------
# N malloc/free pairs of 16-271 byte blocks. uscope --memory probes malloc
# (entry and return) and free (entry only, placed past free's NULL check on
# a push the kernel emulates). bpftrace 0.17 cannot place a probe inside a
# function, so it counts free at its first instruction, which the kernel
# single-steps: the first bpftrace figure pays that, the second leaves free
# out (a lower bound for the same probes).
allocbench=$top/build/tests/fixtures/allocbench
libc=$(build/uscope probes --memory --binary "$allocbench" | awk '$1 == "malloc" { print $NF }')
alloc_base=$(median_loop_ns "$allocbench" "$allocations")
alloc_traced=$(median_loop_ns build/uscope run -q --memory -f main -o "$work/mem.usc" \
	--format json --report "$work/mem_report" -- "$allocbench" "$allocations")
alloc_recorded=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["memory"]["allocs"])' "$work/mem_report")
alloc_lost=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lost_events"])' "$work/mem_report")
alloc_sampled=$(median_loop_ns build/uscope run -q --memory --memory-sample 100 -f main \
	-o "$work/mem_sampled.usc" --format json --report "$work/mem_sampled_report" -- \
	"$allocbench" "$allocations")
malloc_prog="uprobe:$libc:malloc /pid == cpid/ { @m = count(); }
uretprobe:$libc:malloc /pid == cpid/ { @r = count(); }"
alloc_bt_malloc=$(median_loop_ns bpftrace -q -e "$malloc_prog" -c "$allocbench $allocations")
alloc_bt_all=$(median_loop_ns bpftrace -q -e "$malloc_prog
uprobe:$libc:free /pid == cpid/ { @f = count(); }" -c "$allocbench $allocations")

awk -v n="$allocations" -v base="$alloc_base" -v us="$alloc_traced" -v sampled="$alloc_sampled" \
    -v bt_all="$alloc_bt_all" -v bt_malloc="$alloc_bt_malloc" -v rec="$alloc_recorded" \
    -v lost="$alloc_lost" -v size="$(stat -c %s "$work/mem.usc")" 'BEGIN {
	us_per = (us - base) / n / 1000
	sampled_per = (sampled - base) / n / 1000
	all_per = (bt_all - base) / n / 1000
	malloc_per = (bt_malloc - base) / n / 1000
	printf "\nworkload: %d malloc/free pairs\n", n
	printf "untraced:                          %8.3f s   %6.3f us/pair\n", base / 1e9, base / n / 1000
	printf "uscope --memory (recording):       %8.3f s   %6.3f us/pair overhead   %d allocations recorded, %s lost events, %.1f bytes/pair on disk\n", \
		us / 1e9, us_per, rec, lost, size / n
	printf "uscope --memory-sample 100:        %8.3f s   %6.3f us/pair overhead\n", sampled / 1e9, sampled_per
	printf "bpftrace malloc+ret, free (1st insn, single-stepped): %8.3f s   %6.3f us/pair\n", bt_all / 1e9, all_per
	printf "bpftrace malloc+ret only (free not probed):           %8.3f s   %6.3f us/pair\n", bt_malloc / 1e9, malloc_per
	printf "ratio uscope / bpftrace (free single-stepped): %.2f\n", us_per / all_per
	printf "ratio uscope / bpftrace (malloc only):          %.2f   sampled: %.2f\n", us_per / malloc_per, sampled_per / malloc_per
}'

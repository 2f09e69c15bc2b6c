#!/usr/bin/env bash
# Per-line cost of --lines, in one run: the same loop (two lines an
# iteration, timed by itself) untraced, under `python -m trace --count`,
# under sys.settrace with a do-nothing hook, and under uscope --lines, for
# each interpreter given (default: Debian's python3.11 and pyenv's 3.8-3.13
# found); with Debian's USDT python:line counted by bpftrace for reference.
# Prints nanoseconds per line and each one's ratio to untraced.
# Usage: scripts/bench_lines.sh [ITERATIONS] (as root; results go in
#        docs/performance.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-300000}
runs=${RUNS:-3}
bench=$top/tests/fixtures/python/linebench.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --build build -j"$(nproc)" >/dev/null

# the median loop_ns of $runs runs of "$@"
median_loop_ns() {
	local values=()
	for _ in $(seq "$runs"); do
		values+=("$("$@" 2>/dev/null | sed -n 's/^loop_ns=//p')")
	done
	printf '%s\n' "${values[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

interpreters=("$@")
if [ ${#interpreters[@]} -le 1 ]; then
	interpreters=(/usr/bin/python3.11)
	root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
	for minor in 8 9 10 11 12 13; do
		exe=$(ls -d "$root"/versions/3.$minor.*/bin/python3.$minor 2>/dev/null | sort -V | tail -1)
		[ -n "$exe" ] && interpreters+=("$exe")
	done
fi

settrace='import runpy, sys
def hook(frame, event, arg):
    return hook
sys.settrace(hook)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")'

printf '%-44s %10s %12s %12s %12s %12s\n' interpreter untraced "trace --count" settrace \
	"uscope --lines" "bpftrace usdt"
for py in "${interpreters[@]}"; do
	[ -x "$py" ] || continue
	lines=$((2 * n + 3))
	base=$(median_loop_ns "$py" "$bench" "$n")
	counted=$(median_loop_ns "$py" -m trace --count -C "$work/cover" "$bench" "$n")
	hooked=$(median_loop_ns "$py" -c "$settrace" "$bench" "$n")
	traced=$(median_loop_ns build/uscope run -q --lines --format lines --report "$work/r" -- \
		"$py" "$bench" "$n")
	usdt=-
	if readelf -n "$py" 2>/dev/null | grep -q 'Name: line'; then
		usdt=$(median_loop_ns bpftrace -q -e "usdt:$py:python:line { @lines = count(); }" \
			-c "$py $bench $n")
	fi
	per() { [ "$1" = - ] && echo - || awk -v t="$1" -v l="$lines" 'BEGIN { printf "%.0f", t / l }'; }
	ratio() { [ "$1" = - ] && echo - || awk -v t="$1" -v b="$base" 'BEGIN { printf "%.1fx", t / b }'; }
	printf '%-44s %7s ns %9s ns %9s ns %9s ns %9s ns\n' "$py" "$(per "$base")" "$(per "$counted")" \
		"$(per "$hooked")" "$(per "$traced")" "$(per "$usdt")"
	printf '%-44s %10s %12s %12s %12s %12s\n' "  (ratio to untraced)" 1.0x "$(ratio "$counted")" \
		"$(ratio "$hooked")" "$(ratio "$traced")" "$(ratio "$usdt")"
done

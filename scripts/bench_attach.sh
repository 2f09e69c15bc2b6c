#!/usr/bin/env bash
# Attach and detach time against the number of functions traced, in one run:
# uscope run and uscope attach on 10, 100, 1,000 and 10,000 functions of
# tests/fixtures/manyfuncs (their own set-up and detach times, from -v), and
# bpftrace putting a counting uprobe on the same functions (its whole run
# less the untraced run: attach plus detach). bpftrace is run up to
# BPFTRACE_MAX functions (default 100: 1,000 take it over a minute).
# Usage: scripts/bench_attach.sh   (run as root; results go in docs/performance.md)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bpftrace_max=${BPFTRACE_MAX:-100}

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
many=$top/build/tests/fixtures/manyfuncs
uscope=$top/build/uscope
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

# "set-up X ms (...), detach Y ms" from uscope -v, as "X Y" in ms
overheads() {
	sed -n 's/.*set-up \([0-9.]*\) \(m\?s\).*detach \([0-9.]*\) \(u\?m\?s\)$/\1 \2 \3 \4/p' "$1" |
		awk '{ s = $1 * ($2 == "s" ? 1000 : 1); d = $3 * ($4 == "s" ? 1000 : ($4 == "us" ? 0.001 : 1));
		       printf "%.1f %.1f", s, d }'
}

check_counts() {	# the report has every call the fixture made
	local expected=$1 rec=$2 got
	got=$("$uscope" report "$rec" --format json |
		/usr/bin/python3 -c 'import json,sys; print(sum(n["count"] for t in json.load(sys.stdin)["threads"] for n in t["calls"]))')
	[ "$got" = "$expected" ] || echo "bench_attach: expected $expected calls, the report has $got" >&2
}

start=$(now_ms); "$many" 0 >/dev/null; untraced=$(( $(now_ms) - start ))

printf '| functions | uscope run: set-up | detach | uscope attach: set-up | detach | links | bpftrace: attach + detach |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|\n'
for pattern in 'f0000*' 'f000*' 'f00*' 'f0*'; do
	n=$(( 10 ** (7 - ${#pattern}) ))
	"$uscope" run -v -f "$pattern" -o "$work/run.usc" -- "$many" 0.2 >/dev/null 2>"$work/run.err"
	check_counts $((2 * n)) "$work/run.usc"
	read -r run_setup run_detach <<<"$(overheads "$work/run.err")"
	links=$(sed -n 's/.*(\([0-9]*\) links).*/\1/p' "$work/run.err" | head -1)

	"$many" 3 >"$work/target.out" &
	target=$!
	sleep 0.3
	"$uscope" attach -v -p "$target" -f "$pattern" --duration 0.5 -o "$work/attach.usc" \
		>/dev/null 2>"$work/attach.err"
	kill "$target" 2>/dev/null || true
	wait "$target" 2>/dev/null || true
	read -r attach_setup attach_detach <<<"$(overheads "$work/attach.err")"

	bpftrace_ms="not run (over BPFTRACE_MAX)"
	if [ "$n" -le "$bpftrace_max" ]; then
		start=$(now_ms)
		BPFTRACE_MAX_PROBES=20000 bpftrace -e "uprobe:$many:$pattern { @calls = count(); }" \
			-c "$many 0" >/dev/null 2>&1
		bpftrace_ms="$(( $(now_ms) - start - untraced )) ms"
	fi
	printf '| %s | %s ms | %s ms | %s ms | %s ms | %s | %s |\n' "$n" "$run_setup" "$run_detach" \
		"$attach_setup" "$attach_detach" "$links" "$bpftrace_ms"
done

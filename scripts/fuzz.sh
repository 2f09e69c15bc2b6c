#!/usr/bin/env bash
# Fuzzes the recording reader and every report for a bounded time:
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS]
# BUILD_DIR is a clang build with -DUSCOPE_SANITIZE=ON (default build-asan).
# Starts from the committed seed recordings in tests/fuzz/corpus; new inputs
# go to a scratch directory, crashes to BUILD_DIR/fuzz-crashes/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-asan}
seconds=${2:-60}
fuzzer=$build/tests/fuzz/fuzz_report
if [ ! -x "$fuzzer" ]; then
	echo "fuzz: $fuzzer is missing; build with: CC=clang cmake -S . -B build-asan -DUSCOPE_SANITIZE=ON" >&2
	exit 1
fi
scratch=$(mktemp -d /tmp/uscope-fuzz-corpus.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz-crashes"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/" \
	"$scratch" "$top/tests/fuzz/corpus" 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY)' || true
# libFuzzer's own status is what counts: rerun nothing, read the crash dir.
if compgen -G "$build/fuzz-crashes/*" >/dev/null; then
	echo "fuzz: crashing inputs in $build/fuzz-crashes/" >&2
	exit 1
fi
echo "fuzz: no crash in ${seconds}s"

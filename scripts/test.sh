#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds uscope, and runs the whole test
# suite: unit tests (no root needed) and end-to-end tests with real BPF (root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/setup.sh
# the browser-report tests' JavaScript packages, pinned by tests/web/package-lock.json
(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

echo "== layers: no stage uses a later one, no include cycle"
/usr/bin/python3 scripts/check_layers.py

echo "== unit tests"
(cd build && ctest --output-on-failure)

echo "== end-to-end tests (real BPF)"
# Debian's python3 carries python3-pytest; a pyenv shim on PATH may not.
/usr/bin/python3 -m pytest -v -p no:cacheprovider tests/e2e

echo "== the same tests against an AddressSanitizer + UBSan build"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSCOPE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
(cd build-asan && ctest --output-on-failure)
USCOPE_BIN="$top/build-asan/uscope" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e

echo "== fuzzing the recording reader (bounded)"
scripts/fuzz.sh "$top/build-asan" "${USCOPE_FUZZ_SECONDS:-60}"

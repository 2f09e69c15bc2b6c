#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds uscope, and traces the bundled
# example programs, printing their call trees: examples/shapes (C), then
# examples/shapes.py under Debian's python3.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
build/uscope run -- build/examples/shapes
echo
exec build/uscope run --no-imports -- python3 examples/shapes.py

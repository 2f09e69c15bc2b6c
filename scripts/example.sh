#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds uscope, and traces the bundled
# example program, printing its call tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/uscope run -- build/examples/shapes

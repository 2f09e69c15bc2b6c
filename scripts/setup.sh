#!/usr/bin/env bash
# Installs every Debian package uscope needs to build, test and benchmark.
# Idempotent and quiet when everything is already there. Run as root.
set -euo pipefail

packages=(
	clang llvm libclang-rt-14-dev cmake make gcc g++ pkg-config
	libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libcapstone-dev
	python3 python3-pytest bpftrace gdb sqlite3 help2man tmux uftrace
	chromium protobuf-compiler libc6-dbg
)
# Node.js and npm run the browser-report tests (tests/web); a machine that
# has them already (another packaging) keeps its own.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for pkg in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
	exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

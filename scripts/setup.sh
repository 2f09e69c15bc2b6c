#!/usr/bin/env bash
# Installs every Debian package uscope needs to build, test and benchmark,
# then the JavaScript libraries the HTML report inlines at build time
# (user/report/web, pinned by its package-lock.json).
# Idempotent and quiet when everything is already there. Run as root.
set -euo pipefail

packages=(
	clang llvm libclang-rt-14-dev cmake make gcc g++ pkg-config
	libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libcapstone-dev
	python3 python3-pytest python3-pytest-xdist bpftrace gdb sqlite3 help2man tmux uftrace
	chromium protobuf-compiler libc6-dbg
)
# Node.js and npm run the browser-report tests (tests/web); a machine that
# has them already (another packaging) keeps its own.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for pkg in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The report's libraries: again whenever the lock file changed.
web="$(cd "$(dirname "$0")/.." && pwd)/user/report/web"
if [ ! -f "$web/node_modules/.package-lock.json" ] ||
   [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
	echo "setup: installing the HTML report's JavaScript libraries (npm ci in $web)"
	(cd "$web" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "setup: npm ci failed in $web: the build needs flame-chart-js from npm" \
		     "(is the network reachable?)" >&2
		exit 1
	}
fi

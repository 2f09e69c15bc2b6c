#!/usr/bin/env bash
# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The committed header is what builds use; run this only to refresh it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m)
case "$arch" in
	x86_64) dir=x86 ;;
	aarch64) dir=arm64 ;;
	*) echo "gen_vmlinux_h: unsupported architecture $arch" >&2; exit 1 ;;
esac
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "gen_vmlinux_h: no BTF at $btf (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2; exit 1; }
mkdir -p "$top/vmlinux/$dir"
bpftool btf dump file "$btf" format c > "$top/vmlinux/$dir/vmlinux.h"
echo "wrote vmlinux/$dir/vmlinux.h"

#!/usr/bin/env bash
# Compiles every bpf/*.bpf.c (and, with a 3rd argument, another source dir) into BPF objects.
# Called by the edgesched-ebpf Maven build: bpf/build.sh <bpf-src-dir> <out-dir> [extra-src-dir]
set -euo pipefail
src_dir="$1"; out_dir="$2"; extra_dir="${3:-}"
clang_bin="${CLANG:-clang}"

if ! command -v "$clang_bin" >/dev/null 2>&1; then
  echo "edgesched: clang not found; the eBPF programs need it. Install it: apt-get install -y clang libbpf-dev" >&2
  exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "edgesched: libbpf headers not found (/usr/include/bpf/bpf_helpers.h). Install them: apt-get install -y libbpf-dev" >&2
  exit 1
fi
multiarch="$(gcc -print-multiarch 2>/dev/null || true)"
[ -n "$multiarch" ] || multiarch="$(uname -m)-linux-gnu"
if [ ! -d "/usr/include/$multiarch/asm" ]; then
  echo "edgesched: kernel uapi headers not found (/usr/include/$multiarch/asm). Install them: apt-get install -y linux-libc-dev" >&2
  exit 1
fi

mkdir -p "$out_dir"
shopt -s nullglob
for dir in "$src_dir" $extra_dir; do
  for src in "$dir"/*.bpf.c; do
    obj="$out_dir/$(basename "${src%.c}").o"
    "$clang_bin" -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_x86 \
      -I"/usr/include/$multiarch" -I"$src_dir" -c "$src" -o "$obj"
    # Drop DWARF to keep the jar small; BTF (needed by libbpf) stays.
    llvm-strip -g "$obj" 2>/dev/null || true
  done
done

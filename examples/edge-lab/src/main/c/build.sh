#!/usr/bin/env bash
# Builds the edge lab's native helpers: examples/edge-lab/src/main/c/build.sh <src-dir> <out-dir>
set -euo pipefail
src_dir="$1"; out_dir="$2"
cc_bin="${CC:-gcc}"
if ! command -v "$cc_bin" >/dev/null 2>&1; then
  echo "edgesched: $cc_bin not found; the edge lab's delay switch needs a C compiler. Install it: apt-get install -y gcc libc6-dev" >&2
  exit 1
fi
mkdir -p "$out_dir"
for src in "$src_dir"/*.c; do
  "$cc_bin" -O2 -Wall -Wextra -Werror -o "$out_dir/$(basename "${src%.c}")" "$src"
done

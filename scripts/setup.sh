#!/usr/bin/env bash
# Installs what edgesched's build, tests and lab need on Debian/Ubuntu (as root), and prints the
# JAVA_HOME to use (a JDK >= 22). Usage: JAVA_HOME="$(scripts/setup.sh)"
set -euo pipefail

need_pkgs=()
command -v clang >/dev/null || need_pkgs+=(clang)
command -v llvm-strip >/dev/null || need_pkgs+=(llvm)
[ -f /usr/include/bpf/bpf_helpers.h ] || need_pkgs+=(libbpf-dev)
ls /usr/lib/*/libbpf.so.1 >/dev/null 2>&1 || need_pkgs+=(libbpf1)
command -v bpftool >/dev/null || need_pkgs+=(bpftool)
command -v gcc >/dev/null || need_pkgs+=(gcc libc6-dev)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v iptables >/dev/null || need_pkgs+=(iptables)
command -v nginx >/dev/null || need_pkgs+=(nginx-light)
command -v kubectl >/dev/null || need_pkgs+=(kubectl)
command -v unzip >/dev/null || need_pkgs+=(unzip)
command -v openssl >/dev/null || need_pkgs+=(openssl)  # ApiConnectionTest writes PKCS#1 and SEC1 keys with it
command -v curl >/dev/null || command -v wget >/dev/null || need_pkgs+=(curl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "edgesched setup: missing ${need_pkgs[*]}; run as root or: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
  echo "edgesched setup: installing ${need_pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  # kubectl is only for rendering deploy/; not every distribution release ships it.
  if ! apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >&2; then
    pkgs_without_kubectl=()
    for p in "${need_pkgs[@]}"; do [ "$p" = kubectl ] || pkgs_without_kubectl+=("$p"); done
    apt-get install -y -q --no-install-recommends "${pkgs_without_kubectl[@]}" >&2
  fi
fi

# Pinning needs bpffs at /sys/fs/bpf; minimal images and containers often lack it (systemd mounts it elsewhere).
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
  if [ "$(id -u)" -eq 0 ] && mkdir -p /sys/fs/bpf 2>/dev/null && mount -t bpf bpf /sys/fs/bpf >&2; then
    echo "edgesched setup: mounted bpffs at /sys/fs/bpf" >&2
  else
    echo "edgesched setup: bpffs is not mounted at /sys/fs/bpf; as root: mount -t bpf bpf /sys/fs/bpf" >&2
  fi
fi

jdk_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}'; }
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(jdk_major "$JAVA_HOME")" -ge 22 ]; then
  echo "$JAVA_HOME"; exit 0
fi
for candidate in /usr/lib/jvm/*; do
  [ -x "$candidate/bin/javac" ] || continue
  if [ "$(jdk_major "$candidate")" -ge 22 ]; then echo "$candidate"; exit 0; fi
done
if [ "$(id -u)" -eq 0 ] && apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends openjdk-25-jdk-headless >&2
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] && [ "$(jdk_major "$candidate")" -ge 22 ] && { echo "$candidate"; exit 0; }
  done
fi
echo "edgesched setup: no JDK >= 22 found under /usr/lib/jvm; install one (e.g. Temurin 25) and set JAVA_HOME" >&2
exit 1

#!/usr/bin/env bash
# Installs what `make` needs and is missing: Debian packages, the binfmt entry qemu needs for execve, node_modules.
# Idempotent: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v riscv64-linux-gnu-gcc >/dev/null || need+=(gcc-riscv64-linux-gnu)
[ -e /usr/riscv64-linux-gnu/lib/libc.a ] || need+=(libc6-dev-riscv64-cross)
command -v qemu-riscv64 >/dev/null || need+=(qemu-user)
[ -d /usr/libexec/qemu-binfmt ] || need+=(qemu-user-binfmt)
ldconfig -p 2>/dev/null | grep -q 'libfuse.so.2' || need+=(libfuse2)
command -v fusermount >/dev/null || need+=(fuse)
command -v rsync >/dev/null || need+=(rsync)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  if [ "$(id -u)" != 0 ]; then echo "setup: missing packages (${need[*]}) and not root: install them with apt-get" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi

# qemu-riscv64 runs the reference programs; a program that calls execve needs the kernel to hand the
# riscv64 binary back to qemu, which is what the binfmt_misc entry does.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ] && [ "$(id -u)" = 0 ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  if [ -w /proc/sys/fs/binfmt_misc/register ] && [ -f /usr/lib/binfmt.d/qemu-riscv64.conf ]; then
    grep -v '^#' /usr/lib/binfmt.d/qemu-riscv64.conf > /proc/sys/fs/binfmt_misc/register 2>/dev/null || true
  fi
fi
[ -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ] || echo "setup: note: no binfmt_misc entry for riscv64; the execve example's qemu reference will be skipped" >&2

# node_modules: reinstall only when the lock file is newer than the last install.
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

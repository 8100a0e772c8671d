#!/usr/bin/env bash
# The NEON scan kernel, checked on this x86 machine: builds tests/cross/kernel_check.c and
# kernels/ for aarch64 (static) and runs it under qemu-user, comparing NEON and scalar
# with a byte-loop oracle.  Installs gcc-aarch64-linux-gnu and qemu-user-static from
# Debian's packages when they are missing.  Exit status 0 when every kernel agrees, 77
# when the cross tools cannot be installed (tools/test.sh then reports it as skipped).
#   tools/cross-check.sh          # CFS_TEST_SEED=N to repeat a random run
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "cross-check: installing ${need[*]}" >&2
  SUDO=
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }; then
    echo "cross-check: SKIPPED: cannot install ${need[*]}" >&2
    exit 77
  fi
fi
out=build-cross
mkdir -p "$out"
aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -I. \
  kernels/*.c tests/cross/kernel_check.c -o "$out/kernel_check"
qemu-aarch64-static "$out/kernel_check"

#!/usr/bin/env bash
# The whole test suite: install dependencies (apt, and npm for the Parquet reader checks),
# build with warnings as errors, run every Criterion test through CTest, check the NEON
# kernel under qemu-user (tools/cross-check.sh), then the Criterion suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test
if [ -f tests/js/package.json ]; then
  if [ -f tests/js/package-lock.json ]; then npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
  else npm install --prefix tests/js --no-audit --no-fund --loglevel=error; fi
fi
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCFS_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
# The NEON kernel, built for aarch64 and run under qemu-user (installs the cross tools).
rc=0
tools/cross-check.sh || rc=$?
if [ "$rc" -eq 77 ]; then echo "test.sh: NEON kernel check SKIPPED (cross tools not installable)" >&2
elif [ "$rc" -ne 0 ]; then exit "$rc"; fi
if [ "${CFS_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCFS_SANITIZE=ON -DCFS_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  # A leak fails the test that made it (tests/util_leaks.c).
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$jobs")
fi

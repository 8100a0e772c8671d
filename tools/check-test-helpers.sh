#!/usr/bin/env bash
# tools/check-test-helpers.sh OBJECT...: the objects of the test helpers (tests/util_*.c)
# reference no cfs_ symbol, so they call no library code.  Their allocations are exempt
# from the leak check of sanitizer builds (tests/util_leaks.c); a helper that called the
# library would hide the library's leaks.  Run by CTest (test_helpers_call_no_library);
# exits 1 listing the references.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: check-test-helpers.sh OBJECT..." >&2; exit 2; }
syms=$(nm -A -u "$@")
refs=$(printf '%s\n' "$syms" | awk '$NF ~ /^cfs_/ { print }')
if [ -n "$refs" ]; then
    echo "check-test-helpers: the test helpers call the library (their leaks would be exempt):" >&2
    echo "$refs" >&2
    exit 1
fi
echo "check-test-helpers: $# helper objects reference no cfs_ symbol"

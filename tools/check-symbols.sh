#!/usr/bin/env bash
# tools/check-symbols.sh LIB: every symbol the core library exports starts with cfs_, so that
# linking it into another program cannot collide with that program's names (issue 12).
# Compiler-made names are allowed: OpenMP's named critical sections (.gomp_critical_user_*).
# And no object of it calls exit, _exit, _Exit, quick_exit or abort: the library returns a
# status (CFS_E_NOMEM when out of memory, xalloc.h) and only the command line exits.
# Run by CTest (test exported_symbols); exits 1 listing the offenders.
set -euo pipefail
lib=${1:?usage: check-symbols.sh LIBRARY}
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $2 ~ /^[TDBRCVW]$/ { print $3 }' |
      grep -v -e '^cfs_' -e '^\.gomp_critical_user_' | sort -u || true)
if [ -n "$bad" ]; then
    echo "check-symbols: $lib exports symbols without the cfs_ prefix:" >&2
    echo "$bad" >&2
    exit 1
fi
ends=$(nm -A -u "$lib" | awk '$NF ~ /^(exit|_exit|_Exit|quick_exit|abort)$/ { print }' || true)
if [ -n "$ends" ]; then
    echo "check-symbols: $lib ends the process itself (only tools/cfscan.c may):" >&2
    echo "$ends" >&2
    exit 1
fi
echo "check-symbols: every exported symbol of $lib starts with cfs_, and none of it calls exit or abort"

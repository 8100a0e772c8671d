#!/usr/bin/env bash
# tools/check-format.sh [ROOT]: every C source and header of the project is formatted as
# .clang-format says (issue 12), checked with Debian 12's clang-format 14, whose output
# the tree was formatted with (another version may break lines differently).  Run by
# CTest (test code_format); exits 1 naming the files to reformat, 77 (skipped, with the
# reason) when clang-format 14 is not installed.  To reformat a file:
# clang-format-14 -i FILE.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
cf=$(command -v clang-format-14 || true)
if [ -z "$cf" ]; then
    echo "check-format: SKIPPED: clang-format-14 is not installed (tools/install-deps.sh --test installs it)" >&2
    exit 77
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.c' '*.h')
else
    mapfile -t files < <(find . -path ./build -prune -o -path './build-*' -prune -o -name node_modules -prune \
                              -o \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
bad=()
for f in "${files[@]}"; do
    "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted as .clang-format says:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "reformat with: clang-format-14 -i FILE" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"

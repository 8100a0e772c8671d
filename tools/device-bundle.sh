#!/usr/bin/env bash
# Packs what bench/device.sh needs on a lent 16-core machine that has none of cfscan's
# libraries and no network: the built cfscan, cfsgen and cfsbench in build-dev/bin and
# the shared libraries they load (all but glibc's own, which the machine has; the
# binaries need glibc 2.34 or later there) in build-dev/lib.  build-dev/ is ignored by
# git; a session with a device machine names it in the run's `carry` (64 MiB at most).
#   tools/device-bundle.sh [BUILD_DIR]     # default build; build it first
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out="build-dev"
for b in cfscan cfsgen cfsbench; do
  [[ -x $build/$b ]] || { echo "device-bundle.sh: $build/$b missing: build first" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
cp "$build/cfscan" "$build/cfsgen" "$build/cfsbench" "$out/bin/"
# glibc's own libraries stay behind: mixing another glibc's with the machine's loader fails
for b in "$out"/bin/*; do
  ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
  libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libresolv.so.* | ld-linux*) ;;
  *) cp -L "$lib" "$out/lib/" ;;
  esac
done
# the commit cfscan was built from, as it names it (bench/README.md "Where results go"), not
# the tree's now; a cfscan too old to name it gets the tree's, marked "tree:" as run.sh does
commit=$("$out/bin/cfscan" version | sed -n 's/^cfscan .* (commit \([^)]*\))$/\1/p' || true)
if [[ -z $commit || $commit = unknown ]]; then
  commit="tree:$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -z $(git status --porcelain -uno 2>/dev/null) ]] || commit+="+dirty"
fi
echo "$commit" >"$out/COMMIT"
echo "device-bundle.sh: $out: $(find "$out/lib" -type f | wc -l) libraries, $(du -sh "$out" | cut -f1), commit $(cat "$out/COMMIT")"

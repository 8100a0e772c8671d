#!/usr/bin/env bash
# Thread-safety check of the parallel paths: builds cfscan and cfsgen with clang
# -fsanitize=thread against LLVM's OpenMP runtime (libomp) and runs them with Archer, the
# OMPT tool that tells ThreadSanitizer about OpenMP's own synchronisation (barriers,
# tasks, critical sections, atomics), so only real races in our code are reported.
# Scenarios: the generator with 2 threads; scans of many small files, of large inputs cut
# into blocks (zero-copy mapped blocks, copied gzip and FIFO blocks), of enough held-back
# 403s for judging's folded filter copy, `requests`, and `merge`, each at -j4.  Exit
# status 1 if ThreadSanitizer reported anything.
#   tools/tsan.sh            # needs clang, libomp-dev (Debian: clang libomp-14-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${CFS_TSAN_DIR:-$root/build-tsan}
cc=${CC_TSAN:-clang}
archer=${CFS_ARCHER:-}
for a in /usr/lib/llvm-14/lib/libarcher.so /usr/lib/llvm-*/lib/libarcher.so; do
  [ -z "$archer" ] && [ -f "$a" ] && archer=$a
done
if [ -z "$archer" ]; then
  echo "tsan.sh: libarcher.so not found (install libomp-14-dev)" >&2
  exit 2
fi
mkdir -p "$out/obj"
# the libraries CMakeLists.txt links (pkg_check_modules there; of libcurl, loaded by s3://
# inputs and not linked (pipeline/s3_curl.h), only the headers)
pkgs="libzstd libdeflate libxxhash libisal zlib libcrypto snappy"
flags="-std=c11 -D_GNU_SOURCE -DCFS_VERSION=\"tsan\" -O1 -g -fno-omit-frame-pointer -fsanitize=thread -fopenmp -I$root $(pkg-config --cflags $pkgs libcurl)"
libs="$(pkg-config --libs $pkgs) -ldl -lm"
objs=()
# an object is rebuilt when its source, this script or any header is newer: a struct that
# grew in a header would otherwise be laid out two ways in one binary
hdr=$(ls -t "$root"/kernels/*.h "$root"/pipeline/*.h | head -1)
for src in "$root"/kernels/*.c "$root"/pipeline/*.c; do
  o="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$0" -nt "$o" ] || [ "$hdr" -nt "$o" ]; then
    $cc $flags -c "$src" -o "$o"
  fi
  objs+=("$o")
done
$cc $flags "$root/tools/cfscan.c" "${objs[@]}" $libs -fsanitize=thread -fopenmp -o "$out/cfscan"
$cc $flags "$root"/datasets/*.c "${objs[@]}" $libs -fsanitize=thread -fopenmp -o "$out/cfsgen"

# Self-check: TSan must report a plain data race, and Archer must understand OpenMP's own
# synchronisation (without it, the critical section below is a false report).
cat > "$out/selfcheck.c" <<'C'
#include <stdio.h>
int main(void)
{
    int racy = 0, safe = 0;
#pragma omp parallel num_threads(4)
    {
#pragma omp critical
        safe++;
        if (getenv_racy()) racy++;
    }
    printf("%d %d\n", racy, safe);
    return 0;
}
C
sed -i 's/getenv_racy()/RACY/' "$out/selfcheck.c"
$cc -O1 -g -fsanitize=thread -fopenmp -DRACY=1 "$out/selfcheck.c" -o "$out/selfcheck-racy"
$cc -O1 -g -fsanitize=thread -fopenmp -DRACY=0 "$out/selfcheck.c" -o "$out/selfcheck-safe"
export OMP_TOOL_LIBRARIES=$archer
TSAN_OPTIONS="ignore_noninstrumented_modules=1 exitcode=0" "$out/selfcheck-racy" > "$out/selfcheck-racy.log" 2>&1 || true
TSAN_OPTIONS="ignore_noninstrumented_modules=1 exitcode=0" "$out/selfcheck-safe" > "$out/selfcheck-safe.log" 2>&1 || true
if ! grep -q 'WARNING: ThreadSanitizer: data race' "$out/selfcheck-racy.log"; then
  echo "tsan.sh: self-check failed: ThreadSanitizer did not see a planted race" >&2
  exit 2
fi
if grep -q 'WARNING: ThreadSanitizer' "$out/selfcheck-safe.log"; then
  echo "tsan.sh: self-check failed: a race-free OpenMP critical section was reported (Archer not active?)" >&2
  exit 2
fi
echo "tsan.sh: self-check passed (planted race reported, omp critical understood)"
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=0 exitcode=0 log_path=$out/tsan"
rm -f "$out"/tsan.* && rm -rf "$out/data" && mkdir -p "$out/data"
d=$out/data
step() { echo "tsan.sh: $*"; }

step "cfsgen -j2 (many small gzip files, WAF logs, configs)"
"$out/cfsgen" -o "$d/gen" --seed 3 --dists 3 --days 1 --lines-per-file 400 --faults all -j2 >/dev/null
step "cfsgen -j2 (12 MB of plain logs, joined into one file, and its gzip)"
"$out/cfsgen" -o "$d/big" --seed 4 --dists 1 --days 1 --size 12M --format plain -j2 >/dev/null
big=$d/all.log
find "$d/big" -type f -name '*.20*' | sort | xargs cat > "$big"
gzip -c "$big" > "$d/big.gz"
cat "$big" "$big" > "$d/twice" # 25 MB: zero-copy mapped blocks of 8 MiB

step "scan -j4 of many small files, with configs and WAF logs, -o"
"$out/cfscan" scan -q -j4 "$d/gen" --config "$d/gen/config" --waf-logs "$d/gen/waf" -o "$d/s1" >/dev/null || true
step "scan -j4 of large inputs cut into blocks (mapped zero-copy, gzip copied, FIFO)"
"$out/cfscan" scan -q -j4 --split-above 1 "$d/twice" "$d/big.gz" >/dev/null || true
"$out/cfscan" scan -q -j4 --split-above 1 --gzip-decoder zlib "$d/big.gz" "$big" >/dev/null || true
rm -f "$d/fifo" && mkfifo "$d/fifo" && { cat "$big" "$big" > "$d/fifo" & }
"$out/cfscan" scan -q -j4 "$d/fifo" >/dev/null || true
wait
step "scan -j4 of 48 MB with half of its lines 403s (over 16,384 held back: judging's folded filter copy)"
"$out/cfsgen" -o "$d/h403" --seed 5 --dists 1 --days 1 --size 48M --format plain --403-share 0.5 -j2 >/dev/null
"$out/cfscan" scan -q -j4 "$d/h403" --format json >/dev/null || true
step "requests -j4 and merge"
"$out/cfscan" requests -q -j4 --status 403 "$d/gen" "$d/twice" >/dev/null || true
"$out/cfscan" scan -q -j4 "$big" -o "$d/s2" >/dev/null || true
"$out/cfscan" merge -q "$d/s1" "$d/s2" -o "$d/s3" >/dev/null || true

# races, and also crashes and failed checks (a run that died reports no race)
pat='WARNING: ThreadSanitizer|ERROR: ThreadSanitizer|ThreadSanitizer: CHECK failed'
n=$(cat "$out"/tsan.* 2>/dev/null | grep -cE "$pat" || true)
if [ "$n" -gt 0 ]; then
  echo "tsan.sh: $n ThreadSanitizer reports, in $out/tsan.*:"
  cat "$out"/tsan.* | grep -A12 -E "$pat" | head -80
  exit 1
fi
echo "tsan.sh: no ThreadSanitizer reports"

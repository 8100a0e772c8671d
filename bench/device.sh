#!/usr/bin/env bash
# The scaling check of issue 11 on a lent 16-core machine, as one prepared command:
# bench/run.sh at -j1, -j8 and -j16 on the plain, gz and zst sets (generated there), no
# peers, with the binaries and libraries of tools/device-bundle.sh (carried as
# build-dev/).  Results and the log go to $OUT (the device tool's folder that comes
# back), else to /tmp/cfs-device.  Exit 3 when the bundle's binaries cannot run there
# (the ldd output says which library or glibc version is missing).
#   bench/device.sh                 # SIZE=1G THREADS="1 8 16" SETS="plain gz zst" RUNS=3
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
dest=${OUT:-/tmp/cfs-device}
mkdir -p "$dest"
[[ -x build-dev/bin/cfscan ]] || { echo "device.sh: build-dev/ missing: run tools/device-bundle.sh and carry build-dev" >&2; exit 2; }
export LD_LIBRARY_PATH=$PWD/build-dev/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
{
  echo "device.sh: bundle of commit $(cat build-dev/COMMIT 2>/dev/null || echo unknown); $(nproc) CPUs; $(ldd --version 2>/dev/null | head -n1)"
  if ! build-dev/bin/cfscan version; then
    echo "device.sh: cfscan does not run here:"
    ldd build-dev/bin/cfscan
    exit 3
  fi
  bash bench/run.sh --build build-dev/bin --size "${SIZE:-1G}" --runs "${RUNS:-3}" --threads "${THREADS:-1 8 16}" \
    --sets "${SETS:-plain gz zst}" --no-peers --no-micro --no-s3 --no-ipl --cache "${CFS_BENCH_DIR:-/tmp/cfsbench}" \
    --results "$dest/device.csv"
} 2>&1 | tee "$dest/device.log"
exit "${PIPESTATUS[0]}"

#!/usr/bin/env bash
# The newcomer's first command: install dependencies, build, generate a sample archive of
# CloudFront logs and print cfscan's 403 report for it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
rm -rf build/sample
build/cfsgen -o build/sample --seed 1 --dists 3 --days 1 --files-per-hour 2 --lines-per-file 2000
# The generator writes the log files plus what a real deployment would have beside them:
# the distributions' configs (aws cloudfront get-distribution) and the WAF logs.
echo "== cfscan scan build/sample/*.gz --config build/sample/config --waf-logs build/sample/waf -o build/sample-summary" >&2
set +e
build/cfscan scan build/sample/*.gz --config build/sample/config --waf-logs build/sample/waf -o build/sample-summary
rc=$?
set -e
# 0 = clean; 3/4 would mean rejected lines or unreadable inputs, which a fault-free sample never has.
exit $rc

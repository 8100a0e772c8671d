#!/usr/bin/env bash
# Installs cfscan's build dependencies from Debian 12 packages, and with --test those only
# the test suite needs (tools/test.sh passes it).  Does nothing (and needs no network) when
# everything is already present.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libzstd-dev zlib1g-dev libdeflate-dev libxxhash-dev
      libisal-dev libcriterion-dev zstd libdeflate-tools
      libcurl4-openssl-dev  # s3:// inputs: HTTP through libcurl (issue 14)
      libssl-dev            # libcrypto: SHA-256 and HMAC for S3 request signing
      libsnappy-dev)        # Snappy pages in v2 Parquet logs (issue 16)
if [ "${1:-}" = --test ]; then
  # Without them the tests that need them report themselves skipped, naming the package.
  pkgs+=(man-db groff-base # man -l renders the generated cfscan(1) in tests/test_install.c
         slurm-wlm munge   # a single-node Slurm cluster for tests/slurm (issue 13)
         clang-format-14   # tools/check-format.sh: the code style, checked by CTest
         chromium          # headless browser for the HTML report test (puppeteer-core, issue 15)
         python3-boto3     # botocore's SigV4Auth, an independent check of the S3 request signing
         curl)             # uploads to the loopback S3 server in tests/test_s3.c (--update)
fi
# Node.js runs the independent Parquet readers in the test suite (DuckDB, hyparquet).
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

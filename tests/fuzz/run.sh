#!/usr/bin/env bash
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang
# -fsanitize=fuzzer,address,undefined in its own build directory and run each for N
# seconds, two at a time (CFS_FUZZ_PAR to change), then print one summary line per target
# (seconds, exec/s, cov, crashes).  Seeds come from the generator (cfsgen), the shared
# samples and the repository's fixtures, read at fuzz time and never copied into the
# repository; corpora and crash artifacts stay under the build directory.
#   tests/fuzz/run.sh 60            # 60 s per target
#   tests/fuzz/run.sh 60 "decode waf"   # only fuzz_decode and fuzz_waf
# Crash inputs worth keeping go to tests/regress/<target>/ (test_hostile replays them).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${1:-60}
only=${2:-}
out=${CFS_FUZZ_DIR:-$root/build-fuzzer}
par=${CFS_FUZZ_PAR:-2}
cc=${CC_FUZZ:-clang}
mkdir -p "$out/obj" "$out/bin" "$out/corpus" "$out/crashes" "$out/logs" "$out/seed"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -D_GNU_SOURCE -DCFS_VERSION=\"fuzz\" -O1 -g -I$root $san $(pkg-config --cflags libzstd libdeflate libxxhash libisal zlib) -fopenmp"
libs="$(pkg-config --libs libzstd libdeflate libxxhash libisal zlib snappy libcrypto) -ldl -lm -fopenmp"

# 1. the core library, instrumented for coverage (fuzzer-no-link) -------------------------
objs=()
# an object is rebuilt when its source, this script or any header is newer: a struct or
# inline function changed in a header must not leave objects of the old one behind
newest_h=$(ls -t "$root"/kernels/*.h "$root"/pipeline/*.h | head -1)
for src in "$root"/kernels/*.c "$root"/pipeline/*.c; do
  o="$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$0" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    $cc $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  fi
  objs+=("$o")
done
for t in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  [ -n "$only" ] && ! [[ " $only " == *" ${name#fuzz_} "* ]] && continue
  $cc $cflags -fsanitize=fuzzer "$t" "${objs[@]}" $libs -o "$out/bin/$name"
done

# 2. seeds -------------------------------------------------------------------------------------
# cfsgen and cfscan for the seeds are linked from the same objects, so a seed state.cfs
# always has the format of the reader under test (a stale build/ would not).
samples=$root/../shared/samples
$cc $cflags "$root"/datasets/*.c "${objs[@]}" $libs -fsanitize=fuzzer-no-link -o "$out/bin/seed-cfsgen"
$cc $cflags "$root/tools/cfscan.c" "${objs[@]}" $libs -fsanitize=fuzzer-no-link -o "$out/bin/seed-cfscan"
gen=$out/bin/seed-cfsgen
# made again whenever the pipeline or the generator changed (a state.cfs seed of an older
# format would stop the state reader at its first section)
if [ ! -f "$out/seed/.done" ] || [ -n "$(find "$root/pipeline" "$root/datasets" -newer "$out/seed/.done" | head -1)" ]; then
  rm -rf "$out/seed" && mkdir -p "$out/seed"/{fields,decode,config,waf,state,filename,parquet,v2json,parquet_read}
  if [ -x "$gen" ]; then
    "$gen" -o "$out/seed/gen" --seed 7 --dists 2 --days 1 --lines-per-file 20 --layout mixed -j1 >/dev/null 2>&1 || true
    "$gen" -o "$out/seed/genf" --seed 8 --dists 1 --days 1 --lines-per-file 20 --faults all -j1 >/dev/null 2>&1 || true
    "$gen" -o "$out/seed/genj" --seed 9 --dists 1 --days 1 --lines-per-file 8 --layout json --no-waf -j1 >/dev/null 2>&1 || true
  fi
  i=0
  # log files only (not config/, waf/, labels), any compression; zstd -dcf reads all three
  for f in $(find "$out/seed/gen" "$out/seed/genf" -type f -name '*.20*' -not -path '*/waf/*' 2>/dev/null | sort | head -48); do
    i=$((i + 1))
    head -c 16384 "$f" > "$out/seed/decode/g$i"
    # fields: option byte 2 (rows) or 4 (a CloudFront file name: common lines without a
    # record, compared with every line through its record), then the plain log
    { printf '\x02'; zstd -dcfq "$f" 2>/dev/null || true; } | head -c 16384 > "$out/seed/fields/g$i"
    { printf '\x04'; zstd -dcfq "$f" 2>/dev/null || true; } | head -c 16384 > "$out/seed/fields/p$i"
    basename "$f" > "$out/seed/filename/n$i"
    # the same log as zstd and as a two-member gzip
    { zstd -dcfq "$f" 2>/dev/null || true; } | head -c 4096 | zstd -q -c > "$out/seed/decode/z$i" 2>/dev/null || true
    { zstd -dcfq "$f" 2>/dev/null || true; } | head -c 2048 | gzip -c > "$out/seed/decode/m$i"
    { zstd -dcfq "$f" 2>/dev/null || true; } | tail -c 2048 | gzip -c >> "$out/seed/decode/m$i"
  done
  # v2json: the first byte picks the parse (odd: every field), then JSON lines
  for f in $(find "$out/seed/genj" -name 'cloudfront-v2-*' 2>/dev/null | sort | head -8); do
    i=$((i + 1))
    { printf '\x01'; zstd -dcfq "$f" 2>/dev/null || true; } | head -c 16384 > "$out/seed/v2json/j$i"
  done
  for f in "$samples"/*.log; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    { printf '\x00'; cat "$f"; } > "$out/seed/fields/s$i"
    cp "$f" "$out/seed/decode/s$i"
  done
  for f in "$root"/tests/fixtures/config/*.json $(find "$out/seed/gen/config" -name '*.json' 2>/dev/null | head -5); do
    [ -f "$f" ] && cp "$f" "$out/seed/config/$(basename "$f")"
  done
  for f in "$samples"/*waf*.json $(find "$out/seed/gen" -ipath '*waf*' -type f 2>/dev/null | head -5); do
    [ -f "$f" ] && { zstd -dcfq "$f" 2>/dev/null || true; } | head -c 16384 > "$out/seed/waf/$(basename "$f")"
  done
  # state: the decompressed payload of a real state.cfs (fuzz_state wraps it itself)
  cfscan=$out/bin/seed-cfscan
  if [ -d "$out/seed/gen" ]; then
    rm -rf "$out/seed/sum"
    one=$(find "$out/seed/gen" -type f -name '*.20*' -not -path '*/waf/*' | sort | head -1)
    "$cfscan" scan "$one" -o "$out/seed/sum" -q >/dev/null 2>&1 || true
    if [ -f "$out/seed/sum/state.cfs" ]; then
      n=$(stat -c %s "$out/seed/sum/state.cfs")
      tail -c +21 "$out/seed/sum/state.cfs" | head -c $((n - 36)) | zstd -q -d -c > "$out/seed/state/payload" || true
    fi
  fi
  # Parquet logs: cfsgen's own (ZSTD, dictionary pages); files under 16 KiB only
  if [ -x "$gen" ]; then
    "$gen" -o "$out/seed/genp" --seed 9 --dists 1 --days 1 --lines-per-file 12 --layout parquet -j1 >/dev/null 2>&1 || true
    find "$out/seed/genp" -name '*.parquet' -size -16k 2>/dev/null | sort | head -8 | while read -r f; do
      cp "$f" "$out/seed/parquet_read/$(basename "$f")"
    done
    # and DuckDB's (snappy and gzip, v1 and v2 pages), when tests/js has it
    if [ -f "$root/tests/js/node_modules/@duckdb/node-api/package.json" ] && command -v node >/dev/null; then
      "$gen" -o "$out/seed/genv" --seed 9 --dists 1 --days 1 --lines-per-file 6 --layout v2 --format plain -j1 >/dev/null 2>&1 || true
      one=$(find "$out/seed/genv" -name '*.log' | sort | head -1)
      for v in "snappy 4 on V1 1" "gzip 100 off V2 0" "zstd 3 on V2 1" "uncompressed 100 off V1 1"; do
        set -- $v
        node "$root/tests/js/parquet_logs.mjs" "$out/seed/parquet_read/duckdb-$1-$4.parquet" $v "$one" >/dev/null 2>&1 || true
      done
      # typed columns, whose annotations the reader turns into text: DECIMAL in INT32, INT64
      # and FIXED_LEN_BYTE_ARRAY, DATE, TIME, TIMESTAMP in two units, unsigned integers
      node "$root/tests/js/summary_sql.mjs" duckdb "COPY (SELECT DATE '2026-11-01' AS date, \
        TIME '10:00:00' + INTERVAL (i) SECOND AS time, TIMESTAMP '2026-11-01 10:00:00.541' AS timestamp_ms, \
        TIMESTAMP_NS '2026-11-01 10:00:00.5' AS timestamp, CAST(i % 2 * 403 AS BIGINT) AS sc_status, \
        CAST(i / 1000.0 AS DECIMAL(9,3)) AS time_taken, CAST(i / 1000.0 AS DECIMAL(38,3)) AS time_to_first_byte, \
        CAST(-i / 100.0 AS DECIMAL(4,2)) AS origin_fbl, CAST(i AS UINTEGER) AS c_port, \
        CAST(i AS UBIGINT) AS sc_bytes FROM range(0, 12) t(i)) \
        TO '$out/seed/parquet_read/duckdb-typed.parquet' (FORMAT parquet)" >/dev/null 2>&1 || true
    fi
  fi
  printf 'E2EXAMPLE12345.2026-11-01-10.abcdef12.gz' > "$out/seed/filename/x"
  printf '2026-11-01T10:00Z' > "$out/seed/filename/t"
  touch "$out/seed/.done"
fi
seed_of() {
  case $1 in
    fuzz_fields) echo fields ;; fuzz_decode) echo decode ;; fuzz_config) echo config ;;
    fuzz_waf) echo waf ;; fuzz_state | fuzz_merge) echo state ;; fuzz_filename) echo filename ;;
    fuzz_v2json) echo v2json ;;
    fuzz_parquet_read) echo parquet_read ;;
    *) echo parquet ;;
  esac
}

# 3. run, $par at a time ---------------------------------------------------------------------
run_one() {
  local name=$1 rss=2048 asan=detect_leaks=1:allocator_may_return_null=1
  # fuzz_merge checks memory as well as crashes: a state of at most max_len bytes may
  # make the reader commit 64 MiB (its budget, summary_state.c), merge holds about three
  # copies, and ASan's quarantine is kept small so that freed memory does not count.
  if [ "$name" = fuzz_merge ]; then rss=512; asan=$asan:quarantine_size_mb=16; fi
  mkdir -p "$out/corpus/$name" "$out/crashes/$name"
  ASAN_OPTIONS=$asan UBSAN_OPTIONS=print_stacktrace=1 OMP_NUM_THREADS=1 \
    "$out/bin/$name" -max_total_time="$secs" -timeout=20 -rss_limit_mb=$rss -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$out/crashes/$name/" \
    "$out/corpus/$name" "$out/seed/$(seed_of "$name")" > "$out/logs/$name.log" 2>&1 || true
}
names=()
for b in "$out"/bin/fuzz_*; do
  n=$(basename "$b")
  [ -n "$only" ] && ! [[ " $only " == *" ${n#fuzz_} "* ]] && continue
  names+=("$n")
done
running=0
for n in "${names[@]}"; do
  run_one "$n" &
  running=$((running + 1))
  if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
done
wait

# 4. summary -------------------------------------------------------------------------------------
printf '%-15s %6s %8s %6s %s\n' target seconds exec/s cov crashes
status=0
for n in "${names[@]}"; do
  log=$out/logs/$n.log
  # (a target that crashed on its seeds has no exec/s or cov line: no grep may stop the script)
  execs=$({ grep -o 'exec/s: [0-9]*' "$log" || true; } | tail -1 | awk '{print $2}')
  rate=$({ grep -m1 'stat::average_exec_per_sec' "$log" || true; } | awk '{print $2}')
  cov=$({ grep -o 'cov: [0-9]*' "$log" || true; } | tail -1 | awk '{print $2}')
  t=$(grep -m1 'stat::number_of_executed_units' "$log" >/dev/null && echo "$secs" || echo "?")
  nc=$(find "$out/crashes/$n" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  [ "$nc" -gt 0 ] && status=1
  printf '%-15s %6s %8s %6s %s\n' "$n" "$t" "${rate:-${execs:-?}}" "${cov:-?}" "$nc"
done
exit $status

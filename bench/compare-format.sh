#!/usr/bin/env bash
# Compares castor's xorb encoding and decoding with the lz4 command line tool's benchmark mode,
# both measured in this run on the same generated inputs (32 MiB each, chunked by castor's CDC):
#   bf16.bin          bf16-like weights (normal values, per-tensor and per-row scales)
#   bf16-grouped.bin  the same, byte-grouped (BG4) chunk by chunk: what BG4 chunks LZ4-compress
#   random.bin        incompressible bytes
# castor: bench/format_bench (Google Benchmark, CPU time per core, median of RUNS repetitions,
# interleaved with the in-process liblz4 peers).
# lz4: `lz4 -b1 -B131072` (level 1, 128 KiB blocks like a maximal chunk; median of RUNS runs of
# its best-of-iterations figure; lz4 times wall clock, so run this on an idle machine).
# Also prints castor's BG4 build stages on their own (the prediction of every chunk, though a
# build predicts only every 16th chunk of a numeric run; the byte grouping) and the compression
# ratios on bf16 for none, LZ4, BG4+LZ4, castor's choice and trying both codecs on every chunk.
#
# Usage: bench/compare-format.sh     Environment: BUILD_DIR (default build), RUNS (default 5)
set -euo pipefail
. "$(dirname "$0")/cpu.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
build=${BUILD_DIR:-$root/build}
[[ "$build" = /* ]] || build="$root/$build"
runs=${RUNS:-5}
bench="$build/bench/format_bench"
die() { echo "compare-format.sh: $*" >&2; exit 1; }
[[ -x "$bench" ]] || die "build first: BUILD_DIR=$build scripts/build.sh"
command -v lz4 >/dev/null || die "lz4 not found (scripts/install-deps.sh --test)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bench" write-data "$work"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# lz4 -b prints "...: IN -> OUT (RATIO), C MB/s ,D MB/s" after carriage returns.
declare -A lz4c lz4d lz4r
for f in bf16 bf16-grouped random; do
  : >"$work/c"; : >"$work/d"
  for _ in $(seq "$runs"); do
    line=$(lz4 -b1 -i1 -B131072 "$work/$f.bin" 2>&1 | tr '\r' '\n' | grep 'MB/s ,' | tail -1)
    [[ -n "$line" ]] || die "could not parse lz4 -b output for $f"
    sed -E 's/.*\),\s*([0-9.]+) MB\/s.*/\1/' <<<"$line" >>"$work/c"
    sed -E 's/.*,\s*([0-9.]+) MB\/s\s*$/\1/' <<<"$line" >>"$work/d"
    lz4r[$f]=$(sed -E 's/.*\(([0-9.]+)\).*/\1/' <<<"$line")
  done
  lz4c[$f]=$(awk '{print $1/1000}' "$work/c" | median | awk '{printf "%.2f", $1}')
  lz4d[$f]=$(awk '{print $1/1000}' "$work/d" | median | awk '{printf "%.2f", $1}')
done

# Repetitions of all benchmarks interleaved in random order, so that a burst of load from other
# processes spreads over castor and the peers instead of landing on one of them.
"$bench" --benchmark_repetitions="$runs" --benchmark_report_aggregates_only=true \
  --benchmark_enable_random_interleaving=true \
  --benchmark_format=json --benchmark_min_time=0.5 >"$work/bench.json" 2>/dev/null
declare -A gb wall
while read -r name value w; do gb[$name]=$value; wall[$name]=$w; done < <(python3 - "$work/bench.json" <<'PY'
import json, sys
# With one repetition there are no aggregates: that run is the median.
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") == "median" or b.get("repetitions", 1) <= 1:
        cpu = b["bytes_per_second"] / 1e9
        print(b["run_name"].replace("BM_", ""), "%.2f" % cpu, "%.2f" % (cpu * b["cpu_time"] / b["real_time"]))
PY
)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }

echo
echo "Medians of $runs runs, GB/s on one core. castor and liblz4 (in the same program): CPU"
echo "time. lz4 CLI: wall clock, best of its iterations (comparable only on an idle machine)."
printf '%-48s %7s %7s %7s %7s\n' "stage" "castor" "liblz4" "ratio" "lz4 CLI"
row() {  # row LABEL CASTOR_BENCH PEER_BENCH LZ4_CLI
  local peer="-" r="-"
  if [[ -n "$3" ]]; then peer=${gb[$3]}; r=$(ratio "${gb[$2]}" "$peer"); fi
  printf '%-48s %7s %7s %7s %7s\n' "$1" "${gb[$2]}" "$peer" "$r" "$4"
}
row "decode bf16 (LZ4 + BG4 regroup; peer: LZ4 only)" DecodeBf16 PeerLz4DecompressGrouped \
  "${lz4d[bf16-grouped]}"
row "decode stored chunks, zero-copy view" DecodeStoredView "" "${lz4d[random]}"
row "decode stored chunks, copied (peer: memcpy)" DecodeStoredCopy MemcpyChunks "${lz4d[random]}"
row "build xorb, incompressible (peer: LZ4 only)" BuildRandom PeerLz4CompressRandom \
  "${lz4c[random]}"
row "recompress a raw xorb in place, incompressible" RecompressRandomInPlace PeerLz4CompressRandom \
  "${lz4c[random]}"
row "build xorb, bf16, castor's choice (peer: LZ4)" BuildBf16 PeerLz4CompressGrouped \
  "${lz4c[bf16-grouped]}"
row "build xorb, bf16, both codecs per chunk" BuildBf16BestOf PeerLz4CompressGrouped \
  "${lz4c[bf16-grouped]}"
row "build xorb, bf16, BG4 forced (no prediction)" BuildBf16Bg4Only PeerLz4CompressGrouped \
  "${lz4c[bf16-grouped]}"
row "build xorb, bf16, LZ4 only (peer: LZ4 of bf16)" BuildBf16Lz4Only PeerLz4CompressBf16 \
  "${lz4c[bf16]}"
row "  stage: scheme prediction of every bf16 chunk" StagePredictBf16 "" "-"
row "  stage: BG4 grouping of every bf16 chunk" StageBg4SplitBf16 "" "-"
echo
echo "Compression ratios on bf16-like weights (uncompressed / serialized, headers included):"
"$bench" ratios
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores;" \
  "CPU: $(cpu_description);" \
  "lz4 $(lz4 -V 2>&1 | grep -o 'v[0-9.]*[0-9]' | head -1)"
echo "lz4 -b1 -B131072 ratios: bf16 ${lz4r[bf16]}, bf16-grouped ${lz4r[bf16-grouped]}, random ${lz4r[random]}"

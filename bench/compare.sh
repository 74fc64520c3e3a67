#!/usr/bin/env bash
# Compares castor's chunking and hashing with its peers, all measured in this run on the same
# generated inputs (deterministic SplitMix64 random bytes and bf16-like weights):
#   1. chunking alone, in memory, one core: castor's Chunker vs the spec's literal loop and the
#      plain scalar loop with skip-ahead (Google Benchmark, CPU time per core);
#   2. chunk + hash end to end (`castor chunk FILE > /dev/null`) vs the official JS implementation
#      (@huggingface/xetchunk-wasm 0.2.0 on node), on one core (taskset) and on two;
#   3. `castor hash FILE` (file id + SHA-256, all cores) vs `sha256sum` and `b3sum --no-mmap`:
#      wall clock and peak RSS (GNU time);
#   4. with COLD=1 (root): 3 again on the bf16 file with the page cache dropped before each run.
# Files are read from the page cache (one warm-up run each); medians of RUNS runs.
#
# Usage: bench/compare.sh [SIZE_MIB]   (default 1024)
# Environment: BUILD_DIR (default build), RUNS (default 5), BENCH_DIR (default /tmp/castor-bench),
#   COLD (1 = also section 4).
# Needs: a Release build (castor, bench/chunking_bench), node + tests/interop/setup.sh, b3sum,
# sha256sum, GNU time, taskset.
set -euo pipefail
. "$(dirname "$0")/cpu.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
build=${BUILD_DIR:-$root/build}
[[ "$build" = /* ]] || build="$root/$build"
runs=${RUNS:-5}
work=${BENCH_DIR:-/tmp/castor-bench}
castor="$build/castor"
bench="$build/bench/chunking_bench"
peer="$root/tests/interop/xetchunk_chunk.mjs"
bytes=$((size_mib * 1048576))

die() { echo "compare.sh: $*" >&2; exit 1; }
[[ "$size_mib" =~ ^[1-9][0-9]*$ ]] || die "SIZE_MIB must be a positive integer"
[[ -x "$castor" && -x "$bench" ]] || die "build first: BUILD_DIR=$build scripts/build.sh"
[[ -d "$root/tests/interop/node_modules/@huggingface/xetchunk-wasm" ]] ||
  die "run tests/interop/setup.sh (npm ci) first"
for t in node sha256sum b3sum taskset /usr/bin/time; do
  command -v "$t" >/dev/null || die "$t not found (scripts/install-deps.sh --test)"
done
mkdir -p "$work"

declare -A file
for kind in random bf16; do
  f="$work/$kind-${size_mib}MiB.bin"
  if [[ ! -f "$f" || $(stat -c %s "$f") -ne $bytes ]]; then
    echo "generating $f"
    "$bench" generate "$kind" "$bytes" "$f"
  fi
  file[$kind]=$f
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
gbps() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.2f", b / s / 1e9}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }

# timed KEY CMD...: one warm-up run, then RUNS timed runs; sets wall[KEY] (median seconds),
# cpu[KEY] (median user + system seconds: less sensitive than wall clock to other load on the
# machine) and rss[KEY] (largest peak RSS, MiB). With cold=1, no warm-up and the page cache is
# dropped before every run.
declare -A wall cpu rss
cold=0
timed() {
  local key=$1
  shift
  [[ $cold == 1 ]] || "$@" >/dev/null 2>&1 || die "failed: $*"
  : >"$work/times"
  for _ in $(seq "$runs"); do
    [[ $cold == 0 ]] || { sync && echo 1 >/proc/sys/vm/drop_caches; }
    /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >/dev/null 2>"$work/err" || die "failed: $*"
    cat "$work/t" >>"$work/times"
  done
  wall[$key]=$(cut -d' ' -f1 "$work/times" | median)
  rss[$key]=$(cut -d' ' -f2 "$work/times" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}')
  cpu[$key]=$(awk '{print $3 + $4}' "$work/times" | median)
}

echo "castor $("$castor" --version | awk '{print $2}') at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?');" \
  "$(nproc) cores ($(cpu_description)); inputs ${size_mib} MiB; median of $runs runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== 1. chunking alone (in memory, one core, GB/s of CPU time) =="
CASTOR_BENCH_RANDOM=${file[random]} CASTOR_BENCH_BF16=${file[bf16]} \
  "$bench" --benchmark_filter='^BM_Chunk(ReferenceLoop|ScalarSkip|Castor)/' \
  --benchmark_repetitions=$((runs < 3 ? 3 : runs)) --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$work/chunking.json" >/dev/null 2>&1 ||
  die "chunking_bench failed"
node -e '
  const r = require(process.argv[1]).benchmarks.filter((b) => b.aggregate_name === "median");
  const speed = {};
  for (const b of r) {
    const [name, arg] = b.run_name.split("/");
    speed[name + "/" + b.label] = b.bytes_per_second / 1e9;
  }
  for (const kind of ["random", "bf16"]) {
    const c = speed["BM_ChunkCastor/" + kind], s = speed["BM_ChunkScalarSkip/" + kind],
      l = speed["BM_ChunkReferenceLoop/" + kind];
    console.log(`${kind.padEnd(7)} castor ${c.toFixed(2)}   scalar+skip ${s.toFixed(2)} (castor ${(c / s).toFixed(2)}x)` +
      `   literal spec loop ${l.toFixed(2)} (castor ${(c / l).toFixed(2)}x)`);
  }' "$work/chunking.json"

echo
echo "== 2. chunk + hash end to end, output to /dev/null (wall clock, and CPU seconds user+sys) =="
printf '%-8s %-30s %8s %6s %7s %8s %6s %7s\n' input program wall GB/s "vs JS" "cpu s" GB/s "vs JS"
for kind in random bf16; do
  f=${file[$kind]}
  timed "js-$kind" taskset -c 0 node "$peer" "$f"
  timed "c1-$kind" taskset -c 0 "$castor" chunk --threads 1 "$f"
  timed "c2-$kind" "$castor" chunk --threads 2 "$f"
  for p in "js:xetchunk-wasm (node, 1 core)" "c1:castor chunk (1 core)" "c2:castor chunk (2 threads)"; do
    k=${p%%:*}-$kind
    printf '%-8s %-30s %8.2f %6s %7s %8.2f %6s %7s\n' "$kind" "${p#*:}" "${wall[$k]}" \
      "$(gbps "${wall[$k]}")" "$(ratio "${wall[js-$kind]}" "${wall[$k]}")" "${cpu[$k]}" \
      "$(gbps "${cpu[$k]}")" "$(ratio "${cpu[js-$kind]}" "${cpu[$k]}")"
  done
done

echo
echo "== 3. file id + SHA-256 of a ${size_mib} MiB file (wall clock, all cores; CPU seconds) =="
printf '%-8s %-34s %8s %6s %7s %12s\n' input program wall GB/s "cpu s" "peak RSS MiB"
for kind in random bf16; do
  f=${file[$kind]}
  timed "h-$kind" "$castor" hash "$f"
  timed "s-$kind" sha256sum "$f"
  timed "b-$kind" b3sum --no-mmap "$f"
  for p in "h:castor hash (file id + sha256)" "s:sha256sum" "b:b3sum --no-mmap (BLAKE3 only)"; do
    k=${p%%:*}
    printf '%-8s %-34s %8.2f %6s %7.2f %12s\n' "$kind" "${p#*:}" "${wall[$k-$kind]}" \
      "$(gbps "${wall[$k-$kind]}")" "${cpu[$k-$kind]}" "${rss[$k-$kind]}"
  done
  echo "$kind: castor hash is $(ratio "${wall[s-$kind]}" "${wall[h-$kind]}") sha256sum's speed"
done

# 4 (COLD=1, needs root): the same as 3 on a file that is not in the page cache, as a model file
# usually is not: the page cache is dropped before every run (no warm-up run).
if [[ ${COLD:-0} == 1 ]]; then
  [[ -w /proc/sys/vm/drop_caches ]] || die "COLD=1 needs root (writes /proc/sys/vm/drop_caches)"
  cold=1
  echo
  echo "== 4. as 3, the page cache dropped before every run (bf16 input read from disk) =="
  printf '%-8s %-34s %8s %6s %7s %12s\n' input program wall GB/s "cpu s" "peak RSS MiB"
  f=${file[bf16]}
  timed "ch" "$castor" hash "$f"
  timed "cs" sha256sum "$f"
  timed "cb" b3sum --no-mmap "$f"
  for p in "ch:castor hash (file id + sha256)" "cs:sha256sum" "cb:b3sum --no-mmap (BLAKE3 only)"; do
    k=${p%%:*}
    printf '%-8s %-34s %8.2f %6s %7.2f %12s\n' bf16 "${p#*:}" "${wall[$k]}" "$(gbps "${wall[$k]}")" \
      "${cpu[$k]}" "${rss[$k]}"
  done
fi

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Transfer speed over loopback: castor push / castor pull against castor serve (local-directory
# store), beside peers measured in the same run on the same file:
#   1. pull: `castor pull` (and `castor pull --buffered`, writing through the page cache instead of
#      O_DIRECT) vs the official Hugging Face JS client (@huggingface/hub 2.17.5,
#      XetBlob streamed to a file, tests/interop-hub/xetblob_download.mjs) from the same server;
#      peak RSS of both (GNU time);
#   2. push of new data: `castor push --no-cache` to a server with an empty store (a fresh
#      server per run), with castor's default compression and with `--compression none` (what
#      the push costs without compressing: the protocol's hashing, sending and storing);
#   3. re-push of unchanged data, with the local shard cache and without it (global dedup
#      queries only), vs `castor hash` of the same file (chunking + hashing, the floor).
# The input is weights-like (bf16, bench/chunking_bench generate) or random (KIND=random). Files
# are read from the page cache (one warm-up run each); medians of RUNS runs. The server's store
# lives in BENCH_DIR (on disk; its writes go to the page cache). Client and server share the
# machine's cores, as on any loopback test.
#
# Usage: bench/compare-transfer.sh [SIZE_MIB]   (default 1024)
# Environment: BUILD_DIR (default build), CASTOR (default $BUILD_DIR/castor), RUNS (default 3),
#   KIND (bf16|random, default bf16), PEER (1 = also run XetBlob, default; 0 = castor only, e.g.
#   to compare two castor builds), BENCH_DIR (default /tmp/castor-bench-transfer).
# Needs: a Release build (castor, bench/chunking_bench), node + tests/interop-hub/setup.sh,
#   GNU time.
set -euo pipefail
. "$(dirname "$0")/cpu.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
build=${BUILD_DIR:-$root/build}
[[ "$build" = /* ]] || build="$root/$build"
runs=${RUNS:-3}
kind=${KIND:-bf16}
peer_on=${PEER:-1}
work=${BENCH_DIR:-/tmp/castor-bench-transfer}
castor=${CASTOR:-$build/castor}
gen="$build/bench/chunking_bench"
peer="$root/tests/interop-hub/xetblob_download.mjs"
bytes=$((size_mib * 1048576))

die() { echo "compare-transfer.sh: $*" >&2; exit 1; }
[[ "$size_mib" =~ ^[1-9][0-9]*$ ]] || die "SIZE_MIB must be a positive integer"
[[ "$kind" == bf16 || "$kind" == random ]] || die "KIND must be bf16 or random"
[[ -x "$castor" && -x "$gen" ]] || die "build first: BUILD_DIR=$build scripts/build.sh"
[[ "$peer_on" == 0 || -d "$root/tests/interop-hub/node_modules/@huggingface/hub" ]] ||
  die "run tests/interop-hub/setup.sh (npm ci) first"
for t in node /usr/bin/time cmp; do command -v "$t" >/dev/null || die "$t not found"; done
mkdir -p "$work"
input="$work/$kind-${size_mib}MiB.bin"
if [[ ! -f "$input" || $(stat -c %s "$input") -ne $bytes ]]; then
  echo "generating $input"
  "$gen" generate "$kind" "$bytes" "$input"
fi
cat "$input" >/dev/null  # into the page cache

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT
# start_server STORE_DIR: a castor serve on a free loopback port; sets url.
start_server() {
  stop_server
  rm -rf "$1"
  : >"$work/serve.out"  # before the server starts: never read an earlier server's banner
  "$castor" serve --store "$1" --listen 127.0.0.1:0 --log-level warn >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -nE 's/.*listening on [^:]+:([0-9]+),.*/\1/p' "$work/serve.out")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || die "castor serve did not start: $(cat "$work/serve.err")"
  url="http://127.0.0.1:$port"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
gbps() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.2f", b / s / 1e9}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }

# CPU seconds (user + system) the server has used so far.
server_cpu() {
  [[ -n "$server_pid" ]] || { echo 0; return; }
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$server_pid/stat"
}
# timed_run CMD...: one run of CMD under GNU time; appends "wall rss_kib client_cpu server_cpu" to
# $work/times.
timed_run() {
  local s0 s1
  s0=$(server_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >"$work/out" 2>"$work/err" ||
    die "failed: $* ($(tail -3 "$work/err"))"
  s1=$(server_cpu)
  awk -v a="$s0" -v b="$s1" '{printf "%s %s %.2f %.2f\n", $1, $2, $3 + $4, b - a}' "$work/t" >>"$work/times"
}
# summarize KEY: from $work/times, wall[KEY] and cpu/scpu[KEY] (medians), rss[KEY] (largest, MiB).
declare -A wall rss cpu scpu
summarize() {
  wall[$1]=$(cut -d' ' -f1 "$work/times" | median)
  rss[$1]=$(cut -d' ' -f2 "$work/times" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}')
  cpu[$1]=$(cut -d' ' -f3 "$work/times" | median)
  scpu[$1]=$(cut -d' ' -f4 "$work/times" | median)
}
# measure KEY BEFORE_CMD -- CMD...: RUNS timed runs of CMD, each after `eval BEFORE_CMD` (untimed).
measure() {
  local key=$1 before=$2
  shift 3
  : >"$work/times"
  for _ in $(seq "$runs"); do
    eval "$before"
    timed_run "$@"
  done
  summarize "$key"
}
row() {  # row LABEL KEY [PEER_KEY]
  local r=""
  [[ $# -ge 3 ]] && r=$(ratio "${wall[$3]}" "${wall[$2]}")
  printf "  %-46s %7.2f s %5s GB/s %5s MiB %6.2f s %6.2f s  %s\n" "$1" "${wall[$2]}" \
    "$(gbps "${wall[$2]}")" "${rss[$2]}" "${cpu[$2]}" "${scpu[$2]}" "$r"
}

echo "castor at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?');" \
  "$(nproc) cores ($(cpu_description));" \
  "input $kind ${size_mib} MiB; median of $runs runs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "                                                    wall       speed  peak RSS  client   server  ratio"
echo "                                                                         CPU      CPU"

# --- 2. push of new data: a fresh, empty server each run -----------------------------------------
# Uncompressed first, so that the server left running after the loop below holds the default form.
has_compression=0  # builds before the option always compress
if "$castor" push --help 2>/dev/null | grep -q -- --compression; then
  has_compression=1
  : >"$work/times"
  for _ in $(seq "$runs"); do
    start_server "$work/store"
    timed_run "$castor" push --endpoint "$url" --no-cache --compression none "$input"
    raw_file_id=$(cut -d' ' -f1 "$work/out")
  done
  summarize push_raw
  push_raw_summary=$(tail -1 "$work/err")
fi
: >"$work/times"
for _ in $(seq "$runs"); do
  start_server "$work/store"
  timed_run "$castor" push --endpoint "$url" --no-cache "$input"
  cp "$work/out" "$work/push.out"
  cp "$work/err" "$work/push.err"
done
summarize push_new
file_id=$(cut -d' ' -f1 "$work/push.out")
push_summary=$(tail -1 "$work/push.err")
[[ "$file_id" =~ ^[0-9a-f]{64}$ ]] || die "push printed no file id"
[[ $has_compression == 0 || "$raw_file_id" == "$file_id" ]] || die "push --compression none: another file id"

# --- 3. re-push of unchanged data (the server from the last run holds it) -------------------------
measure hash ":" -- "$castor" hash "$input"
measure repush_nocache ":" -- "$castor" push --endpoint "$url" --no-cache "$input"
repush_summary=$(tail -1 "$work/err")
rm -rf "$work/cache"
"$castor" push --endpoint "$url" --cache-dir "$work/cache" "$input" >/dev/null 2>&1  # fills the cache
measure repush_cache ":" -- "$castor" push --endpoint "$url" --cache-dir "$work/cache" "$input"

# --- 1. pull, castor vs the JS client, same server and file ---------------------------------------
out="$work/pulled.bin"
measure pull "rm -f '$out' '$out'.castor*" -- "$castor" pull -q --no-resume --endpoint "$url" "$file_id" -o "$out"
cmp -s "$out" "$input" || die "castor pull returned different bytes"
has_buffered=0  # builds before O_DIRECT pulls have no --buffered
if "$castor" pull --help 2>/dev/null | grep -q -- --buffered; then
  has_buffered=1
  measure pull_buffered "rm -f '$out' '$out'.castor*" -- "$castor" pull -q --no-resume --buffered --endpoint "$url" "$file_id" -o "$out"
  cmp -s "$out" "$input" || die "castor pull --buffered returned different bytes"
fi
if [[ "$peer_on" != 0 ]]; then
  token_url="$url/api/models/bench/model/xet-read-token/main"
  measure xetblob "rm -f '$out'" -- node "$peer" "$token_url" "$file_id" "$bytes" "$out"
  cmp -s "$out" "$input" || die "XetBlob returned different bytes"
fi
rm -f "$out"

echo "pull (castor serve -> file, loopback)"
if [[ "$peer_on" != 0 ]]; then
  row "XetBlob (@huggingface/hub 2.17.5, node $(node --version))" xetblob
  row "castor pull" pull xetblob
  if [[ $has_buffered == 1 ]]; then row "castor pull --buffered (through the page cache)" pull_buffered xetblob; fi
else
  row "castor pull" pull
  if [[ $has_buffered == 1 ]]; then row "castor pull --buffered (through the page cache)" pull_buffered; fi
fi
echo "push of new data (empty server, --no-cache)"
row "castor push" push_new
echo "    $push_summary"
if [[ $has_compression == 1 ]]; then
  row "castor push --compression none" push_raw
  echo "    $push_raw_summary"
fi
echo "re-push of unchanged data"
row "castor hash (chunk + hash + sha256, the floor)" hash
row "castor push, shard cache" repush_cache hash
row "castor push --no-cache (global dedup queries)" repush_nocache hash
echo "    $repush_summary"
echo "ratios: castor pull vs XetBlob = XetBlob time / castor time; re-push = castor hash time / push time."
echo "client CPU = user + system seconds of the client process; server CPU = castor serve's, same interval."
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# castor vs awscli on one S3 server, in the same run: upload and download of one object of SIZE
# (default 1 GiB) to a single-node OpenStack Swift s3api on 127.0.0.1 (started and stopped here),
# ROUNDS times each (default 3), alternating who goes first; prints medians, the speed ratio and
# peak RSS. Both tools run with their default settings. Then the local-store range-read
# benchmark (castor vs pread of the same file, page cache).
# Usage: bench/compare-storage.sh [SIZE]      SIZE in bytes or with K/M/G suffix
#   env: BUILD_DIR (default build), ROUNDS (default 3), KEEP=1 keeps the temp directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
size_arg="${1:-1G}"
rounds="${ROUNDS:-3}"
size=$(numfmt --from=iec "$size_arg")
castor="$build/castor"
[[ -x $castor ]] || { echo "compare-storage: $castor not built (scripts/build.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "compare-storage: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v aws >/dev/null || { echo "compare-storage: needs awscli" >&2; exit 1; }

work="$(mktemp -d /tmp/castor-compare-storage.XXXXXX)"
cleanup() {
  "$root/tests/s3/servers.sh" stop "$work/servers" >/dev/null 2>&1 || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
"$root/tests/s3/servers.sh" start "$work/servers" swift >/dev/null
port=$(cat "$work/servers/swift.port")
endpoint="http://127.0.0.1:$port"

# Credentials of the test Swift; awscli with no config file = its defaults
# (10 concurrent requests, 8 MiB multipart chunks and threshold).
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_CA_BUNDLE AWS_PROFILE AWS_SESSION_TOKEN
uri="s3://castor-test/bench?endpoint=$endpoint&path_style=1"

echo "compare-storage: $(numfmt --to=iec "$size") object, $rounds rounds, Swift s3api on 127.0.0.1:$port"
head -c "$size" /dev/urandom >"$work/input"

# run LABEL CMD... : appends "seconds peak_kib cpu_seconds" to $work/LABEL
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    echo "compare-storage: $label failed:" >&2; cat "$work/err" >&2; exit 1; }
  awk '{print $1, $2, $3 + $4}' "$work/time" >>"$work/$label"
}
check() { cmp -s "$work/input" "$1" || { echo "compare-storage: $1 differs from the input" >&2; exit 1; }; rm -f "$1"; }

castor_up() { run castor_up "$castor" store put "$uri" "castor-$1" "$work/input"; }
aws_up() { run aws_up aws --endpoint-url "$endpoint" s3 cp "$work/input" "s3://castor-test/bench/aws-$1"; }
castor_down() { run castor_down "$castor" store get "$uri" "aws-$1" "$work/out-c"; check "$work/out-c"; }
aws_down() { run aws_down aws --endpoint-url "$endpoint" s3 cp "s3://castor-test/bench/castor-$1" "$work/out-a"; check "$work/out-a"; }

for r in $(seq "$rounds"); do
  if ((r % 2)); then castor_up "$r"; aws_up "$r"; castor_down "$r"; aws_down "$r"
  else aws_up "$r"; castor_up "$r"; aws_down "$r"; castor_down "$r"; fi
  echo "  round $r done"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report() {  # report DIRECTION
  local c a cr ar cc ac
  c=$(cut -d' ' -f1 "$work/castor_$1" | median); a=$(cut -d' ' -f1 "$work/aws_$1" | median)
  cr=$(cut -d' ' -f2 "$work/castor_$1" | median); ar=$(cut -d' ' -f2 "$work/aws_$1" | median)
  cc=$(cut -d' ' -f3 "$work/castor_$1" | median); ac=$(cut -d' ' -f3 "$work/aws_$1" | median)
  awk -v d="$1" -v c="$c" -v a="$a" -v cr="$cr" -v ar="$ar" -v cc="$cc" -v ac="$ac" -v s="$size" 'BEGIN {
    printf "| %-4s | %6.2f s  %6.1f MiB/s | %6.2f s  %6.1f MiB/s | %5.2fx | %5.0f MiB | %5.0f MiB | %5.2f s | %5.2f s |\n",
      d, c, s/1048576/c, a, s/1048576/a, a/c, cr/1024, ar/1024, cc, ac }'
}
echo
echo "| $(numfmt --to=iec "$size") | castor (median of $rounds) | aws s3 cp (median of $rounds) | castor speedup | castor peak RSS | aws peak RSS | castor CPU | aws CPU |"
echo "|---|---|---|---|---|---|---|---|"
report up
report down

if [[ -x "$build/bench/storage_bench" ]]; then
  echo
  echo "Local store range reads (page cache), castor vs pread, medians of 5:"
  "$build/bench/storage_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_format=json 2>/dev/null >"$work/bench.json"
  python3 - "$work/bench.json" <<'PY'
import json, sys
rows = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name, size = b["run_name"].split("/")[0], int(b["run_name"].split("/")[1])
    rows.setdefault(size, {})[name] = b["bytes_per_second"] / 1e9
print("| range | castor GetRange | pread, new buffer | ratio | castor ReadRange | pread, reused buffer | ratio |")
print("|---|---|---|---|---|---|---|")
for size in sorted(rows):
    r = rows[size]
    g, p = r["BM_Castor_GetRange"], r["BM_Peer_Pread"]
    s, q = r["BM_Castor_ReadRange"], r["BM_Peer_PreadReusedBuffer"]
    print(f"| {size >> 10} KiB | {g:.2f} GB/s | {p:.2f} GB/s | {g/p:.2f}x | {s:.2f} GB/s | {q:.2f} GB/s | {s/q:.2f}x |")
PY
fi

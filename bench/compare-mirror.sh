#!/usr/bin/env bash
# castor mirror vs the download-then-copy recipe, in the same run: a synthetic model repository of
# SIZE (default 2 GiB: 8 LFS weight shards + small files) on the fake Hub (tests/hub/fake_hub.py,
# serving from local files on 127.0.0.1), copied into a single-node OpenStack Swift s3api:
#   castor: castor mirror REPO --to s3://...           (streams Hub -> S3 multipart, no local disk)
#   peer:   node snapshot_download.mjs (the official @huggingface/hub snapshotDownload to disk)
#           then aws s3 cp --recursive                 (the usual recipe)
# ROUNDS times each (default 3), alternating who goes first; prints medians, the ratio, peak RSS,
# and the local disk each used. (The castor:// dedup case is measured by tests/hub/mirror_test.py.)
# Usage: bench/compare-mirror.sh [SIZE]      SIZE in bytes or with K/M/G suffix (e.g. 256M for a quick run)
#   env: BUILD_DIR (default build), ROUNDS (default 3), KEEP=1 keeps the temp directory,
#   MIRROR_ARGS extra options for castor mirror (e.g. "--config FILE").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
size=$(numfmt --from=iec "${1:-2G}")
rounds="${ROUNDS:-3}"
castor="$build/castor"
[[ -x $castor ]] || { echo "compare-mirror: $castor not built (scripts/build.sh)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "compare-mirror: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v aws >/dev/null || { echo "compare-mirror: needs awscli" >&2; exit 1; }
[[ -d $root/tests/hub/node_modules/@huggingface/hub ]] || "$root/tests/hub/setup.sh"

work="$(mktemp -d /tmp/castor-compare-mirror.XXXXXX)"
hub_pid=""
cleanup() {
  [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null || true
  "$root/tests/s3/servers.sh" stop "$work/servers" >/dev/null 2>&1 || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
"$root/tests/s3/servers.sh" start "$work/servers" swift >/dev/null
port=$(cat "$work/servers/swift.port")
endpoint="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_CA_BUNDLE AWS_PROFILE AWS_SESSION_TOKEN HF_TOKEN

# The synthetic repository: 8 shards of SIZE/8 (LFS, served through the CDN redirect) + 3 small files.
mkdir -p "$work/data"
shard=$((size / 8))
for i in 0 1 2 3 4 5 6 7; do head -c "$shard" /dev/urandom >"$work/data/shard$i"; done
python3 - "$work" "$shard" <<'PY'
import json, os, sys
work, shard = sys.argv[1], int(sys.argv[2])
files = [{"path": f"model-{i + 1:05d}-of-00008.safetensors", "file": f"{work}/data/shard{i}", "kind": "lfs"}
         for i in range(8)]
for name, body in (("config.json", b'{"model_type": "bench"}'), ("README.md", b"# bench\n"),
                   ("tokenizer.json", b'{"v": 1}' * 1000)):
    with open(f"{work}/data/{name}", "wb") as f:
        f.write(body)
    files.append({"path": name, "file": f"{work}/data/{name}", "kind": "plain"})
spec = {"repos": [{"type": "model", "id": "bench/model", "commit": "b" * 40, "refs": {"main": "b" * 40},
                   "files": files}]}
json.dump(spec, open(f"{work}/spec.json", "w"))
PY
python3 "$root/tests/hub/fake_hub.py" --spec "$work/spec.json" --port-file "$work/hub.port" \
  --cdn-port-file "$work/cdn.port" &
hub_pid=$!
for _ in $(seq 1200); do [[ -s $work/hub.port ]] && break; sleep 0.1; done  # it hashes the files first
[[ -s $work/hub.port ]] || { echo "compare-mirror: the fake Hub did not start" >&2; exit 1; }
export HF_ENDPOINT="http://127.0.0.1:$(cat "$work/hub.port")"
echo "compare-mirror: $(numfmt --to=iec "$size") repo (8 LFS shards + 3 small files), fake Hub $HF_ENDPOINT," \
  "Swift s3api 127.0.0.1:$port, $rounds rounds"

# measure LABEL CMD... : appends "seconds peak_kib fs_output_blocks" to $work/LABEL.times (the
# blocks are the kernel's count of 512-byte units the process wrote to file systems: local disk)
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %O" -o "$work/t" "$@" >/dev/null 2>"$work/$label.err" ||
    { echo "compare-mirror: $label failed:" >&2; tail -20 "$work/$label.err" >&2; exit 1; }
  cat "$work/t" >>"$work/$label.times"
}

run_castor() {
  local r=$1
  # shellcheck disable=SC2086  # MIRROR_ARGS: extra options for castor mirror, word-split
  measure castor "$castor" mirror bench/model --no-progress ${MIRROR_ARGS:-} \
    --to "s3://castor-test/castor-$r?endpoint=$endpoint&path_style=1&region=us-east-1"
}

run_peer() {
  local r=$1 s1 s2
  rm -rf "$work/cache"
  measure peer-download node "$root/tests/hub/snapshot_download.mjs" bench/model "$work/cache"
  measure peer-copy aws --endpoint-url "$endpoint" s3 cp --recursive --quiet \
    "$work/cache/models--bench--model/snapshots/$(printf 'b%.0s' $(seq 40))/" "s3://castor-test/peer-$r/bench/model/"
  rm -rf "$work/cache"
}

for r in $(seq "$rounds"); do
  if (( r % 2 )); then run_castor "$r"; run_peer "$r"; else run_peer "$r"; run_castor "$r"; fi
done

# Check once that both copies are the repository, byte for byte (spot-check the first shard).
aws --endpoint-url "$endpoint" s3 cp --quiet "s3://castor-test/castor-1/bench/model/model-00001-of-00008.safetensors" "$work/c1"
aws --endpoint-url "$endpoint" s3 cp --quiet "s3://castor-test/peer-1/bench/model/model-00001-of-00008.safetensors" "$work/p1"
cmp "$work/c1" "$work/data/shard0" && cmp "$work/p1" "$work/data/shard0"

python3 - "$work" "$size" <<'PY'
import statistics, sys
work, size = sys.argv[1], int(sys.argv[2])
def rows(label):
    with open(f"{work}/{label}.times") as f:
        return [tuple(map(float, l.split())) for l in f if l.strip()]
c = rows("castor"); d = rows("peer-download"); p = rows("peer-copy")
peer = [a[0] + b[0] for a, b in zip(d, p)]
cm, pm = statistics.median(x[0] for x in c), statistics.median(peer)
mib = size / 2**20
disk = lambda rows: max(x[2] for x in rows) * 512 / 2**20
print(f"{'':34s} {'median s':>9s} {'MiB/s':>8s} {'peak RSS MiB':>13s} {'disk written MiB':>17s}")
print(f"{'castor mirror (Hub -> S3)':34s} {cm:9.2f} {mib / cm:8.1f} {max(x[1] for x in c) / 1024:13.1f} {disk(c):17.1f}")
print(f"{'snapshotDownload + aws s3 cp':34s} {pm:9.2f} {mib / pm:8.1f} {max(max(x[1] for x in d), max(x[1] for x in p)) / 1024:13.1f} {disk(d) + disk(p):17.1f}")
print(f"{'  of which snapshotDownload':34s} {statistics.median(x[0] for x in d):9.2f}")
print(f"{'  of which aws s3 cp':34s} {statistics.median(x[0] for x in p):9.2f}")
print(f"castor is {pm / cm:.2f}x as fast as download-then-copy (median of {len(c)} rounds each)")
PY

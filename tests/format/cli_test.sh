#!/usr/bin/env bash
# `castor xorb pack|inspect|extract` and `castor shard inspect` end to end: packing files into
# xorbs and a shard, listing and verifying them, extracting chunk ranges byte-exactly, decoding
# the Hugging Face JS client's upload, and the exit codes and messages of bad input.
# Usage: cli_test.sh <castor binary> <tests/testdata dir>
set -uo pipefail
castor=$1
export CASTOR=$castor
testdata=$2
hfjs=$testdata/xet/hfjs-upload
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_rc() {  # expect_rc <want> <command...>
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [[ $rc == "$want" ]] || fail "exit $rc (want $want): $* :: $(head -c 300 "$tmp/err")"
}

# --- the hf.js upload -----------------------------------------------------------------------
hash=06af1601a4c6dfee551ed4a36fad2c2e7747d61627c214af67dadee9459f96ee
expect_rc 0 "$castor" xorb inspect --verify --hash $hash "$hfjs/xorb.bin"
grep -q "^OK: xorb hash $hash matches --hash" "$tmp/out" || fail "hf.js xorb not verified"
[[ $(grep -c '^[0-9]' "$tmp/out") == 6 ]] || fail "hf.js xorb: expected 6 chunk lines"
grep -q '^2 38766 118852 bg4-lz4 118844 131072 38750 2016570f' "$tmp/out" \
  || fail "hf.js xorb: chunk 2 line"
cp "$hfjs/xorb.bin" "$tmp/$hash.xorb"
expect_rc 0 "$castor" xorb inspect --verify "$tmp/$hash.xorb"
grep -q "matches the file name" "$tmp/out" || fail "hash from the file name"
expect_rc 1 "$castor" xorb inspect --verify --hash "${hash/06af/16af}" "$hfjs/xorb.bin"
grep -q "^MISMATCH" "$tmp/out" || fail "mismatch not reported"
expect_rc 0 "$castor" xorb inspect --json --verify --hash $hash "$hfjs/xorb.bin"
python3 -c "
import json,sys
d=json.load(open('$tmp/out'))
assert d['verified'] is True and d['num_chunks']==6 and d['xorb_hash']=='$hash', d
assert [c['scheme'] for c in d['chunks']]==['none','none']+['bg4-lz4']*4
" || fail "inspect --json"
expect_rc 0 "$castor" xorb extract "$hfjs/xorb.bin" --chunks 0:6 -o "$tmp/all"
cmp -s "$tmp/all" "$hfjs/input.bin" || fail "extract 0:6 != input.bin"
expect_rc 0 "$castor" xorb extract "$hfjs/xorb.bin" --chunks 2:4 -o "$tmp/mid"
cmp -s "$tmp/mid" <(tail -c +38751 "$hfjs/input.bin" | head -c 233779) || fail "extract 2:4"
expect_rc 2 "$castor" xorb extract "$hfjs/xorb.bin" --chunks 3:9 -o "$tmp/x"
expect_rc 2 "$castor" xorb extract "$hfjs/xorb.bin" --chunks 3-9 -o "$tmp/x"
expect_rc 0 "$castor" shard inspect "$hfjs/shard.bin"
grep -q '^file df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832 size 300000 terms 1 sha256 9f40096ffd2a55430d7ed2038dad22acdba9be7c7acc96b4ec785206121f9b07' \
  "$tmp/out" || fail "shard inspect: file line"
grep -q "^  term $hash \[0, 6) 300000 bytes verification b8416b49" "$tmp/out" \
  || fail "shard inspect: term line"
grep -q '^footer version 1 ' "$tmp/out" || fail "shard inspect: footer"
expect_rc 0 "$castor" shard inspect --json "$hfjs/shard.bin"
python3 -c "
import json
d=json.load(open('$tmp/out'))
assert d['header']=={'version':2,'footer_size':200}, d['header']
assert d['files'][0]['sha256']=='9f40096ffd2a55430d7ed2038dad22acdba9be7c7acc96b4ec785206121f9b07'
assert len(d['xorbs'][0]['chunks'])==6 and d['footer']['creation_timestamp']==1795919135
" || fail "shard inspect --json"

# --- a stored xorb with the server footer (a fuzz seed made by XorbBuilder + XorbFooter) ------
stored=$testdata/../fuzz/corpus/xorb_reader_fuzz/seed-xorb-footer-0
expect_rc 0 "$castor" xorb inspect --json "$stored"
sh=$(python3 -c "import json; d=json.load(open('$tmp/out')); assert d['footer'] is True; print(d['xorb_hash'])") \
  || fail "footer xorb: inspect --json"
expect_rc 0 "$castor" xorb inspect --verify --hash "$sh" "$stored"
grep -q '^# 3 chunks, 1433 bytes of records, 1664 bytes decoded, with footer' "$tmp/out" \
  || fail "footer xorb: summary line"
grep -q '^OK' "$tmp/out" || fail "footer xorb: verify"

# --- pack ------------------------------------------------------------------------------------
mkdir -p "$tmp/in"
cp "$hfjs/input.bin" "$tmp/in/a.bin"
head -c 1000000 /dev/urandom >"$tmp/in/b.bin"
cat "$tmp/in/b.bin" "$tmp/in/a.bin" >"$tmp/in/c.bin"   # all chunks of c repeat a's and b's
printf 'small file\n' >"$tmp/in/d.txt"
expect_rc 0 "$castor" xorb pack -o "$tmp/packed" "$tmp/in/a.bin" "$tmp/in/b.bin" "$tmp/in/c.bin" \
  "$tmp/in/d.txt"
cp "$tmp/out" "$tmp/pack.out"
[[ $(grep -c '^file ' "$tmp/pack.out") == 4 ]] || fail "pack: 4 file lines"
grep -q '^file df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832 300000 ' \
  "$tmp/pack.out" || fail "pack: file id of input.bin"
nx=$(grep -c '^xorb ' "$tmp/pack.out")
[[ $nx == 1 ]] || fail "pack: the files fit one xorb, got $nx"
for x in "$tmp"/packed/*.xorb; do
  expect_rc 0 "$castor" xorb inspect --verify "$x"
  grep -q '^OK' "$tmp/out" || fail "packed xorb $x does not verify"
done
shard=$(ls "$tmp"/packed/*.shard)
expect_rc 0 "$castor" shard inspect --json "$shard"
python3 - "$tmp/out" "$tmp/packed" "$tmp/in" <<'PY' || fail "pack: shard terms do not rebuild the files"
import json, subprocess, sys, os
doc = json.load(open(sys.argv[1]))
assert doc["header"]["footer_size"] == 0, "upload form has no footer"
castor = os.environ["CASTOR"]
sizes = {os.path.getsize(os.path.join(sys.argv[3], n)): n for n in os.listdir(sys.argv[3])}
assert len(doc["files"]) == 4
for f in doc["files"]:
    out = b""
    for t in f["terms"]:
        b, e = t["chunks"]
        out += subprocess.run([castor, "xorb", "extract", os.path.join(sys.argv[2], t["xorb"] + ".xorb"),
                               "--chunks", f"{b}:{e}", "-o", "-"], check=True, capture_output=True).stdout
    name = sizes[f["size"]]
    assert out == open(os.path.join(sys.argv[3], name), "rb").read(), name
PY

# --- bad input -------------------------------------------------------------------------------
head -c 100 "$hfjs/xorb.bin" >"$tmp/trunc.xorb"
expect_rc 1 "$castor" xorb inspect "$tmp/trunc.xorb"
grep -q 'chunk 0 at byte 0: payload of 22353 bytes runs past the end' "$tmp/err" \
  || fail "truncated xorb message: $(cat "$tmp/err")"
cp "$hfjs/xorb.bin" "$tmp/scheme.xorb"
printf '\x09' | dd of="$tmp/scheme.xorb" bs=1 seek=$((38766 + 4)) conv=notrunc status=none
expect_rc 1 "$castor" xorb inspect "$tmp/scheme.xorb"
grep -q 'chunk 2 at byte 38766: unknown compression scheme 9' "$tmp/err" \
  || fail "unknown scheme message: $(cat "$tmp/err")"
cp "$hfjs/xorb.bin" "$tmp/flip.xorb"
printf '\x00' | dd of="$tmp/flip.xorb" bs=1 seek=200 conv=notrunc status=none
expect_rc 1 "$castor" xorb inspect --verify --hash $hash "$tmp/flip.xorb"
head -c 500 "$hfjs/shard.bin" >"$tmp/trunc.shard"
expect_rc 1 "$castor" shard inspect "$tmp/trunc.shard"
grep -q 'castor: .*trunc.shard: ' "$tmp/err" || fail "truncated shard message"
expect_rc 1 "$castor" shard inspect "$tmp/does-not-exist"
expect_rc 1 "$castor" xorb inspect "$tmp/does-not-exist"
expect_rc 1 "$castor" xorb pack -o "$tmp/p2" "$tmp/does-not-exist"

if [[ $failures -gt 0 ]]; then
  echo "cli_test: $failures failure(s)"
  exit 1
fi
echo "cli_test: all checks passed"

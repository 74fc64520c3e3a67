#!/bin/bash
# Runs `castor chunk` and `castor hash` on known inputs and checks stdout, stderr and exit codes.
#   chunk_hash_test.sh <castor binary> <testdata dir>
set -uo pipefail
CASTOR=$1
DATA=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect_eq <what> <got> <want>
expect_eq() {
  checks=$((checks + 1))
  [[ "$2" == "$3" ]] || fail "$1: got [$2] want [$3]"
}
# run <args...>: sets OUT, ERR, RC
run() {
  "$CASTOR" "$@" >"$T/out" 2>"$T/err"
  RC=$?
  OUT=$(cat "$T/out")
  ERR=$(cat "$T/err")
}

INPUT=$DATA/xet/hfjs-upload/input.bin
FILE_ID=df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832
SHA=9f40096ffd2a55430d7ed2038dad22acdba9be7c7acc96b4ec785206121f9b07
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
ZERO=0000000000000000000000000000000000000000000000000000000000000000

# --- castor chunk ---------------------------------------------------------------------------
run chunk "$INPUT"
expect_eq "chunk rc" "$RC" 0
expect_eq "chunk lines" "$(wc -l <"$T/out")" 6
expect_eq "chunk offsets/lengths" "$(cut -d' ' -f1,2 "$T/out" | tr '\n' ,)" \
  "0 22353,22353 16397,38750 131072,169822 102707,272529 25081,297610 2390,"
# The hf.js client asked the CAS about this first chunk hash (requests.json).
expect_eq "chunk first hash" "$(head -1 "$T/out" | cut -d' ' -f3)" \
  e6029cadf2a6692699a7e839f134d0e6109a571f02feafbd53447a5d96cbde1b
expect_eq "chunk stderr" "$ERR" ""
grep -q e6029cadf2a6692699a7e839f134d0e6109a571f02feafbd53447a5d96cbde1b "$DATA/xet/hfjs-upload/requests.json" ||
  fail "requests.json does not mention the first chunk hash"

run chunk - <"$INPUT"
expect_eq "chunk stdin" "$OUT" "$("$CASTOR" chunk "$INPUT")"
run chunk --threads 1 "$INPUT"
expect_eq "chunk one thread" "$OUT" "$("$CASTOR" chunk "$INPUT")"

run chunk --json "$INPUT"
expect_eq "chunk --json rc" "$RC" 0
expect_eq "chunk --json file id" "$(grep -c "\"file_id\": \"$FILE_ID\"" "$T/out")" 1
expect_eq "chunk --json sha256" "$(grep -c "\"sha256\": \"$SHA\"" "$T/out")" 1
expect_eq "chunk --json chunk count" "$(grep -c '"offset"' "$T/out")" 6
run chunk --json --hmac-key nothex "$INPUT"
expect_eq "bad hmac key rc" "$RC" 2
[[ "$ERR" == *"--hmac-key"* ]] || fail "bad hmac key message: $ERR"

: >"$T/empty"
run chunk "$T/empty"
expect_eq "chunk empty rc" "$RC" 0
expect_eq "chunk empty output" "$OUT" ""

# Exactly 3 x 128 KiB of zeros: three maximal chunks, all with the same hash.
head -c 393216 /dev/zero >"$T/zeros"
run chunk "$T/zeros"
expect_eq "chunk zeros" "$(cut -d' ' -f1,2 "$T/out" | tr '\n' ,)" "0 131072,131072 131072,262144 131072,"
expect_eq "chunk zeros hash" "$(cut -d' ' -f3 "$T/out" | sort -u)" \
  2e39f13c248013b27e22913ba2893a654120ed0ad8eb7ecbf3f05b9d708634fc

run chunk "$T/missing"
expect_eq "chunk missing rc" "$RC" 1
expect_eq "chunk missing stdout" "$OUT" ""
expect_eq "chunk missing stderr" "$ERR" "castor: $T/missing: No such file or directory"

run chunk "$T"
expect_eq "chunk dir rc" "$RC" 1
expect_eq "chunk dir stdout" "$OUT" ""
expect_eq "chunk dir stderr" "$ERR" "castor: $T: is a directory"

# A file that opens but cannot be read (reading /proc/self/mem at offset 0 fails with EIO; as
# root, permission bits cannot make a file unreadable).
run chunk /proc/self/mem
expect_eq "chunk unreadable rc" "$RC" 1
expect_eq "chunk unreadable stdout" "$OUT" ""
expect_eq "chunk unreadable stderr" "$ERR" "castor: /proc/self/mem: read: Input/output error"
run hash /proc/self/mem "$INPUT"
expect_eq "hash unreadable rc" "$RC" 1
expect_eq "hash unreadable stdout" "$OUT" "$FILE_ID $SHA 300000 $INPUT"
expect_eq "hash unreadable stderr" "$ERR" "castor: /proc/self/mem: read: Input/output error"

run chunk
[[ $RC -ne 0 ]] || fail "chunk without a file must fail"
run chunk --help
expect_eq "chunk --help rc" "$RC" 0
[[ "$OUT" == *"<offset> <length> <chunk-hash>"* ]] || fail "chunk --help text"

# --- castor hash ----------------------------------------------------------------------------
run hash "$INPUT"
expect_eq "hash rc" "$RC" 0
expect_eq "hash line" "$OUT" "$FILE_ID $SHA 300000 $INPUT"
run hash - <"$INPUT"
expect_eq "hash stdin" "$OUT" "$FILE_ID $SHA 300000 -"
run hash "$T/empty"
expect_eq "hash empty" "$OUT" "$ZERO $EMPTY_SHA 0 $T/empty"
run hash --json "$INPUT"
expect_eq "hash --json" "$OUT" \
  "{\"file_id\":\"$FILE_ID\",\"path\":\"$INPUT\",\"sha256\":\"$SHA\",\"size\":300000}"

# Directory walk: depth first, names sorted bytewise, links to files followed under the link's
# name, links to directories not entered.
mkdir -p "$T/tree/b/sub" "$T/tree/a"
cp "$INPUT" "$T/tree/a/x"
printf 'hello' >"$T/tree/B"
printf '' >"$T/tree/b/sub/e"
ln -s "$T/tree/a/x" "$T/tree/b/link"
ln -s "$T/tree" "$T/tree/b/sub/loop"
mkfifo "$T/tree/fifo"
run hash "$T/tree"
expect_eq "walk rc" "$RC" 0
expect_eq "walk order" "$(cut -d' ' -f4 "$T/out" | sed "s|$T/tree||" | tr '\n' ,)" "/B,/a/x,/b/link,/b/sub/e,"
expect_eq "walk link content" "$(grep '/b/link$' "$T/out" | cut -d' ' -f1)" "$FILE_ID"
expect_eq "walk sha of B" "$(grep '/B$' "$T/out" | cut -d' ' -f2)" \
  "$(printf hello | sha256sum | cut -d' ' -f1)"
rm "$T/tree/fifo"

# Errors: each bad path gets one stderr line, the good ones still print, exit status 1.
run hash "$T/missing" "$INPUT" "$T/tree/a"
expect_eq "mixed rc" "$RC" 1
expect_eq "mixed stdout" "$OUT" "$FILE_ID $SHA 300000 $INPUT
$FILE_ID $SHA 300000 $T/tree/a/x"
expect_eq "mixed stderr" "$ERR" "castor: $T/missing: No such file or directory"
ln -s "$T/nowhere" "$T/tree/broken"
run hash "$T/tree"
expect_eq "broken link rc" "$RC" 1
expect_eq "broken link stderr" "$ERR" "castor: $T/tree/broken: No such file or directory"
expect_eq "broken link others" "$(wc -l <"$T/out")" 4

run hash
[[ $RC -ne 0 ]] || fail "hash without a path must fail"
run hash --help
expect_eq "hash --help rc" "$RC" 0
[[ "$OUT" == *"<file-id> <sha256> <size> <path>"* ]] || fail "hash --help text"

# A larger file exercises the multi-threaded pipeline; one thread must agree.
head -c 20000000 /dev/urandom >"$T/big"
run hash "$T/big"
one=$OUT
run hash --threads 1 "$T/big"
expect_eq "threads agree" "$OUT" "$one"
expect_eq "big sha256" "$(echo "$OUT" | cut -d' ' -f2)" "$(sha256sum "$T/big" | cut -d' ' -f1)"
expect_eq "chunk/hash agree" "$("$CASTOR" chunk --json "$T/big" | grep -o '"file_id": "[0-9a-f]*"' | cut -d'"' -f4)" \
  "$(echo "$OUT" | cut -d' ' -f1)"

if ((fails)); then
  echo "$fails of $checks checks failed" >&2
  exit 1
fi
echo "cli OK: $checks checks"

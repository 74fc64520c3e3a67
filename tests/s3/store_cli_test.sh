#!/usr/bin/env bash
# `castor store` end to end on a local directory and on Swift's s3api: put/get/head/ls/rm/cp,
# ranges, stdin/stdout, --if-absent, presigned URLs, error exits. Usage: store_cli_test.sh CASTOR STATE_DIR
set -uo pipefail
castor=$1
state=$2
work=$(mktemp -d /tmp/castor-store-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
check() {  # check NAME COMMAND...
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
export AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
head -c 5000000 /dev/urandom >"$work/in"
local_store="$work/store"
swift="s3://castor-test/cli-$$?endpoint=http://127.0.0.1:$(cat "$state/swift.port")&path_style=1"

for uri in "$local_store" "$swift"; do
  name=$([[ $uri == s3* ]] && echo swift || echo local)
  check "$name put" "$castor" store put "$uri" dir/obj "$work/in"
  check "$name head size" bash -c "'$castor' store head '$uri' dir/obj | grep -q ' 5000000 '"
  check "$name get file" "$castor" store get "$uri" dir/obj "$work/out"
  check "$name get matches" cmp -s "$work/in" "$work/out"
  check "$name get stdout" bash -c "'$castor' store get '$uri' dir/obj | cmp -s - '$work/in'"
  check "$name range" bash -c "'$castor' store get '$uri' dir/obj --range 100-199 | cmp -s - <(tail -c +101 '$work/in' | head -c 100)"
  check "$name stdin put" bash -c "echo hello | '$castor' store put '$uri' dir/small"
  check "$name if-absent" bash -c "echo other | '$castor' store put '$uri' dir/small --if-absent | grep -q 'already existed'"
  check "$name kept" bash -c "[[ \$('$castor' store get '$uri' dir/small) == hello ]]"
  check "$name ls" bash -c "[[ \$('$castor' store ls '$uri' dir/ | wc -l) == 2 ]]"
  check "$name hostile key" bash -c "! '$castor' store put '$uri' ../escape '$work/in' 2>/dev/null"
  check "$name missing key" bash -c "! '$castor' store get '$uri' dir/none '$work/none' 2>/dev/null && [[ ! -e '$work/none' ]]"
  check "$name rm" "$castor" store rm "$uri" dir/obj dir/small
  check "$name empty" bash -c "[[ -z \$('$castor' store ls '$uri' dir/) ]]"
done
check "cp local to swift" bash -c "'$castor' store put '$local_store' a '$work/in' >/dev/null && '$castor' store cp '$local_store' a '$swift' b >/dev/null"
check "cp result" bash -c "'$castor' store get '$swift' b | cmp -s - '$work/in'"
check "presign" bash -c "curl -sf \"\$('$castor' store presign '$swift' b --ttl 60)\" | cmp -s - '$work/in'"
check "presign local unsupported" bash -c "! '$castor' store presign '$local_store' a 2>/dev/null"
check "bad uri" bash -c "! '$castor' store ls 'ftp://x' 2>/dev/null"
"$castor" store rm "$swift" b >/dev/null
echo "$fails failed"
[[ $fails -eq 0 ]]

#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (Debian packages, the npm
# packages of the interop tests), builds, and runs
#   1. every test (unit, cross-layer, end-to-end, interop; S3 servers are started by the tests'
#      own CTest fixtures) in a Release build;
#   2. the chunking tests on a build without the chunker's inline assembly;
#   3. the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (clang);
#   4. each libFuzzer target for a bounded time (CASTOR_FUZZ_SECONDS, default 60), starting from
#      its kept corpus, which also runs as regression tests in step 1.
# Usage: scripts/test.sh [--no-asan] [--no-fuzz]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
asan=1; fuzz=1
for a in "$@"; do
  case "$a" in
    --no-asan) asan=0 ;;
    --no-fuzz) fuzz=0 ;;
    *) echo "usage: scripts/test.sh [--no-asan] [--no-fuzz]" >&2; exit 2 ;;
  esac
done
jobs=$(nproc)
passed=0; failed=0
step() { echo; echo "=== $* ==="; }
count() {  # count <ctest log>
  local line p f
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  if [[ -z "$line" ]]; then failed=$((failed + 1)); return; fi
  f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  p=$(( $(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line") - f ))
  passed=$((passed + p)); failed=$((failed + f))
}

step "dependencies"
scripts/install-deps.sh --test || exit 1
for setup in tests/*/setup.sh; do
  [[ -x "$setup" ]] && { "$setup" || exit 1; }
done

step "release build + all tests"
BUILD_DIR=build scripts/build.sh || exit 1
(cd build && ctest --output-on-failure -j"$jobs" --timeout 1200) 2>&1 | tee build/ctest.log
count build/ctest.log

# The chunker's fast scan is inline assembly on x86-64; its portable C++ form must give the same
# chunks, so the chunking tests also run on a build that forces it.
step "portable chunker (no inline assembly): chunking tests"
cmake -S . -B build-portable -G Ninja -DCMAKE_BUILD_TYPE=Release -DCASTOR_BENCH=OFF \
  -DCMAKE_CXX_FLAGS=-DCASTOR_PORTABLE_CHUNKER >/dev/null &&
  cmake --build build-portable --target castor_chunking_test || exit 1
(cd build-portable && ctest --output-on-failure -R '^(Chunker|GearTable)\.') 2>&1 |
  tee build-portable/ctest.log
count build-portable/ctest.log

if [[ $asan == 1 ]]; then
  step "ASan/UBSan build + unit tests"
  CC=clang CXX=clang++ BUILD_DIR=build-asan scripts/build.sh -DCASTOR_SANITIZE=ON -DCASTOR_BENCH=OFF \
    || exit 1
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$jobs" -L unit --timeout 1200) 2>&1 | tee build-asan/ctest.log
  count build-asan/ctest.log
fi

if [[ $fuzz == 1 ]]; then
  step "fuzzing (${CASTOR_FUZZ_SECONDS:-60} s per target)"
  # Only the fuzz programs are built here (not the castor binary).
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCASTOR_FUZZ=ON \
    -DCASTOR_TESTS=OFF -DCASTOR_BENCH=OFF >/dev/null || exit 1
  fuzz_targets=$(ninja -C build-fuzz -t targets all | sed -n 's/^\([a-z0-9_]*_fuzz\): .*/\1/p' \
    | grep -v '^cmake_' | sort -u)
  # shellcheck disable=SC2086
  cmake --build build-fuzz --target $fuzz_targets || exit 1
  for bin in build-fuzz/*_fuzz; do
    [[ -x "$bin" ]] || continue
    name=$(basename "$bin")
    corpus="tests/fuzz/corpus/$name"
    work="build-fuzz/corpus-$name"
    mkdir -p "$work" "$corpus"
    cp -n "$corpus"/* "$work"/ 2>/dev/null
    if "$bin" -max_total_time="${CASTOR_FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -print_final_stats=0 \
        "$work" >"build-fuzz/$name.log" 2>&1; then
      echo "fuzz $name: passed ($(ls "$work" | wc -l) corpus inputs)"; passed=$((passed + 1))
    else
      echo "fuzz $name: FAILED"; tail -40 "build-fuzz/$name.log"; failed=$((failed + 1))
    fi
  done
fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

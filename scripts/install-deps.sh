#!/usr/bin/env bash
# Installs the Debian packages castor needs to build, test and benchmark. Idempotent and
# non-interactive: packages already present are not reinstalled, and apt-get runs only if some are
# missing. Usage: scripts/install-deps.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build ccache pkg-config git
  librust-blake3-dev libssl-dev liblz4-dev libcurl4-openssl-dev libboost-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev)
test_pkgs=(googletest libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  b3sum lz4 nodejs curl python3 time)
# Packages named in CASTOR_EXTRA_PKGS (space separated) are added too; the S3 test fixtures use it.

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_pkgs[@]}"); fi
# shellcheck disable=SC2206
want+=(${CASTOR_EXTRA_PKGS:-})

missing=()
# Node.js from some repositories bundles npm and conflicts with Debian's npm package: ask for the
# package only when the command is missing.
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then want+=(npm); fi
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-deps: cannot run apt-get (not root and no passwordless sudo)." >&2
    echo "install-deps: install these packages yourself: ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "install-deps: apt-get not found: castor's scripts expect Debian 12 or a derivative." >&2
  echo "install-deps: install the equivalents of: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"

#!/usr/bin/env bash
# Installs what the S3 tests need beyond scripts/install-deps.sh --test: OpenStack Swift (s3api),
# and checks for moto_server and awscli (preinstalled on the CI image's Python).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CASTOR_EXTRA_PKGS="swift-proxy swift-object swift-container swift-account time" \
  "$root/scripts/install-deps.sh" --test
for tool in moto_server aws; do
  command -v "$tool" >/dev/null || {
    echo "tests/s3/setup.sh: $tool not found; install it with: pip install 'moto[server]' awscli" >&2
    exit 1
  }
done

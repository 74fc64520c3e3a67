#!/usr/bin/env bash
# One command from a fresh clone to a running castor: installs the packages it needs, builds,
# then runs `castor "$@"`. Example: scripts/run.sh hash ./models
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" >&2
BUILD_DIR="$root/build" "$root/scripts/build.sh" >&2
exec "$root/build/castor" "$@"

#!/bin/bash
# Installs the pinned npm packages the interop test and bench/compare.sh use (package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund

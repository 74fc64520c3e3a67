#!/bin/bash
# Installs the pinned official Hugging Face JS client (@huggingface/hub 2.17.5, package-lock.json)
# that the interop tests and bench/compare-transfer.sh drive against castor.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund

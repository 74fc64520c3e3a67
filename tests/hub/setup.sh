#!/usr/bin/env bash
# The peer for bench/compare-mirror.sh: the official Hugging Face JS client (@huggingface/hub).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent

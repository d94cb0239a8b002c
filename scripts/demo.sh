#!/usr/bin/env bash
# Set up (first run only) and run the main job: `codecprobe demo` (arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec .venv/bin/codecprobe demo "$@"

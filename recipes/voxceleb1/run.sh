#!/usr/bin/env bash
# The seeds' Step 0 (raw cosine, expected EER 35.01 %) and Step 0.5 (linear probe, expected
# ~20.48 %) on VoxCeleb1-O with Kyutai's Mimi. See docs/verify.md for what each stage does.
#
# Usage: recipes/voxceleb1/run.sh VOX1_ROOT MIMI_WEIGHTS [first stage] [last stage]
#   VOX1_ROOT     holds vox1_test/wav/..., vox1_dev/wav/... and veri_test2.txt
#   MIMI_WEIGHTS  a transformers-format kyutai/mimi folder or the moshi .safetensors file
# Stages: 1 extract test, 2 extract dev, 3 Step 0, 4 Step 0.5. Every stage resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
vox=${1:?VOX1_ROOT}; mimi=${2:?MIMI_WEIGHTS}; first=${3:-1}; last=${4:-4}
store=${STORE:-runs/store-vox1}; device=${DEVICE:-cpu}
stage() { [ "$first" -le "$1" ] && [ "$last" -ge "$1" ]; }
codecprobe() { .venv/bin/codecprobe "$@"; }
common=(--encoder mimi --weights "$mimi" --tap prequant --store "$store" --device "$device")
trials=(--corpus "$vox/vox1_test" --layout voxceleb --trials "$vox/veri_test2.txt"
        --train-corpus "$vox/vox1_dev" --train-layout voxceleb)

bash scripts/setup_env.sh
if stage 1; then codecprobe extract --corpus "$vox/vox1_test" --layout voxceleb "${common[@]}"; fi
if stage 2; then codecprobe extract --corpus "$vox/vox1_dev" --layout voxceleb "${common[@]}"; fi
if stage 3; then
  codecprobe verify "${trials[@]}" "${common[@]}" --backend cosine --backend center --out runs/vox1-step0
fi
if stage 4; then codecprobe verify "${trials[@]}" "${common[@]}" --backend probe --out runs/vox1-step05; fi
echo "reports: runs/vox1-step0/report.md (expect EER 35.01 %), runs/vox1-step05/report.md (expect ~20.48 %)"
